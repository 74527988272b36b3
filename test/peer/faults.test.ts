/**
 * Faults injected into the parts a session depends on: each one is logged, the session still
 * reaches Released with its summary, and other sessions are not affected.
 */
import { RTCDataChannel } from 'werift';
import { analyzedWith, type FrameAnalysis, type FrameAnalyzer } from '../../src/media/analyzer';
import { VideoProcessor } from '../../src/media/videoProcessor';
import { MediaPeer } from '../../src/peer/mediaPeer';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { eventually, finishTestServer, messages, startTestServer, type TestServer } from '../helpers/testServer';
import { answer, startReceiver, type Receiver } from '../helpers/webhookReceiver';

let server: TestServer;
let receiver: Receiver | undefined;
/** The faults are injected into this thread's classes: the sessions' media must live here. */
const onMainThread = { mediaWorkers: 0 };

afterEach(async () => {
  jest.restoreAllMocks();
  await finishTestServer(server);
  await receiver?.close();
  receiver = undefined;
});

function expectBalancedSummary(summary: { total_frames_received: number; total_frames_processed: number; total_frames_dropped: number } | null) {
  expect(summary).not.toBeNull();
  expect(summary!.total_frames_received).toBe(summary!.total_frames_processed + summary!.total_frames_dropped);
}

describe('fault injection', () => {
  it('a processor stop() that throws is logged and the session is still released', async () => {
    server = await startTestServer(onMainThread);
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 2000, 'frames received');
    jest.spyOn(VideoProcessor.prototype, 'stop').mockRejectedValueOnce(new Error('processor exploded'));

    const summary = await peer.close();

    expect(peer.view().faults).toEqual(['stopProcessors failed: processor exploded']);
    expectBalancedSummary(summary);
    expect(messages(server, peer.id)).toContain('Session effect stopProcessors failed: processor exploded');
  });

  it('a processor stop() that hangs is abandoned after the stop timeout; frames in flight count as dropped', async () => {
    let releaseAnalysis!: () => void;
    const stuck: FrameAnalyzer = { analyze: () => new Promise<FrameAnalysis>((resolve) => (releaseAnalysis = () => resolve(analyzedWith([])))) };
    server = await startTestServer({ timeouts: { stopTimeout: 200 } }, stuck);
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 5, 2000, 'frames received');

    const summary = await peer.close();
    releaseAnalysis();

    expect(peer.view().faults).toEqual(['stopProcessors timed out']);
    expectBalancedSummary(summary);
    expect(summary!.dropped_by_reason).toMatchObject({ queued_at_stop: 4, in_flight_at_close: 1 });
  });

  it('a detector that throws costs only the frames it failed on', async () => {
    let calls = 0;
    const flaky: FrameAnalyzer = {
      analyze: () => {
        if (++calls % 2 === 0) throw new Error('detector crashed');
        return analyzedWith([]);
      },
    };
    server = await startTestServer({}, flaky);
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 2000, 'frames received');

    const summary = await peer.close();

    expect(summary).toMatchObject({ total_frames_processed: 5, dropped_by_reason: { analysis_error: 5 } });
    expect(peer.view().faults).toEqual([]);
  });

  it('a data channel send that fails loses nothing: the summary is logged and stays readable', async () => {
    server = await startTestServer(onMainThread);
    const { client, peer } = await server.connect();
    const send = RTCDataChannel.prototype.send;
    jest.spyOn(RTCDataChannel.prototype, 'send').mockImplementation(function (this: RTCDataChannel, data) {
      if (String(data).includes('stream_closed')) throw new Error('channel broke');
      return send.call(this, data);
    });

    await peer.close();

    expect(peer.view().faults).toEqual(['emitSummary failed: channel broke']);
    const record = (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as { summary: unknown };
    expect(record.summary).toMatchObject({ total_frames_received: 0 });
    expect(messages(server, peer.id)).toContain('session.closed');
    expect(client.events.some((event) => event.event_type === 'stream_closed')).toBe(false);
  });

  it('an exception inside a werift callback is logged and the session and server go on', async () => {
    server = await startTestServer(onMainThread);
    jest.spyOn(MediaPeer.prototype as unknown as { addTrack: () => void }, 'addTrack').mockImplementationOnce(() => {
      throw new Error('callback defect');
    });
    const { client, peer } = await server.connect();
    expect(server.logs.some((entry) => entry.message === 'Error in peer connection callback' && entry.error === 'callback defect')).toBe(true);

    const other = await server.connect();
    await other.client.sendVideoFrames(3, { intervalMs: 5 });
    await eventually(() => other.peer.view().counters.frames_received === 3, 2000, 'the other session streams');
    await Promise.all([peer.close(), other.peer.close()]);
    expect(client.closed).toBe(false);
  });

  it('a media worker that dies loses no summary: its sessions are released with a partial one, kept and delivered', async () => {
    receiver = await startReceiver(answer(204));
    server = await startTestServer({ mediaWorkers: 1, summaryWebhookUrl: receiver.url, videoInactivityMs: 5000, audioInactivityMs: 5000 });
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(10, { intervalMs: 5 });
    // The worker reports its sessions' counters every 100 ms: these are what survive it.
    await eventually(() => peer.view().counters.frames_received === 10, 3000, 'counters reported');

    await server.mediaWorkers!.crash('media-1');
    const summary = await peer.released;

    const expected = { partial: true, total_frames_received: 10, tracks_ended_by: { peer_failed: 1 } };
    expect(summary).toMatchObject(expected);
    expectBalancedSummary(summary);
    const record = (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as { reason: string; summary: unknown };
    expect(record).toMatchObject({ reason: 'peer_failed', summary: expected });
    await eventually(() => receiver!.requests.length === 1, 3000, 'the webhook delivery');
    expect(receiver.requests[0]!.body).toMatchObject({ session_id: peer.id, reason: 'peer_failed', summary: expected });
    await client.close();
  });

  it.each([
    ['on the main thread', 0],
    ['in a media worker (which may answer before it hears of the close)', 1],
  ])('a close requested during ICE gathering releases the session and rejects the offer (%s)', async (_where, mediaWorkers) => {
    server = await startTestServer({ mediaWorkers });
    const options = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };
    const offerer = createPeerConnection(options);
    offerer.addTransceiver('video', { direction: 'sendonly' });
    await offerer.setLocalDescription(await offerer.createOffer());

    const creating = server.manager.createSession(offerer.localDescription!.sdp);
    const peer = server.manager.live()[0]!;
    server.peers.push(peer);
    const closing = peer.close();

    await expect(creating).rejects.toThrow(/session closed during negotiation/);
    await closing;
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'client_request' });
    await offerer.close();
  });
});
