import { expectCountInvariant } from '../helpers/countInvariant';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { requireAiortc, runAiortc } from './aiortcClient';

/**
 * A foreign sender (aiortc) whose video RTP sequence numbers jump halfway through its media,
 * far beyond the reorder buffer's run window, as after a restart: the server goes on counting
 * its frames. Forward by less than 2^15 only: aiortc protects with libsrtp, whose sender-side
 * replay check refuses a packet whose index estimate goes backwards (a jump of 2^15 or more on
 * one SRTP stream fails in protect() and ends aiortc's send loop, and so does a jump of 2^15 - 1
 * across 2^16); a sender that really restarts makes a new SRTP stream, with a new SSRC. The werift
 * client in test/media/senderRestart.test.ts makes the 2^15 jumps. The numbers start where the
 * test says, so that whether a jump crosses 2^16 (werift's SRTP rollover estimation lost the
 * rollover then: test/webrtc/srtpRollover.test.ts) does not depend on aiortc's random start.
 */

const MEDIA_SECONDS = 3;
const TEST_TIMEOUT_MS = 60_000;

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

it.each([
  [20_000, 1000, 'within one cycle of 2^16'],
  [20_000, 50_000, 'across 2^16 (the SRTP rollover counter moves on)'],
  [0x7fff, 1000, 'within one cycle of 2^16'],
])(
  'aiortc: video sequence numbers moved on by %d halfway (from %d, %s), every frame sent is counted',
  async (jump, start) => {
    requireAiortc();
    server = await startTestServer({ mediaWorkers: 0 });
    const run = await runAiortc({ url: server.url, route: 'offer', end: 'bye', mediaSeconds: MEDIA_SECONDS, waitSeconds: 10, seqJump: jump, seqStart: start });
    expect({ exitCode: run.exitCode, errors: run.sessions.flatMap((session) => session.done?.errors ?? ['no done line']) }).toEqual({ exitCode: 0, errors: [] });
    const [session] = run.sessions;
    const done = session!.done!;
    const summary = session!.streamClosed!.summary as unknown as Parameters<typeof expectCountInvariant>[0];
    expectCountInvariant(summary, `session ${session!.sessionId}`);
    expect(done.video_frames_before_jump).toBeGreaterThan(0);
    expect(done.video_frames_sent).toBeGreaterThan(done.video_frames_before_jump!);
    expect(summary.total_frames_received).toBe(done.video_frames_sent);
  },
  TEST_TIMEOUT_MS,
);
