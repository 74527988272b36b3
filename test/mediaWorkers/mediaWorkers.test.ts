/**
 * Media workers (MEDIA_WORKERS): the sessions' werift connections live in worker threads, their
 * actors on the main thread with the HTTP routes. Real werift clients over loopback, a real clip
 * through the colour-region detector, a worker crashed on purpose.
 */
import { join } from 'node:path';
import type { StreamSummary } from '../../src/protocol';
import { eventually, finishTestServer, messages, startTestServer, type TestServer } from '../helpers/testServer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'video');
/** Tracks end by RTCP BYE here; inactivity must not end a session that waits for the others to connect. */
const byeEnds = { videoInactivityMs: 5000, audioInactivityMs: 5000 };

let server: TestServer | undefined;

/** The counting promise: every frame received is processed or dropped for a reason, once. */
function expectCountsAddUp(summary: StreamSummary): void {
  const byReason = Object.values(summary.dropped_by_reason).reduce((sum, n) => sum + (n ?? 0), 0);
  expect({ received: summary.total_frames_received, dropped: summary.total_frames_dropped }).toEqual({
    received: summary.total_frames_processed + summary.total_frames_dropped,
    dropped: byReason,
  });
  expect(summary.total_frames_not_sampled).toBeLessThanOrEqual(summary.total_frames_processed);
}

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

