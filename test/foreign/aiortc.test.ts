import { createServer, type Server, type Socket } from 'node:net';
import { expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import { requireAiortc, runAiortc, type AiortcOptions, type AiortcRun, type AiortcSession, type TrackRecord } from './aiortcClient';
import { sessionEventsProblems, summaryProblems } from '../helpers/wireContract';

/**
 * The server against a WebRTC stack this repo did not write: aiortc (Python, OpenSSL DTLS, its
 * own SCTP and RTCP). Correctness only; how long things take is measured by the benchmarks.
 */

const MEDIA_SECONDS = 2;
const TEST_TIMEOUT_MS = 60_000;

interface ServerRecord {
  state: string;
  reason: string | null;
  tracks: TrackRecord[];
  summary: Record<string, number | unknown> | null;
}

let server: TestServer;

beforeAll(async () => {
  requireAiortc(); // fails (not skips) every test here, naming python3-aiortc
  // A real detector, so the client also receives (and we check) detection events computed from
  // aiortc's own VP8 encoding of a red square.
  server = await startTestServer({ detector: 'colour-region' });
});

afterAll(async () => {
  await server?.close();
});

afterEach(async () => {
  if (!server) return; // beforeAll failed, and said why
  await expectNothingLeft(server);
  server.peers.length = 0;
});

/** Runs the client against the test server; throws with its errors and stderr unless every session succeeded. */
async function runClient(options: Omit<AiortcOptions, 'url' | 'onLine'>): Promise<AiortcSession[]> {
  const run = await runAiortc({
    url: server.url,
    mediaSeconds: MEDIA_SECONDS,
    waitSeconds: 10,
    ...options,
    // While the session is live, its server side joins server.peers for expectNothingLeft.
    onLine: (line) => {
      if (line.event !== 'connected') return;
      const peer = server.manager.get(line.session_id);
      if (!peer) throw new Error(`aiortc session ${line.session_id} connected but is not in the tracking set`);
      server.peers.push(peer);
    },
  });
  const failures = runFailures(run);
  if (failures.length > 0) throw new Error(`aiortc client failed: ${failures.join('; ')}\nstderr:\n${run.stderr.slice(-4000)}`);
  return run.sessions;
}

function runFailures(run: AiortcRun): string[] {
  return [
    ...(run.exitCode === 0 ? [] : [`exit code ${run.exitCode} (signal ${run.signal})`]),
    ...(run.timedOut ? ['killed after its timeout'] : []),
    ...run.unparsed.map((text) => `unparsed line ${text}`),
    ...run.listenerErrors,
    ...run.sessions.flatMap((session) =>
      session.done ? session.done.errors.map((error) => `session ${session.index}: ${error}`) : [`session ${session.index}: no done line`],
    ),
  ];
}

async function fetchRecord(sessionId: string): Promise<ServerRecord> {
  const response = await fetch(`${server.url}/sessions/${sessionId}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ServerRecord;
}

/**
 * The server's own record of the session: Released with `reason`, both tracks ended by
 * `trackEndReason`, and a summary that adds up, counts media, and is what the client read.
 */
async function expectReleased(session: AiortcSession, reason: string, trackEndReason: string): Promise<Record<string, unknown>> {
  const record = await fetchRecord(session.sessionId!);
  expect({ state: record.state, reason: record.reason }).toEqual({ state: 'Released', reason });
  const tracks = record.tracks.map(({ kind, status, end_reason }) => ({ kind, status, end_reason }));
  expect(tracks.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
    { kind: 'audio', status: 'stopped', end_reason: trackEndReason },
    { kind: 'video', status: 'stopped', end_reason: trackEndReason },
  ]);
  const summary = record.summary!;
  expect(summaryProblems(summary)).toEqual([]);
  expect(summary.tracks_ended_by).toEqual({ [trackEndReason]: 2 });
  // Frames and audio arrived, and never more than aiortc sent.
  const done = session.done!;
  expect(summary.total_frames_received).toBeGreaterThan(0);
  expect(summary.total_frames_received).toBeLessThanOrEqual(done.video_frames_sent);
  expect(summary.audio_frames).toBeGreaterThan(0);
  expect(summary.audio_frames).toBeLessThanOrEqual(done.audio_frames_sent);
  // What the client polled over GET /sessions/<id> is the same final record.
  expect(session.record).toMatchObject({ state: 'Released', reason, summary });
  return summary;
}

/** The data channel: every message valid per API.md, session_started first, stream_closed last, once each. */
function expectEventsFollowContract(session: AiortcSession, reason: string, summary: Record<string, unknown>): void {
  const events = session.messages.map((message) => message.data);
  expect(sessionEventsProblems(events, session.sessionId!)).toEqual([]);
  expect(session.done!.event_types).toEqual(session.messages.map((message) => message.event_type));
  expect(session.streamClosed).toMatchObject({ reason, summary });
  expect(events[events.length - 1]).toMatchObject({ event_type: 'stream_closed', session_id: session.sessionId, reason, summary });
}

describe('aiortc client (python3-aiortc) against the server', () => {
  it('/offer: video and audio, senders stopped (RTCP BYE): stream_closed tracks_ended, tracks ended by rtcp_bye', async () => {
    const [session] = await runClient({ route: 'offer', end: 'bye' });
    expect(session!.connected?.route).toBe('offer');
    expect([session!.ending?.action, session!.actionDone?.action]).toEqual(['bye', 'bye']);
    const summary = await expectReleased(session!, 'tracks_ended', 'rtcp_bye');
    expectEventsFollowContract(session!, 'tracks_ended', summary);
    // aiortc's VP8 decodes on the server: the red square it sends is found.
    const detections = session!.messages.filter((message) => message.event_type === 'detection');
    expect(detections.length).toBeGreaterThan(0);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(detections[0]!.data).toMatchObject({ frame_width: 320, frame_height: 240 });
  }, TEST_TIMEOUT_MS);

  it('/whip: no data channel, senders stopped (RTCP BYE): the record says tracks_ended', async () => {
    const [session] = await runClient({ route: 'whip', end: 'bye' });
    expect(session!.connected?.route).toBe('whip');
    await expectReleased(session!, 'tracks_ended', 'rtcp_bye');
    expect(session!.messages).toEqual([]);
    expect(session!.streamClosed).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('/offer: {"type": "end_stream"} on the data channel: stream_closed client_request', async () => {
    const [session] = await runClient({ route: 'offer', end: 'end_stream' });
    const summary = await expectReleased(session!, 'client_request', 'client_request');
    expectEventsFollowContract(session!, 'client_request', summary);
  }, TEST_TIMEOUT_MS);

  it('/offer: DELETE /sessions/<id> answers 200 with the final summary, and stream_closed still arrives', async () => {
    const [session] = await runClient({ route: 'offer', end: 'delete' });
    const summary = await expectReleased(session!, 'client_request', 'client_request');
    expectEventsFollowContract(session!, 'client_request', summary);
    expect(session!.deleteResponse).toMatchObject({ status: 200, body: { session_id: session!.sessionId, reason: 'client_request', summary } });
  }, TEST_TIMEOUT_MS);

  it('/whip: DELETE /whip/<id> ends the session with client_request', async () => {
    const [session] = await runClient({ route: 'whip', end: 'delete' });
    await expectReleased(session!, 'client_request', 'client_request');
    expect(session!.deleteResponse?.status).toBe(200);
  }, TEST_TIMEOUT_MS);

  it('/offer: pc.close() releases the session; aiortc stops its senders first, so the tracks end by rtcp_bye', async () => {
    const [session] = await runClient({ route: 'offer', end: 'close' });
    // aiortc's close() sends both BYEs, then an SCTP ABORT. Both tracks end by BYE; the session's
    // reason is tracks_ended, or peer_closed when the ABORT arrives while the processors stop.
    const { reason } = await fetchRecord(session!.sessionId!);
    expect(['tracks_ended', 'peer_closed']).toContain(reason);
    await expectReleased(session!, reason!, 'rtcp_bye');
    // The client closed first: no stream_closed can reach it, but what did arrive is valid, in order.
    const events = session!.messages.map((message) => message.data);
    expect(sessionEventsProblems(events, session!.sessionId!, 'if_sent')).toEqual([]);
    expect(events[0]).toEqual({ event_type: 'session_started', session_id: session!.sessionId });
  }, TEST_TIMEOUT_MS);

  it('5 concurrent sessions from one process: each its own session, each closed with its own summary', async () => {
    const sessions = await runClient({ route: 'offer', end: 'bye', sessions: 5, spreadMs: 500 });
    expect(sessions).toHaveLength(5);
    expect(new Set(sessions.map((session) => session.sessionId)).size).toBe(5);
    for (const session of sessions) {
      const summary = await expectReleased(session, 'tracks_ended', 'rtcp_bye');
      expectEventsFollowContract(session, 'tracks_ended', summary);
    }
  }, TEST_TIMEOUT_MS);
});

describe('aiortc driver', () => {
  it('reports a session that could not start: exit code 1, the HTTP error in its done line', async () => {
    const run = await runAiortc({ url: `${server.url}/no-such-prefix`, mediaSeconds: 0, waitSeconds: 5 });
    expect({ exitCode: run.exitCode, timedOut: run.timedOut }).toEqual({ exitCode: 1, timedOut: false });
    expect(run.sessions[0]!.done).toMatchObject({ ok: false, session_id: null });
    expect(run.sessions[0]!.done!.errors.join()).toMatch(/POST \/offer answered 404/);
  }, TEST_TIMEOUT_MS);

  it('kills the client when it outlives its timeout', async () => {
    // A listener that accepts and never answers: the client's POST hangs, and no session exists.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const run = await runAiortc({ url: `http://127.0.0.1:${port}`, processTimeoutMs: 2000 });
      expect({ timedOut: run.timedOut, signal: run.signal }).toEqual({ timedOut: true, signal: 'SIGKILL' });
      expect(run.sessions[0]!.done).toBeNull();
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  }, TEST_TIMEOUT_MS);
});
