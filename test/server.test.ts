/**
 * The seed's acceptance criteria and alternative flows, end to end: the real server on an
 * ephemeral loopback port and real werift clients streaming RTP to it.
 */
import { analyzedWith, type FrameAnalyzer } from '../src/media/analyzer';
import { createPeerConnection } from '../src/webrtc/peerConnectionFactory';
import { startClientProcess } from './helpers/clientProcess';
import type { StreamingClient } from '../client/streamingClient';
import type { PeerSession } from '../src/sessions/peerSession';
import { eventually, finishTestServer, messages, serverConnection, startTestServer, type TestServer } from './helpers/testServer';
import { eventProblems } from './helpers/wireContract';

const INACTIVITY_MS = 300;
const fastEnding = { videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS };

let server: TestServer;

afterEach(async () => {
  await finishTestServer(server);
});

describe('session closure over real werift connections', () => {
  it('AC1: when the track ends, the running processor stops without errors', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(20, { intervalMs: 10 });
    expect(peer.view().tracks).toEqual([expect.objectContaining({ kind: 'video', status: 'live' })]);

    client.stopVideo();
    await peer.released;

    const view = peer.view();
    expect(view.tracks).toEqual([expect.objectContaining({ status: 'stopped', end_reason: 'rtcp_bye' })]);
    expect(view.faults).toEqual([]);
    expect(server.logs.filter((entry) => entry.level !== 'info' && entry.level !== 'debug')).toEqual([]);
    expect(view.counters.frames_processed).toBe(20);
  });

  it('AC2: the summary has a valid start_time, end_time and duration, logged as session.closed', async () => {
    server = await startTestServer(fastEnding);
    const before = Date.now();
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(10, { intervalMs: 10 });
    client.stopVideo();
    const summary = (await peer.released)!;
    const after = Date.now();

    expect(summary.start_time).toBeGreaterThanOrEqual(before);
    expect(summary.end_time).toBeGreaterThanOrEqual(summary.start_time);
    expect(summary.end_time).toBeLessThanOrEqual(after);
    expect(summary.duration_sec).toBeCloseTo((summary.end_time - summary.start_time) / 1000, 2);

    const closed = server.logs.find((entry) => entry.message === 'session.closed');
    expect(closed).toMatchObject({
      session_id: peer.id,
      start_time: summary.start_time,
      end_time: summary.end_time,
      frame_count: 10,
      audio_frame_count: 0,
      audio_seconds: 0,
      duration: summary.duration_sec,
    });
  });

  it('AC3: with the data channel open, the client receives stream_closed with the summary, last', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect();
    await client.waitForEvent('session_started', 2000);
    await Promise.all([
      client.sendVideoFrames(30, { intervalMs: 5 }),
      client.sendAudioFrames(15, { intervalMs: 5, level: { dbov: -20, voice: true } }).then(() => client.sendAudioFrames(10, { intervalMs: 5 })),
    ]);
    client.stopVideo();
    client.stopAudio();

    const closed = await client.waitForStreamClosed(5000);
    expect(closed).toMatchObject({ event_type: 'stream_closed', session_id: peer.id, reason: 'tracks_ended' });
    expect(eventProblems(closed, peer.id)).toEqual([]);
    expect(closed.summary).toMatchObject({ total_frames_received: 30, audio_frames: 25, audio_seconds: 0.5, ignored_rtp_packets: 0, ignored_rtcp_packets: 0 });
    // RFC 6464 levels: 15 packets of voice at -20 dBov, 10 of silence.
    expect(closed.summary).toMatchObject({ voice_activity_ratio: 0.6 });
    expect((closed.summary as unknown as { audio_level_dbov: number }).audio_level_dbov).toBeCloseTo(-22.2, 1);
    await peer.released;
    expect(client.events.at(-1)).toBe(closed);
  });

  it('AC4 / A1: with the data channel closed, nothing is emitted and cleanup proceeds', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.closeDataChannel();
    await eventually(() => peer.view().state === 'Active' && !peer.view().data_channel_open, 2000, 'data channel closed on the server');

    client.stopVideo();
    const summary = await peer.released;

    expect(summary).toMatchObject({ total_frames_received: 5 });
    expect(peer.view()).toMatchObject({ state: 'Released', faults: [] });
    expect(client.events.some((event) => event.event_type === 'stream_closed')).toBe(false);
    expect(messages(server, peer.id)).toEqual(expect.arrayContaining(['session.closed', `Peer connection closed, session_id: ${peer.id}`]));
  });

  it('AC5: once cleanup ran, the peer connection is out of the tracking set and closed; the summary stays readable', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect({ audio: false });
    expect(server.manager.get(peer.id) !== undefined).toBe(true);
    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    await peer.released;

    expect(server.manager.get(peer.id) !== undefined).toBe(false);
    expect(await peer.media.transportsClosed()).toBe(true);
    const record = (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({ session_id: peer.id, state: 'Released', summary: { total_frames_received: 5 } });
  });

  it('the record carries the timeline of states entered and the summary the time spent in each closing state', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    const live = (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as { timeline: Array<{ state: string; at: number }> };
    expect(live.timeline).toEqual([{ state: 'Active', at: expect.any(Number) }]);
    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    await peer.released;

    const record = (await (await fetch(`${server.url}/sessions/${peer.id}`)).json()) as {
      timeline: Array<{ state: string; at: number }>;
      close_ms_by_state: Record<string, number>;
      summary: { close_ms_by_state: Record<string, number> };
    };
    expect(record.timeline.map((entry) => entry.state)).toEqual([
      'Active',
      'TrackEnding',
      'StoppingProcessor',
      'TrackEnding',
      'ClosingSession',
      'EmittingSummary',
      'Cleanup',
      'Released',
    ]);
    const times = record.timeline.map((entry) => entry.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBe(live.timeline[0]!.at);
    expect(Object.keys(record.close_ms_by_state).sort()).toEqual(['Cleanup', 'ClosingSession', 'EmittingSummary', 'StoppingProcessor', 'TrackEnding']);
    const at = (state: string, nth = 0) => record.timeline.filter((entry) => entry.state === state)[nth]!.at;
    expect(record.close_ms_by_state.EmittingSummary).toBe(at('Cleanup') - at('EmittingSummary'));
    expect(record.close_ms_by_state.StoppingProcessor).toBe(at('TrackEnding', 1) - at('StoppingProcessor'));
    // The summary is made in ClosingSession: it counts the states up to then, the same in stream_closed and the record.
    expect(Object.keys(record.summary.close_ms_by_state).sort()).toEqual(['ClosingSession', 'StoppingProcessor', 'TrackEnding']);
    expect(record.summary.close_ms_by_state.StoppingProcessor).toBe(record.close_ms_by_state.StoppingProcessor);
    expect(closed.summary).toEqual(record.summary);
  });

  it('AC6 / A5: server shutdown closes every connection concurrently, each client still gets stream_closed', async () => {
    server = await startTestServer();
    const connected = await Promise.all([server.connect(), server.connect(), server.connect()]);
    for (const { client } of connected) client.startStreaming({ fps: 30 });
    await eventually(() => connected.every(({ peer }) => peer.view().counters.frames_received > 3), 3000, 'media flowing');

    await server.close();

    for (const { client, peer } of connected) {
      const closed = await client.waitForStreamClosed(1000);
      expect(closed).toMatchObject({ session_id: peer.id, reason: 'server_shutdown' });
      expect(eventProblems(closed, peer.id)).toEqual([]);
      expect(peer.isReleased).toBe(true);
    }
    // Concurrent: every session had started closing before the first one was released.
    const order = server.logs.map((entry) => entry.message);
    const lastCloseRequest = order.lastIndexOf('Session close requested');
    const firstReleased = order.findIndex((message) => message.startsWith('Peer connection closed, session_id'));
    expect(lastCloseRequest).toBeLessThan(firstReleased);
    expect(order).toEqual(expect.arrayContaining(['Shutting down, closing all peer connections...', 'All peer connections closed']));
  });

  it('AC7: 1200 frames received with 20 dropped gives total_frames_received 1200 and total_frames_dropped 20', async () => {
    // The first frame's analysis stalls until 31 frames have arrived: 10 wait in the buffer, 20 are dropped.
    let releaseStall!: () => void;
    const stall = new Promise<void>((resolve) => (releaseStall = resolve));
    let analysed = 0;
    const stallingAnalyzer: FrameAnalyzer = {
      analyze: async () => {
        if (analysed++ === 0) await stall;
        return analyzedWith([]);
      },
    };
    server = await startTestServer({ ...fastEnding, frameBufferSize: 10 }, stallingAnalyzer);
    const { client, peer } = await server.connect({ audio: false });

    await client.sendVideoFrames(31, { intervalMs: 1, packetsPerFrame: 1 });
    await eventually(() => peer.view().counters.frames_received === 31, 3000, '31 frames received');
    expect(peer.view().counters.frames_dropped).toBe(20);
    releaseStall();
    await client.sendVideoFrames(1169, { intervalMs: 1, packetsPerFrame: 1 });
    client.stopVideo();

    const closed = await client.waitForStreamClosed(5000);
    expect(closed.summary).toMatchObject({
      total_frames_received: 1200,
      total_frames_processed: 1180,
      total_frames_dropped: 20,
      dropped_by_reason: { buffer_full: 20 },
    });
  });

  it('A3: with video and audio, the session stays active when video ends and closes when audio ends', async () => {
    server = await startTestServer(fastEnding);
    const { client, peer } = await server.connect();
    client.startStreaming({ fps: 30 });
    await eventually(() => peer.view().counters.audio_frames > 5, 3000, 'audio flowing');

    client.stopVideo({ bye: false });
    await eventually(() => peer.view().tracks.find((track) => track.kind === 'video')?.status === 'stopped', 3000, 'video stopped');
    await new Promise((resolve) => setTimeout(resolve, INACTIVITY_MS * 2));
    const midway = peer.view();
    expect(midway.state).toBe('Active');
    expect(midway.tracks.find((track) => track.kind === 'audio')?.status).toBe('live');
    expect(client.events.some((event) => event.event_type === 'stream_closed')).toBe(false);

    await client.sendAudioFrames(10, { intervalMs: 5 }).catch(() => {});
    client.stopAudio({ bye: false });
    const closed = await client.waitForStreamClosed(5000);
    expect(closed.reason).toBe('tracks_ended');
    expect(closed.summary).toMatchObject({ tracks_ended_by: { inactivity: 2 } });
    expect(closed.summary.audio_seconds).toBeGreaterThan(midway.counters.audio_seconds);
    expect(messages(server, peer.id).filter((message) => message === 'Track ended')).toHaveLength(2);
  });

  it('an RTCP BYE for each track ends the session long before inactivity would', async () => {
    server = await startTestServer({ videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const { client, peer } = await server.connect();
    await Promise.all([client.sendVideoFrames(10, { intervalMs: 5 }), client.sendAudioFrames(10, { intervalMs: 5 })]);
    client.stopVideo();
    client.stopAudio();
    const closed = await client.waitForStreamClosed(3000);
    expect(closed).toMatchObject({ reason: 'tracks_ended', summary: { tracks_ended_by: { rtcp_bye: 2 } } });
    await peer.released;
  });

  it('a transceiver stopped by renegotiation ends its track (werift "ended"); the other track keeps the session open', async () => {
    server = await startTestServer({ videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const { client, peer } = await server.connect();
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await client.stopTransceiver('video');
    await eventually(() => peer.view().tracks.find((track) => track.kind === 'video')?.status === 'stopped', 3000, 'video ended');
    expect(peer.view()).toMatchObject({ state: 'Active' });
    expect(peer.view().tracks.find((track) => track.kind === 'video')?.end_reason).toBe('transceiver_stopped');

    client.stopAudio();
    const closed = await client.waitForStreamClosed(3000);
    expect(closed.summary).toMatchObject({ tracks_ended_by: { transceiver_stopped: 1, rtcp_bye: 1 } });
    await peer.released;
  });

  it('an ICE restart by renegotiation keeps the session, its data channel and its counters', async () => {
    server = await startTestServer({ videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 3000);
    await client.sendVideoFrames(5, { intervalMs: 10 });
    await eventually(() => peer.view().counters.frames_received >= 5, 3000, 'frames before the restart');
    const ufragBefore = /a=ice-ufrag:(\S+)/.exec(client.peerConnection.remoteDescription!.sdp)![1];

    await client.restartIce();
    expect(/a=ice-ufrag:(\S+)/.exec(client.peerConnection.remoteDescription!.sdp)![1]).not.toBe(ufragBefore);
    const [ice] = client.peerConnection.iceTransports;
    await eventually(() => ice?.iceRestarts === 1 && ice.connection.nominated !== undefined, 10_000, 'the client to check the new ICE session');
    await client.sendVideoFrames(5, { intervalMs: 10 });
    await eventually(() => peer.view().counters.frames_received >= 10, 3000, 'frames after the restart');
    expect(peer.view()).toMatchObject({ state: 'Active', data_channel_open: true });
    expect(server.manager.get(peer.id)).toBe(peer);

    // The data channel still carries the summary: SCTP and DTLS outlived the ICE session.
    client.sendMessage({ type: 'end_stream' });
    const closed = await client.waitForStreamClosed(3000);
    expect(closed).toMatchObject({ reason: 'client_request', summary: { total_frames_received: 10 } });
    await peer.released;
  });

  it('a remote pc.close() (SCTP ABORT) releases the session with reason peer_closed, without waiting for ICE', async () => {
    server = await startTestServer({ videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const { client, peer } = await server.connect();
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await client.close();
    await eventually(() => peer.isReleased, 3000, 'session released');
    expect(peer.view()).toMatchObject({ reason: 'peer_closed', summary: { total_frames_received: 5 } });
  });

  it('a client killed with SIGKILL (no goodbye at all) is released once its tracks go silent', async () => {
    server = await startTestServer(fastEnding);
    const { child, sessionId } = await startClientProcess(server.url);
    const peer = server.manager.get(sessionId)!;
    server.peers.push(peer);
    await eventually(() => peer.view().counters.audio_frames > 10, 5000, 'audio flowing');

    child.kill('SIGKILL');
    await eventually(() => peer.isReleased, 5000, 'session released');

    expect(peer.view()).toMatchObject({ reason: 'tracks_ended', summary: { tracks_ended_by: { inactivity: 2 } } });
  });

  it('A4: pc.close() throwing is logged as a cleanup error and the session is still released', async () => {
    server = await startTestServer({ ...fastEnding, mediaWorkers: 0 });
    const { client, peer } = await server.connect({ audio: false });
    const realClose = serverConnection(peer).close.bind(serverConnection(peer));
    const closeSpy = jest.spyOn(serverConnection(peer), 'close').mockRejectedValueOnce(new Error('transport already gone'));

    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    await peer.released;

    expect(closeSpy).toHaveBeenCalledTimes(1);
    expect(closed.summary.total_frames_received).toBe(5);
    expect(closed.summary.total_frames_received).toBe(closed.summary.total_frames_processed + closed.summary.total_frames_dropped);
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'tracks_ended', summary: closed.summary, faults: ['closePeerConnection failed: transport already gone'] });
    expect(server.manager.count).toBe(0);
    expect(messages(server, peer.id)).toContain('Error during cleanup: closePeerConnection failed: transport already gone');
    closeSpy.mockRestore();
    await realClose();
  });

  it('A4: a pc.close() that hangs is abandoned after the cleanup timeout', async () => {
    server = await startTestServer({ ...fastEnding, mediaWorkers: 0, timeouts: { cleanupTimeout: 200 } });
    const { client, peer } = await server.connect({ audio: false });
    const realClose = serverConnection(peer).close.bind(serverConnection(peer));
    jest.spyOn(serverConnection(peer), 'close').mockReturnValueOnce(new Promise(() => {}));

    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    await peer.released;

    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'tracks_ended', summary: closed.summary, faults: ['closePeerConnection timed out'] });
    expect(closed.summary.total_frames_received).toBe(5);
    expect(closed.summary.total_frames_received).toBe(closed.summary.total_frames_processed + closed.summary.total_frames_dropped);
    expect(messages(server, peer.id)).toContain('Error during cleanup: closePeerConnection timed out');
    expect(server.manager.count).toBe(0);
    jest.restoreAllMocks();
    await realClose();
  });

  it('DELETE /sessions/:id ends the session with reason client_request and returns the final summary', async () => {
    server = await startTestServer();
    const { client, peer } = await server.connect();
    await client.sendVideoFrames(12, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 12, 2000, 'frames received');

    const response = await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
    const body = (await response.json()) as { reason: string; summary: Record<string, unknown> };

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ reason: 'client_request', summary: { total_frames_received: 12 } });
    expect(await client.waitForStreamClosed(1000)).toMatchObject({ reason: 'client_request', summary: body.summary });
    const again = await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
    expect(await again.json()).toEqual(body);
  });

  it('a DELETE, a data channel end_stream and shutdown arriving together close the session once, for the first one\'s reason', async () => {
    server = await startTestServer();
    const { client, peer } = await server.connect();
    await client.waitForEvent('session_started', 2000);
    client.sendMessage({ type: 'end_stream' });
    // The end_stream and the DELETE reach the server through its event loop; peer.close() sends
    // SHUTDOWN to the actor at once, in this same turn: it is the first of the three to arrive.
    const [deleted] = await Promise.all([
      fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' }),
      peer.close('SHUTDOWN'),
    ]);
    expect(deleted.status).toBe(200);
    await peer.released;
    const log = messages(server, peer.id);
    expect(log.filter((message) => message === 'session.closed')).toHaveLength(1);
    expect(log.filter((message) => message.startsWith('Peer connection closed'))).toHaveLength(1);
    expect(client.events.filter((event) => event.event_type === 'stream_closed')).toHaveLength(1);
    await expectReasonEverywhere('server_shutdown', { server, peer, client, deleteAnswer: await deleted.json() });
  });

  // Each close trigger is sent once the one before it has reached the actor, while a stalled
  // analysis holds the session in StoppingProcessor: the order is known, and the later triggers
  // arrive while the session is closing, where a rule that let them change the reason would show.
  it.each([
    [['SHUTDOWN', 'DELETE', 'end_stream'], 'server_shutdown'],
    [['DELETE', 'end_stream', 'SHUTDOWN'], 'client_request'],
    [['end_stream', 'SHUTDOWN', 'DELETE'], 'client_request'],
  ] as const)('close triggers arriving in the order %j while the session closes: the reason is %s, everywhere', async (order, reason) => {
    let releaseAnalysis!: () => void;
    const stalled = new Promise<void>((resolve) => (releaseAnalysis = resolve));
    const stallingAnalyzer: FrameAnalyzer = {
      analyze: async () => {
        await stalled;
        return analyzedWith([]);
      },
    };
    // The stop waits for the stalled analysis; its timeout is far beyond the test's own release.
    server = await startTestServer({ timeouts: { stopTimeout: 60_000 } }, stallingAnalyzer);
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(3, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 3, 2000, 'frames received');

    const closeRequests = () => messages(server, peer.id).filter((message) => message === 'Session close requested').length;
    let deleting: Promise<Response> | undefined;
    for (const [index, trigger] of order.entries()) {
      if (trigger === 'SHUTDOWN') void peer.close('SHUTDOWN');
      if (trigger === 'DELETE') deleting = fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
      if (trigger === 'end_stream') client.sendMessage({ type: 'end_stream' });
      await eventually(() => closeRequests() === index + 1, 3000, `${trigger} to reach the actor`);
    }
    expect(peer.view().state).toBe('StoppingProcessor');
    releaseAnalysis();

    const deleted = await deleting!;
    expect(deleted.status).toBe(200);
    await peer.released;
    expect(peer.view().faults).toEqual([]);
    expect(messages(server, peer.id).filter((message) => message === 'session.closed')).toHaveLength(1);
    await expectReasonEverywhere(reason, { server, peer, client, deleteAnswer: await deleted.json() });
  });

  it('a client message {"type": "end_stream"} ends the session with reason client_request; bad messages are counted and ignored', async () => {
    server = await startTestServer();
    const { client, peer } = await server.connect();
    await client.sendVideoFrames(3, { intervalMs: 5 });
    client.sendMessage('not json');
    client.sendMessage({ type: 'dance' });
    // Over MAX_CLIENT_MESSAGE_BYTES, sent as a client that ignores the answer's a=max-message-size would.
    (client.peerConnection.sctpTransport as unknown as { remoteMaxMessageSize: number }).remoteMaxMessageSize = 0;
    client.sendMessage(JSON.stringify({ type: 'end_stream', padding: 'x'.repeat(20_000) }));
    await eventually(() => peer.view().counters.ignored_client_messages === 3, 2000, 'bad messages counted');
    expect(peer.view().state).toBe('Active');
    client.sendMessage({ type: 'end_stream' });
    expect(await client.waitForStreamClosed(2000)).toMatchObject({ reason: 'client_request', summary: { ignored_client_messages: 3 } });
    await peer.released;
  });

  it('bad RTP and RTCP packets are counted, logged and ignored; the stream goes on', async () => {
    server = await startTestServer();
    const { client, peer } = await server.connect({ audio: false });
    const clientIce = client.peerConnection.iceTransports[0]!.connection;
    const unauthenticatedRtp = Buffer.concat([Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.alloc(100, 7)]);
    const unauthenticatedRtcp = Buffer.concat([Buffer.from([0x80, 200, 0, 6]), Buffer.alloc(40, 9)]);
    for (let i = 0; i < 12; i++) await clientIce.send(unauthenticatedRtp);
    await clientIce.send(unauthenticatedRtcp);
    await eventually(() => peer.view().counters.ignored_rtp_packets === 12 && peer.view().counters.ignored_rtcp_packets === 1, 2000, 'bad packets counted');

    await client.sendVideoFrames(30, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received >= 29, 2000, 'frames after the bad packets');
    await client.stopVideo();
    const closed = await client.waitForStreamClosed(2000);
    expect(closed.summary).toMatchObject({ ignored_rtp_packets: 12, ignored_rtcp_packets: 1 });
    const warnings = server.logs.filter((entry) => entry.session_id === peer.id && entry.message.startsWith('Ignored bad'));
    expect(warnings.map((entry) => [entry.message, entry.ignored_so_far])).toEqual([
      ['Ignored bad RTP packet', 1],
      ['Ignored bad RTP packet', 10],
      ['Ignored bad RTCP packet', 1],
    ]);
    await peer.released;
  });

  it('a session closed before its connection is set up is released with nothing left running', async () => {
    server = await startTestServer({ connectTimeout: 400 });
    // An offer whose answer the client never applies: ICE never completes.
    const offer = await rawOffer();
    const response = await fetch(`${server.url}/offer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'offer', sdp: offer.sdp }),
    });
    const { session_id: sessionId } = (await response.json()) as { session_id: string };
    const peer = server.manager.get(sessionId)!;
    server.peers.push(peer);

    const summary = await peer.released;
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'peer_failed' });
    expect(summary).toMatchObject({ total_frames_received: 0 });
    expect(await peer.media.transportsClosed()).toBe(true);
    await offer.close();
  });
});

/**
 * The session's close reason is the same in its record, the DELETE answer, the client's
 * stream_closed, the logged session.closed, and in every track the close ended.
 */
async function expectReasonEverywhere(
  reason: string,
  { server, peer, client, deleteAnswer }: { server: TestServer; peer: PeerSession; client: StreamingClient; deleteAnswer: unknown },
): Promise<void> {
  await client.waitForStreamClosed(2000);
  const view = peer.view();
  expect(view).toMatchObject({ state: 'Released', reason });
  expect(deleteAnswer).toMatchObject({ session_id: peer.id, reason, summary: view.summary });
  const closed = client.events.filter((event) => event.event_type === 'stream_closed');
  expect(closed).toEqual([expect.objectContaining({ reason, summary: view.summary })]);
  const logged = server.logs.filter((entry) => entry.session_id === peer.id && entry.message === 'session.closed');
  expect(logged).toEqual([expect.objectContaining({ reason })]);
  const { summary } = view;
  expect(summary!.total_frames_received).toBe(summary!.total_frames_processed + summary!.total_frames_dropped);
  const trackCount = view.tracks.length;
  expect(summary!.tracks_ended_by).toEqual(trackCount === 0 ? {} : { [reason]: trackCount });
}

async function rawOffer() {
  const options = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };
  const pc = createPeerConnection(options);
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}
