/**
 * The closing effects failing and timing out on real sessions (real server on loopback, real
 * werift clients), for the cases test/peer/faults.test.ts and test/server.test.ts do not cover:
 * freezeCounters failing and timing out, and emitSummary timing out against a live peer. Each
 * effect that hangs hangs forever (or until the test lets it go), and each delay is small: the
 * outcome never depends on the machine's speed. In every case the session is released, the fault
 * is recorded with its exact message, what can be delivered is, and the counts add up.
 */
import type { SessionView, StreamSummary } from '../../src/protocol';
import { Session } from '../../src/counters/session';
import { MediaPeer } from '../../src/peer/mediaPeer';
import { RemoteMediaPeer } from '../../src/mediaWorkers/remoteMediaPeer';
import { expectCountInvariant } from '../helpers/countInvariant';
import { eventually, finishTestServer, messages, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer;

afterEach(async () => {
  jest.restoreAllMocks();
  await finishTestServer(server);
});

/** The faults are injected into this thread's classes: the sessions' media must live here. */
const onMainThread = { mediaWorkers: 0 };

/** DELETE /sessions/<id>: the session's reason and summary, once it is released. */
async function deleteSession(peer: { id: string }): Promise<{ session_id: string; reason: string; summary: StreamSummary | null }> {
  const response = await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
  expect(response.status).toBe(200);
  return (await response.json()) as { session_id: string; reason: string; summary: StreamSummary | null };
}

/** GET /sessions/<id>: the session's record, with its state, faults and counters. */
async function record(peer: { id: string }): Promise<SessionView> {
  return (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as SessionView;
}

function expectCountsAddUp(counters: SessionView['counters']): void {
  expect(counters.frames_received).toBe(counters.frames_processed + counters.frames_dropped);
}

describe('closing effects that fail or time out on a real session', () => {
  it('freezeCounters failing: released with the fault; the summary made of the counters so far, marked partial, reaches the client, the DELETE answer and the record', async () => {
    server = await startTestServer(onMainThread);
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 2000, 'frames received');
    jest.spyOn(Session.prototype, 'close').mockImplementationOnce(() => {
      throw new Error('counters broke');
    });

    const answer = await deleteSession(peer);

    expect(answer).toMatchObject({ session_id: peer.id, reason: 'client_request', summary: { partial: true, total_frames_received: 10, tracks_ended_by: { client_request: 1 } } });
    expectCountInvariant(answer.summary!, 'the partial summary');
    const closed = await record(peer);
    expect(closed).toMatchObject({ state: 'Released', reason: 'client_request', faults: ['freezeCounters failed: counters broke'] });
    expect(closed.summary).toEqual(answer.summary);
    expect(messages(server, peer.id)).toEqual(expect.arrayContaining(['Session effect freezeCounters failed: counters broke', `Peer connection closed, session_id: ${peer.id}`]));
    expect(await client.waitForStreamClosed(2000)).toMatchObject({ reason: 'client_request', summary: answer.summary! });
    expect(server.manager.count).toBe(0);
  });

  it.each([
    ['on the main thread', 0],
    ['in a media worker (the partial summary from its last status report)', 1],
  ])('freezeCounters hanging (%s): abandoned after the close timeout; released with the fault and a partial summary whose counts add up', async (_where, mediaWorkers) => {
    server = await startTestServer({ mediaWorkers, timeouts: { closeTimeout: 300 } });
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 2000, 'frames received');
    const owner = mediaWorkers === 0 ? MediaPeer.prototype : RemoteMediaPeer.prototype;
    jest.spyOn(owner, 'freezeCounters').mockReturnValueOnce(new Promise(() => {}));

    const answer = await deleteSession(peer);

    expect(answer).toMatchObject({ session_id: peer.id, reason: 'client_request', summary: { partial: true, total_frames_received: 10 } });
    expectCountInvariant(answer.summary!, 'the partial summary');
    const closed = await record(peer);
    expect(closed).toMatchObject({ state: 'Released', reason: 'client_request', faults: ['freezeCounters timed out'] });
    expect(closed.summary).toEqual(answer.summary);
    expect(closed.timeline.map((entry) => entry.state)).toEqual(['Active', 'TrackEnding', 'StoppingProcessor', 'TrackEnding', 'ClosingSession', 'EmittingSummary', 'Cleanup', 'Released']);
    expect(messages(server, peer.id)).toContain('Session effect freezeCounters timed out');
    expect(await client.waitForStreamClosed(2000)).toMatchObject({ reason: 'client_request', summary: answer.summary! });
  });

  it.each([
    ['on the main thread', 0],
    ['in a media worker (the timeout aborts the wait there)', 1],
  ])('emitSummary timing out against a live peer that never acknowledges (%s): released with the fault; the summary still reaches the client, the DELETE answer and the log', async (_where, mediaWorkers) => {
    server = await startTestServer({ mediaWorkers, timeouts: { emitTimeout: 100 } });
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 2000, 'frames received');
    // The peer stays live (RTCP and STUN keep arriving, so the server waits for the
    // acknowledgement) but its SCTP never acknowledges anything again: stream_closed arrives,
    // its acknowledgement never does.
    const association = client.peerConnection.sctpTransport!.sctp as unknown as { sendSack: () => Promise<void> };
    association.sendSack = async () => {};
    client.startStreaming({ fps: 30 });

    const answer = await deleteSession(peer);
    const closed = await client.waitForStreamClosed(2000);

    expect(peer.location).toBe(mediaWorkers === 0 ? 'main' : 'media-1');
    expect(answer).toMatchObject({ session_id: peer.id, reason: 'client_request' });
    expect(await record(peer)).toMatchObject({ state: 'Released', reason: 'client_request', faults: ['emitSummary timed out'], summary: answer.summary });
    expect(messages(server, peer.id)).toEqual(expect.arrayContaining(['session.closed', 'Session effect emitSummary timed out']));
    expect(closed).toMatchObject({ reason: 'client_request', summary: answer.summary });
    const summary = answer.summary!;
    expect(summary.total_frames_received).toBeGreaterThanOrEqual(10);
    expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
    expect(summary.tracks_ended_by).toEqual({ client_request: 1 });
  });
});