describe('media workers', () => {
  it('place sessions on the least loaded worker; each session streams, counts and ends with its summary', async () => {
    server = await startTestServer({ ...byeEnds, mediaWorkers: 2 });
    expect(server.mediaWorkers?.size).toBe(2);
    const connected: Array<Awaited<ReturnType<TestServer['connect']>>> = [];
    for (let i = 0; i < 4; i++) connected.push(await server.connect());
    expect(connected.map(({ peer }) => peer.location).sort()).toEqual(['media-1', 'media-1', 'media-2', 'media-2']);
    expect(server.mediaWorkers?.loads()).toEqual({ 'media-1': 2, 'media-2': 2 });

    await Promise.all(connected.map(({ client }, i) => client.sendVideoFrames(10 + i, { intervalMs: 5 })));
    // Counters are reported by the workers every 100 ms.
    const received = () => connected.map(({ peer }) => peer.view().counters.frames_received);
    await eventually(() => received().every((frames, i) => frames === 10 + i), 3000, 'counters reported').catch((error: Error) => {
      throw new Error(`${error.message}: frames received ${JSON.stringify(received())}`);
    });
    for (const { client } of connected) client.stopVideo();
    for (const { client } of connected) client.stopAudio();
    const closed = await Promise.all(connected.map(({ client }) => client.waitForStreamClosed(5000)));

    expect(closed.map((event) => event.summary.total_frames_received)).toEqual([10, 11, 12, 13]);
    expect(closed.map((event) => event.reason)).toEqual(['tracks_ended', 'tracks_ended', 'tracks_ended', 'tracks_ended']);
    // The released record holds the exact counters the worker closed with.
    for (const [i, { peer }] of connected.entries()) {
      await peer.released;
      expect(peer.view()).toMatchObject({ state: 'Released', counters: { frames_received: 10 + i }, faults: [] });
    }
    expect(server.mediaWorkers?.loads()).toEqual({ 'media-1': 0, 'media-2': 0 });
  });

  it("log a worker's entries through the server's logger, with the session's id", async () => {
    server = await startTestServer({ ...byeEnds, mediaWorkers: 1 });
    const { client, peer } = await server.connect({ audio: false });
    client.sendMessage({ type: 'no_such_message' });
    await eventually(() => messages(server!, peer.id).includes('Ignored data channel message'), 2000, 'the warning logged');
    client.stopVideo();
    await client.waitForStreamClosed(5000);
    await peer.released;
    const closedEntry = server.logs.find((entry) => entry.message === 'session.closed' && entry.session_id === peer.id);
    expect(closedEntry).toMatchObject({ level: 'info', reason: 'tracks_ended' });
  });

  it('decode and detect in the workers: a red square clip gives detection events and a summary with detections', async () => {
    server = await startTestServer({ ...byeEnds, mediaWorkers: 2, decodeWorkers: 2, detector: 'colour-region' });
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, 'vp8_red_square.ivf') });
    expect(peer.location).toMatch(/^media-/);
    await client.sendVideoFrames(60);
    const detection = (await client.waitForEvent('detection', 3000)) as unknown as { detections: unknown[]; frame_width: number };
    expect(detection).toMatchObject({ frame_width: 640 });
    expect(detection.detections).toHaveLength(1);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    expect(closed.summary).toMatchObject({ total_frames_received: 60 });
    expect(closed.summary.total_detections).toBeGreaterThan(0);
    expect(closed.summary.total_frames_processed + closed.summary.total_frames_dropped).toBe(60);
  });

  it("a crashed worker fails its sessions (released, not leaked), the other worker's go on, and a new worker takes new sessions", async () => {
    server = await startTestServer({ ...byeEnds, mediaWorkers: 2 });
    const first = await server.connect();
    const second = await server.connect();
    expect([first.peer.location, second.peer.location].sort()).toEqual(['media-1', 'media-2']);
    const [doomed, survivor] = first.peer.location === 'media-1' ? [first, second] : [second, first];

    // Frames the doomed worker counted and reported (every 100 ms) before it died.
    await doomed.client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => doomed.peer.view().counters.frames_received === 10, 3000, 'the doomed session\'s counters reported');
    await server.mediaWorkers!.crash('media-1');
    await doomed.peer.released;
    const view = doomed.peer.view();
    expect(view).toMatchObject({ state: 'Released', reason: 'peer_failed', counters: { frames_received: 10 } });
    expect(view.tracks.map((track) => [track.status, track.end_reason])).toEqual([
      ['stopped', 'peer_failed'],
      ['stopped', 'peer_failed'],
    ]);
    // Every effect that needs the worker failed, each recorded once; freezeCounters did not fail:
    // the main thread made the summary from the last report.
    const gone = 'media worker media-1 is gone (worker exited with code 1)';
    expect(view.faults).toEqual([`stopProcessors failed: ${gone}`, `emitSummary failed: ${gone}`, `closePeerConnection failed: ${gone}`]);
    const summary = view.summary!;
    expect(summary).toMatchObject({ partial: true, total_frames_received: 10, tracks_ended_by: { peer_failed: 2 } });
    expectCountsAddUp(summary);
    expect(messages(server)).toContain('Media worker died: its sessions failed; starting a new one');
    expect(survivor.peer.state).toBe('Active');

    await survivor.client.sendVideoFrames(5, { intervalMs: 5 });
    survivor.client.stopVideo();
    survivor.client.stopAudio();
    expect((await survivor.client.waitForStreamClosed(5000)).summary.total_frames_received).toBe(5);

    const later = await eventually(() => server!.mediaWorkers!.loads()['media-1'] === 0 && server, 3000, 'a new media-1');
    const after = await later.connect();
    await after.client.sendVideoFrames(5, { intervalMs: 5 });
    after.client.stopVideo();
    after.client.stopAudio();
    expect((await after.client.waitForStreamClosed(5000)).summary.total_frames_received).toBe(5);
    expect(after.peer.location).toBe('media-1');
    await doomed.client.close();
  });

  it('MEDIA_WORKERS=0 keeps the connections on the main thread', async () => {
    server = await startTestServer({ ...byeEnds, mediaWorkers: 0 });
    expect(server.mediaWorkers).toBeNull();
    const { client, peer } = await server.connect({ audio: false });
    expect(peer.location).toBe('main');
    client.stopVideo();
    await client.waitForStreamClosed(5000);
  });
});
