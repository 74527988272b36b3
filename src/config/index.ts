/**
 * The server's configuration, read from the environment once at start on the main thread, in
 * slices: each part of the server is handed only the slice(s) it uses (a media worker gets `peer`,
 * `ice`, `limits` and `analysis`). This folder imports the value readers (configValues.ts), the
 * limits (limitsConfig.ts), the cluster's settings, the machine's delays and ConfigError, and
 * nothing from media/: reading it loads no decoder or detector (test/configLoad.test.ts).
 */
import { DEFAULT_DELAYS, delayVariable, type DelayName, type PeerSessionDelays } from '../../machines/peerSession.delays';
import { clusterSettings, type ClusterConfig } from '../cluster/clusterConfig';
import { inputLimits, type InputLimits } from '../limitsConfig';
import { httpUrl, integer, oneOf, webhookSecret, type Env } from '../configValues';
import { ConfigError } from '../errors';
import { analysisSettings, threadSettings, type AnalysisSettings, type DecoderChoice, type ThreadSettings } from './analysisSettings';
import { httpSettings, type HttpSettings } from './httpSettings';
import { iceSettings, type IceSettings } from './iceSettings';
import { peerSettings, type PeerSettings } from './peerSettings';

export type { AnalysisSettings, ClusterConfig, DecoderChoice, HttpSettings, IceSettings, InputLimits, PeerSessionDelays, PeerSettings, ThreadSettings };

/** How many sessions, and tracks of each, the server holds (the session manager). */
export interface SessionSettings {
  /** Sessions held at once; offers beyond get 503 with Retry-After. */
  maxSessions: number;
  /** Video tracks, and audio tracks, one session may send; an offer with more is refused (400). */
  maxTracksPerKind: number;
}

/** What becomes of closed sessions' summaries: how long they stay readable, and the webhook. */
export interface SummarySettings {
  /** How long a closed session's summary stays readable over HTTP. */
  summaryRetentionMs: number;
  /** Each closed session's summary is POSTed here; unset means no webhook. */
  summaryWebhookUrl: string | undefined;
  /** When set, deliveries carry `X-Signature-256: sha256=<HMAC-SHA256 of the body>`. */
  summaryWebhookSecret: string | undefined;
  /** Attempts per summary, the first included, before it is given up. */
  summaryWebhookMaxAttempts: number;
  /** Summaries waiting for delivery; beyond, the oldest is dropped. */
  summaryWebhookQueueSize: number;
}

export interface LogSettings {
  logLevel: string;
  logFormat: 'json' | 'pretty';
}

/** What SIGTERM/SIGINT give the open sessions (main.ts). */
export interface ShutdownSettings {
  /** Deadline for closing every session on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /** On SIGTERM/SIGINT, how long open sessions may go on before they are closed; 0 closes them at once. */
  drainTimeoutMs: number;
}

export interface InspectionSettings {
  /** INSPECT=1: every session's actor is sent to the Stately inspector through a loopback relay. */
  inspect: boolean;
  /** The relay's port on 127.0.0.1 (its page and WebSocket); 0 picks a free one. */
  inspectPort: number;
}

export interface ServerConfig {
  http: HttpSettings;
  /** The machine's named delays (machines/peerSession.delays.ts), milliseconds. */
  timeouts: PeerSessionDelays;
  sessions: SessionSettings;
  peer: PeerSettings;
  ice: IceSettings;
  analysis: AnalysisSettings;
  threads: ThreadSettings;
  /** What one remote party may make the server spend (limitsConfig.ts). */
  limits: InputLimits;
  summaries: SummarySettings;
  /** Several instances coordinated through Redis (REDIS_URL); null: one instance, in memory. */
  cluster: ClusterConfig | null;
  logging: LogSettings;
  shutdown: ShutdownSettings;
  inspection: InspectionSettings;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** Reads and validates the configuration; throws ConfigError with a message naming the variable. */
export function loadConfig(env: Env = process.env): ServerConfig {
  const ice = iceSettings(env);
  const http = httpSettings(env);
  return {
    http,
    timeouts: machineDelays(env),
    sessions: {
      maxSessions: integer(env, 'MAX_SESSIONS', 100, 1, 100_000),
      maxTracksPerKind: integer(env, 'MAX_TRACKS_PER_KIND', 2, 1, 64),
    },
    peer: peerSettings(env),
    ice,
    analysis: analysisSettings(env),
    threads: threadSettings(env),
    limits: inputLimits(env),
    summaries: {
      summaryRetentionMs: integer(env, 'SUMMARY_RETENTION_MS', 10 * 60_000, 0, 7 * 24 * 3600_000),
      summaryWebhookUrl: httpUrl(env, 'SUMMARY_WEBHOOK_URL'),
      summaryWebhookSecret: webhookSecret(env, 'SUMMARY_WEBHOOK_SECRET'),
      summaryWebhookMaxAttempts: integer(env, 'SUMMARY_WEBHOOK_MAX_ATTEMPTS', 5, 1, 100),
      summaryWebhookQueueSize: integer(env, 'SUMMARY_WEBHOOK_QUEUE_SIZE', 1000, 1, 1_000_000),
    },
    cluster: clusterSettings(env),
    logging: {
      logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    },
    shutdown: {
      shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 5000, 100, 600_000),
      drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 10_000, 0, 3600_000),
    },
    inspection: inspectionSettings(env, http.port),
  };
}

/** Each of the machine's delays from its own variable (stopTimeout from STOP_TIMEOUT_MS), defaulting to the machine's. */
function machineDelays(env: Env): PeerSessionDelays {
  if (env.CLOSE_SESSION_TIMEOUT_MS !== undefined) {
    throw new ConfigError('CLOSE_SESSION_TIMEOUT_MS is now CLOSE_TIMEOUT_MS (the name of the machine delay it sets)');
  }
  const names = Object.keys(DEFAULT_DELAYS) as DelayName[];
  return Object.fromEntries(names.map((name) => [name, integer(env, delayVariable(name), DEFAULT_DELAYS[name], 1, 60_000)])) as PeerSessionDelays;
}

/** INSPECT (0 or 1) and INSPECT_PORT, which must not be the HTTP port. */
function inspectionSettings(env: Env, port: number): InspectionSettings {
  const inspect = oneOf(env, 'INSPECT', ['0', '1'] as const, '0') === '1';
  const inspectPort = integer(env, 'INSPECT_PORT', 8081, 0, 65535);
  if (inspect && inspectPort !== 0 && inspectPort === port) {
    throw new ConfigError(`INSPECT_PORT must differ from PORT, both are ${inspectPort}`);
  }
  return { inspect, inspectPort };
}
