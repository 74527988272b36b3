/**
 * A sender that restarts its RTP sequence numbers mid-stream (a jump of 2^15 or more, as after
 * a restart of the sending process), end to end: a real werift client, the real server on
 * loopback, on the main thread and in a media worker. Every frame sent is counted.
 */
import type { RTCRtpSender } from 'werift';
import type { StreamingClient } from '../../client/streamingClient';
import { expectCountInvariant } from '../helpers/countInvariant';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const INACTIVITY_MS = 300;
const FRAMES_BEFORE = 60;
const FRAMES_AFTER = 60;

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

function videoSender(client: StreamingClient): RTCRtpSender {
  const sender = client.peerConnection.getTransceivers().find((transceiver) => transceiver.kind === 'video')?.sender;
  if (!sender) throw new Error('the client has no video sender');
  return sender;
}

/**
 * werift's sender adds `seqOffset` to the sequence number of every packet it sends (it keeps a
 * track's numbers continuous across replaceTrack); moving it jumps the numbers the server sees,
 * as a restarted sender would. A werift internal, used here only to produce the jump.
 */
function jumpSequenceNumbers(client: StreamingClient, by: number): void {
  const sender = videoSender(client) as unknown as { seqOffset: number };
  sender.seqOffset = (sender.seqOffset + by) & 0xffff;
}

describe('a sender whose RTP sequence numbers jump halfway', () => {
  it.each([
    ['on the main thread', 0, 0x8000 + 123],
    ['on the main thread, backwards by just under 2^15', 0, 0x10000 - 0x7fff],
    ['in a media worker', 1, 0x8000 + 4321],
  ])('%s: the summary counts every frame sent', async (_, mediaWorkers, jump) => {
    server = await startTestServer({ mediaWorkers, videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS });
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(FRAMES_BEFORE, { intervalMs: 10 });
    jumpSequenceNumbers(client, jump);
    await client.sendVideoFrames(FRAMES_AFTER, { intervalMs: 10 });
    client.stopVideo();
    const closed = await client.waitForStreamClosed(10_000);
    await peer.released;

    expect(closed.summary).toMatchObject({
      total_frames_received: FRAMES_BEFORE + FRAMES_AFTER,
      total_frames_processed: FRAMES_BEFORE + FRAMES_AFTER,
      total_frames_dropped: 0,
    });
    expectCountInvariant(closed.summary, `session ${peer.id}`);
    // The restart is noted once, within the session's log budget.
    expect(server.logs.filter((entry) => entry.message.startsWith('RTP sequence numbers restarted'))).toHaveLength(1);
  });
});
