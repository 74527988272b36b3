import { Writable } from 'node:stream';
import winston from 'winston';
import type { RTCPeerConnection } from 'werift';
import { StreamingClient, type StreamingClientOptions } from '../../src/client/streamingClient';
import { loadConfig, type ServerConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { AnalyzerSource } from '../../src/media/analyzer';
import type { PeerSession } from '../../src/peer/peerSession';
import { startServer, type RunningServer } from '../../src/server';

export type ConfigOverrides = Partial<Omit<ServerConfig, 'timeouts'>> & { timeouts?: Partial<ServerConfig['timeouts']> };

export interface LogEntry {
  level: string;
  message: string;
  session_id?: string;
  [field: string]: unknown;
}

export interface TestServer extends RunningServer {
  logs: LogEntry[];
  /** Connects a werift client on loopback and returns it with the server's side of its session. */
  connect(options?: Partial<StreamingClientOptions>): Promise<{ client: StreamingClient; peer: PeerSession }>;
  /** Every client and peer session connect() made; afterEach checks they are all closed. */
  clients: StreamingClient[];
  peers: PeerSession[];
}

/**
 * The real server on an ephemeral loopback port with ICE bound to loopback. Logs are kept in
 * `logs` (and printed too when TEST_LOGS=1).
 */
export async function startTestServer(overrides: ConfigOverrides = {}, analyzer?: AnalyzerSource): Promise<TestServer> {
  const base = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
  const config: ServerConfig = {
    ...base,
    iceInterfaceAddress: '127.0.0.1',
    // Tests open many sessions from one address; rate limits are tested where they are set.
    rateLimits: { offersPerMinute: 100_000, deletesPerMinute: 100_000 },
    // The synthetic client's video does not decode: lifecycle tests count frames without
    // decoding them. Tests of the pipeline set a detector (and stream real video).
    detector: 'off',
    ...overrides,
    timeouts: { ...base.timeouts, ...overrides.timeouts },
  };
  const logs: LogEntry[] = [];
  const logger = createLogger({ level: 'debug', format: 'pretty', console: process.env.TEST_LOGS === '1' });
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(entry: LogEntry, _encoding, done) {
          logs.push(entry);
          done();
        },
      }),
    }),
  );
  const running = await startServer({ config, logger, analyzer });
  const clients: StreamingClient[] = [];
  const peers: PeerSession[] = [];
  return {
    ...running,
    logs,
    clients,
    peers,
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

/**
 * Whether every ICE and DTLS transport of a connection is closed. The connection's own state is
 * not enough: werift sets it to 'failed' after close() when the close interrupted connect().
 */
export function transportsClosed(pc: RTCPeerConnection): boolean {
  return [...pc.iceTransports, ...pc.dtlsTransports].every((transport) => transport.state === 'closed');
}

/** What every integration test must leave behind: no tracked session, no open peer connection. */
export async function expectNothingLeft(server: TestServer): Promise<void> {
  await Promise.all(server.peers.map((peer) => peer.released));
  expect(server.manager.count).toBe(0);
  expect(server.peers.filter((peer) => !transportsClosed(peer.pc)).map((peer) => peer.id)).toEqual([]);
  await Promise.all(server.clients.map((client) => client.close()));
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
