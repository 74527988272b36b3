import { loadConfig, type ServerConfig } from '../../src/config';
import type { AnalyzerSource } from '../../src/media/analyzer';
import type { PeerSession } from '../../src/sessions/peerSession';
import { startServer, type RunningServer } from '../../src/server';
import { captureLogs, type LogEntry } from './logCapture';

export type ConfigOverrides = Partial<Omit<ServerConfig, 'timeouts'>> & { timeouts?: Partial<ServerConfig['timeouts']> };

/**
 * The configuration tests and benches run the server with: an ephemeral port on 127.0.0.1, ICE
 * bound to loopback (no traffic leaves the machine), rate limits out of the way (many sessions
 * come from one address; the limits are tested where they are set) and no detector (the
 * synthetic client's video does not decode: lifecycle tests count frames without decoding them;
 * tests and benches of the pipeline set one).
 */
export function loopbackConfig(overrides: ConfigOverrides = {}): ServerConfig {
  const base = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
  return {
    ...base,
    iceInterfaceAddress: '127.0.0.1',
    rateLimits: { offersPerMinute: 100_000, deletesPerMinute: 100_000, iceUpdatesPerMinute: 100_000 },
    limits: { ...base.limits, maxHalfOpenPerAddress: 100_000 },
    detector: 'off',
    ...overrides,
    timeouts: { ...base.timeouts, ...overrides.timeouts },
  };
}

export interface LoopbackServerOptions {
  config?: ConfigOverrides;
  /** Replaces the decoding pipeline (tests of the session lifecycle). */
  analyzer?: AnalyzerSource;
  /** Lowest log level kept in `logs` (default debug); benches keep warnings and errors only. */
  logLevel?: string;
  /** Called with each new session before its offer is negotiated (benches watch sessions from here). */
  onSessionCreated?: (peer: PeerSession) => void;
}

export interface LoopbackServer extends RunningServer {
  /** What the server logged, in order (printed too when TEST_LOGS=1). */
  logs: LogEntry[];
}

/** The real server (src/server.ts) on loopback, with its logs captured. Close it with close(). */
export async function startLoopbackServer({ config, analyzer, logLevel, onSessionCreated }: LoopbackServerOptions = {}): Promise<LoopbackServer> {
  const { logger, logs } = captureLogs({ level: logLevel });
  const running = await startServer({ config: loopbackConfig(config), logger, analyzer, onSessionCreated });
  return { ...running, logs };
}
