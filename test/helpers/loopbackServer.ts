import {
  loadConfig,
  type AnalysisSettings,
  type ClusterConfig,
  type HttpSettings,
  type IceSettings,
  type InputLimits,
  type InspectionSettings,
  type LogSettings,
  type PeerSessionDelays,
  type PeerSettings,
  type ServerConfig,
  type SessionSettings,
  type ShutdownSettings,
  type SummarySettings,
  type ThreadSettings,
} from '../../src/config';
import type { AnalyzerSource } from '../../src/media/analyzer';
import type { PeerSession } from '../../src/sessions/peerSession';
import { startServer, type RunningServer } from '../../src/server';
import { captureLogs, type LogEntry } from './logCapture';

/**
 * What a test changes of the configuration: any field of a slice by its own name (the names are
 * unique across slices, e.g. `{ mediaWorkers: 0, videoInactivityMs: 500 }`), and the `timeouts`
 * and `limits` slices in part or `cluster` whole.
 */
export type ConfigOverrides = Partial<
  HttpSettings & SessionSettings & PeerSettings & IceSettings & AnalysisSettings & ThreadSettings & SummarySettings & LogSettings & ShutdownSettings & InspectionSettings
> & { timeouts?: Partial<PeerSessionDelays>; limits?: Partial<InputLimits>; cluster?: ClusterConfig | null };

/**
 * The configuration tests and benches run the server with: an ephemeral port on 127.0.0.1, ICE
 * bound to loopback (no traffic leaves the machine), rate limits out of the way (many sessions
 * come from one address; the limits are tested where they are set) and no detector (the
 * synthetic client's video does not decode: lifecycle tests count frames without decoding them;
 * tests and benches of the pipeline set one).
 */
export function loopbackConfig(overrides: ConfigOverrides = {}): ServerConfig {
  const base = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
  return withOverrides(
    {
      ...base,
      http: { ...base.http, rateLimits: { offersPerMinute: 100_000, deletesPerMinute: 100_000, iceUpdatesPerMinute: 100_000 } },
      ice: { ...base.ice, iceInterfaceAddress: '127.0.0.1' },
      limits: { ...base.limits, maxHalfOpenPerAddress: 100_000 },
      analysis: { ...base.analysis, detector: 'off' },
    },
    overrides,
  );
}

/** Each override put into its slice: a slice's name merges into it (cluster: replaces), a field's name into the one slice that has it. */
function withOverrides(config: ServerConfig, overrides: ConfigOverrides): ServerConfig {
  const slices: Record<string, Record<string, unknown> | null> = { ...(config as unknown as Record<string, Record<string, unknown> | null>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'cluster') {
      slices.cluster = value as Record<string, unknown> | null;
      continue;
    }
    if (key in slices) {
      slices[key] = { ...slices[key], ...(value as Record<string, unknown>) };
      continue;
    }
    const owners = Object.keys(slices).filter((name) => slices[name] !== null && key in slices[name]!);
    if (owners.length !== 1) throw new Error(`configuration override ${key}: ${owners.length === 0 ? 'no slice has it' : `in slices ${owners.join(', ')}`}`);
    slices[owners[0]!] = { ...slices[owners[0]!], [key]: value };
  }
  return slices as unknown as ServerConfig;
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
