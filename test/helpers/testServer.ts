import type { RTCPeerConnection } from 'werift';
import { StreamingClient, type StreamingClientOptions } from '../../client/streamingClient';
import type { AnalyzerSource } from '../../src/media/analyzer';
import { MediaPeer } from '../../src/peer/mediaPeer';
import type { PeerSession } from '../../src/sessions/peerSession';
import { transportsClosed } from '../../src/webrtc/peerConnectionFactory';
import { countInvariantProblems } from './countInvariant';
import { startLoopbackServer, type ConfigOverrides, type LoopbackServer } from './loopbackServer';

export type { ConfigOverrides } from './loopbackServer';
export type { LogEntry } from './logCapture';

export interface TestServer extends LoopbackServer {
  /** Connects a werift client on loopback and returns it with the server's side of its session. */
  connect(options?: Partial<StreamingClientOptions>): Promise<{ client: StreamingClient; peer: PeerSession }>;
  /** Every client and peer session connect() made; afterEach checks they are all closed. */
  clients: StreamingClient[];
  peers: PeerSession[];
  /**
   * Every session the server created, whoever the client: expectNothingLeft() checks their
   * summaries. Only the id and the release are kept, so that a released session can be collected
   * (test/churn.test.ts measures the heap).
   */
  sessions: Array<Pick<PeerSession, 'id' | 'released'>>;
}

/**
 * The real server on loopback (test/helpers/loopbackServer.ts) with its logs in `logs` (printed
 * too when TEST_LOGS=1), and the clients connected through it kept for expectNothingLeft().
 */
export async function startTestServer(overrides: ConfigOverrides = {}, analyzer?: AnalyzerSource): Promise<TestServer> {
  const sessions: TestServer['sessions'] = [];
  const running = await startLoopbackServer({ config: overrides, analyzer, onSessionCreated: ({ id, released }) => sessions.push({ id, released }) });
  const clients: StreamingClient[] = [];
  const peers: PeerSession[] = [];
  return {
    ...running,
    clients,
    peers,
    sessions,
    async connect(options = {}) {
      const client = await StreamingClient.connect({ url: running.url, interfaceAddress: '127.0.0.1', ...options });
      clients.push(client);
      const peer = running.manager.get(client.sessionId);
      if (!peer) throw new Error(`session ${client.sessionId} is not in the tracking set`);
      peers.push(peer);
      return { client, peer };
    },
  };
}

export { transportsClosed };

/**
 * The server's werift connection of a session, for tests that look inside it or inject faults:
 * only a session whose media lives on the main thread has one here (start the server with
 * `mediaWorkers: 0`).
 */
export function serverConnection(peer: PeerSession): RTCPeerConnection {
  if (!(peer.media instanceof MediaPeer)) throw new Error(`session ${peer.id} lives in ${peer.location}: start the server with mediaWorkers: 0`);
  return peer.media.pc;
}

/**
 * What every integration test must leave behind: no tracked session, no open peer connection,
 * and a summary that keeps the counting promise (test/helpers/countInvariant.ts) for every
 * session the server closed during the test.
 */
export async function expectNothingLeft(server: TestServer): Promise<void> {
  await Promise.all(server.peers.map((peer) => peer.released));
  expect(server.manager.count).toBe(0);
  const closed = await Promise.all(server.peers.map((peer) => peer.media.transportsClosed()));
  expect(server.peers.filter((_, index) => !closed[index]).map((peer) => peer.id)).toEqual([]);
  await Promise.all(server.clients.map((client) => client.close()));
  await expectSummariesCounted(server);
}

/** Time a session no test client waited for (a foreign client, a bare HTTP offer) gets to finish releasing. */
const RELEASE_WAIT_MS = 5000;

/** Every summary the server produced keeps the counting promise; a failure names the session. */
export async function expectSummariesCounted(server: TestServer): Promise<void> {
  const problems: string[] = [];
  for (const session of server.sessions) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'not released'>((resolve) => (timer = setTimeout(() => resolve('not released'), RELEASE_WAIT_MS)));
    const summary = await Promise.race([session.released, timedOut]).finally(() => clearTimeout(timer));
    if (summary === 'not released' || summary === null) continue;
    const broken = countInvariantProblems(summary);
    const { total_frames_received, total_frames_processed, total_frames_dropped, dropped_by_reason, total_frames_not_sampled } = summary;
    const counts = { total_frames_received, total_frames_processed, total_frames_dropped, dropped_by_reason, total_frames_not_sampled };
    if (broken.length > 0) problems.push(`session ${session.id}: ${broken.join('; ')} (${JSON.stringify(counts)})`);
  }
  if (problems.length > 0) throw new Error(`Summaries that break the counting promise:\n${problems.join('\n')}`);
}

/** The end of a test that started `server` (if it did): nothing may be left, then it closes. */
export async function finishTestServer(server: TestServer | null | undefined): Promise<void> {
  if (!server) return;
  try {
    await expectNothingLeft(server);
  } finally {
    // Closed even when something was left, so that one failing test cannot keep jest from exiting.
    await server.close();
  }
}

export function messages(server: TestServer, sessionId?: string): string[] {
  return server.logs.filter((entry) => !sessionId || entry.session_id === sessionId).map((entry) => entry.message);
}

export async function eventually<T>(probe: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** eventually() for a probe that has to wait for its answer (an HTTP request, a Redis read). */
export async function eventuallyAsync<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
