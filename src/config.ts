import { availableParallelism } from 'node:os';
import type { RTCIceServer } from 'werift';
import { DEFAULT_DELAYS, delayVariable, type DelayName, type PeerSessionDelays } from '../machines/peerSession.delays';
import type { DetectorOptions } from './media/detectors/detector';
import { checkDetectorOptions, DEFAULT_DETECTOR, detectorNames } from './media/detectors/registry';
import type { DropPolicy } from './media/frameBuffer';
import { chooseDecoderBackend, type DecoderChoice } from './media/decode/videoDecoders';
import { clusterSettings, type ClusterConfig } from './cluster/clusterConfig';
import { inputLimits, type InputLimits } from './limitsConfig';
import { httpUrl, integer, ipv4List, list, oneOf, optionalDecimal, webhookSecret, type Env } from './configValues';
import { ConfigError } from './errors';

export interface ServerConfig {
  port: number;
  host: string;
  /** The machine's named delays (machines/peerSession.delays.ts) and the connect timeout, milliseconds. */
  timeouts: PeerSessionDelays & {
    /** A session not connected within this time after its offer is closed. */
    connectTimeout: number;
  };
  /** No RTP on a video track for this long ends the track. */
  videoInactivityMs: number;
  /** Same for audio; longer, because Opus DTX sends a packet only every 400 ms in silence. */
  audioInactivityMs: number;
  /** How long silent tracks of a peer gone silent as a whole wait for it to restart ICE (0: they end at their inactivity time). */
  iceRestartWindowMs: number;
  /** Frames waiting for the video processor; beyond this, frames are dropped. */
  frameBufferSize: number;
  /** Which frame a full buffer drops: the oldest (analysis stays live) or the newest. */
  frameBufferPolicy: DropPolicy;
  /** The detector run on every decoded frame ('off': frames are not even decoded). */
  detector: string;
  /** At most this many frames a second of each video track are analysed; undefined: every frame. */
  analysisFps: number | undefined;
  /** The detector's options, from DETECTOR_OPTIONS="name=value,..." (numbers, or words and paths), and DETECTOR_MODEL as `model`. */
  detectorOptions: DetectorOptions;
  /** Which decoders decode video (DECODER): native, wasm, or auto (native when built, else wasm). */
  decoder: DecoderChoice;
  /** Threads decoding and analysing frames (shared out among the media workers, at least one each). */
  decodeWorkers: number;
  /** Threads owning the peer connections (ICE, DTLS, SRTP, SCTP, RTP, frame assembly); 0: the main thread. */
  mediaWorkers: number;
  /** A frame not decoded and analysed within this time ends its worker (a hung decoder or detector). */
  frameTimeoutMs: number;
  /** An asynchronous detector's result later than this after decoding drops the frame; the worker goes on. */
  detectTimeoutMs: number;
  /** At most one keyframe request (RTCP PLI) per video track per this interval. */
  keyframeRequestIntervalMs: number;
  /** At most this many `detection` events per session per second (coalesced: the newest wins). */
  detectionEventsPerSecond: number;
  /** How long a closed session's summary stays readable over HTTP. */
  summaryRetentionMs: number;
  /** Request bodies above this are refused (an SDP offer is a few KB). */
  maxBodyBytes: number;
  /** STUN/TURN servers; empty means werift contacts no server at all. */
  iceServers: RTCIceServer[];
  /** Extra host candidates (127.0.0.1 by default so local clients can connect). */
  iceAdditionalHostAddresses: string[];
  /** Bind ICE to one local address; unset means every interface. */
  iceInterfaceAddress: string | undefined;
  /** The UDP ports ICE binds, inclusive (ICE_PORT_RANGE); unset means any free port. */
  icePortRange: readonly [number, number] | undefined;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /** Bearer token required on every route but /healthz; unset means no authentication. */
  authToken: string | undefined;
  /** Sessions held at once; offers beyond get 503 with Retry-After. */
  maxSessions: number;
  /** Video tracks, and audio tracks, one session may send; an offer with more is refused (400). */
  maxTracksPerKind: number;
  /** What one remote party may make the server spend (limitsConfig.ts). */
  limits: InputLimits;
  /** Offers (POST /offer, /whip, renegotiations) and DELETEs allowed per client address a minute. */
  rateLimits: { offersPerMinute: number; deletesPerMinute: number; iceUpdatesPerMinute: number };
  /** Access-Control-Allow-Origin for browser clients on other origins ('*' or one origin). */
  corsAllowOrigin: string;
  /** Deadline for closing every session on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /** On SIGTERM/SIGINT, how long open sessions may go on before they are closed; 0 closes them at once. */
  drainTimeoutMs: number;
  /** Each closed session's summary is POSTed here; unset means no webhook. */
  summaryWebhookUrl: string | undefined;
  /** When set, deliveries carry `X-Signature-256: sha256=<HMAC-SHA256 of the body>`. */
  summaryWebhookSecret: string | undefined;
  /** Attempts per summary, the first included, before it is given up. */
  summaryWebhookMaxAttempts: number;
  /** Summaries waiting for delivery; beyond, the oldest is dropped. */
  summaryWebhookQueueSize: number;
  /** Several instances coordinated through Redis (REDIS_URL); null: one instance, in memory. */
  cluster: ClusterConfig | null;
  /** INSPECT=1: every session's actor is sent to the Stately inspector through a loopback relay. */
  inspect: boolean;
  /** The relay's port on 127.0.0.1 (its page and WebSocket); 0 picks a free one. */
  inspectPort: number;
}

function iceServers(env: Env): RTCIceServer[] {
  const urls = list(env, 'ICE_SERVERS', []);
  for (const url of urls) {
    if (!/^(stun|stuns|turn|turns):[^\s]+$/.test(url)) {
      throw new ConfigError(`ICE_SERVERS entries must be stun:, stuns:, turn: or turns: URLs, got "${url}"`);
    }
  }
  if (urls.length === 0) return [];
  const username = env.ICE_USERNAME;
  const credential = env.ICE_CREDENTIAL;
  return urls.map((url) => (url.startsWith('turn') ? { urls: url, username, credential } : { urls: url }));
}

/** "40000-40999": the inclusive range of UDP ports ICE may bind. */
function portRange(env: Env, name: string): readonly [number, number] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const [low, high] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || low < 1024 || high > 65535 || low > high) {
    throw new ConfigError(`${name} must be LOW-HIGH with 1024 <= LOW <= HIGH <= 65535, e.g. 40000-40999, got "${raw}"`);
  }
  return [low, high];
}

function corsOrigin(env: Env): string {
  const origin = env.CORS_ALLOW_ORIGIN?.trim();
  if (!origin) return '*';
  if (origin !== '*' && !/^https?:\/\/[^\s/]+$/.test(origin)) {
    throw new ConfigError(`CORS_ALLOW_ORIGIN must be * or an origin like https://app.example.org, got "${origin}"`);
  }
  return origin;
}

function authToken(env: Env): string | undefined {
  const token = env.AUTH_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError('AUTH_TOKEN must be at least 16 characters without spaces');
  }
  return token;
}

/** Each of the machine's delays from its own variable (stopTimeout from STOP_TIMEOUT_MS), defaulting to the machine's. */
function machineDelays(env: Env): PeerSessionDelays {
  if (env.CLOSE_SESSION_TIMEOUT_MS !== undefined) {
    throw new ConfigError('CLOSE_SESSION_TIMEOUT_MS is now CLOSE_TIMEOUT_MS (the name of the machine delay it sets)');
  }
  const names = Object.keys(DEFAULT_DELAYS) as DelayName[];
  return Object.fromEntries(names.map((name) => [name, integer(env, delayVariable(name), DEFAULT_DELAYS[name], 1, 60_000)])) as PeerSessionDelays;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * The addresses announced as host candidates beside the local ones, on the same ports:
 * ICE_ADDITIONAL_HOST_ADDRESSES, then ICE_ANNOUNCED_ADDRESS (the public address of a server
 * behind NAT, as other media servers call it).
 */
function hostCandidateAddresses(env: Env): string[] {
  const announced = ipv4List(env, 'ICE_ANNOUNCED_ADDRESS', []);
  return [...new Set([...ipv4List(env, 'ICE_ADDITIONAL_HOST_ADDRESSES', ['127.0.0.1']), ...announced])];
}

/** Reads and validates the configuration; throws ConfigError with a message naming the variable. */
export function loadConfig(env: Env = process.env): ServerConfig {
  const host = env.HOST?.trim() || '127.0.0.1';
  const interfaceAddresses = ipv4List(env, 'ICE_INTERFACE_ADDRESS', []);
  if (interfaceAddresses.length > 1) {
    throw new ConfigError('ICE_INTERFACE_ADDRESS takes a single IPv4 address');
  }
  const port = integer(env, 'PORT', 8080, 0, 65535);
  return {
    port,
    host,
    timeouts: {
      ...machineDelays(env),
      connectTimeout: integer(env, 'CONNECT_TIMEOUT_MS', 15_000, 100, 300_000),
    },
    videoInactivityMs: integer(env, 'VIDEO_INACTIVITY_MS', 2000, 50, 600_000),
    audioInactivityMs: integer(env, 'AUDIO_INACTIVITY_MS', 3000, 50, 600_000),
    iceRestartWindowMs: integer(env, 'ICE_RESTART_WINDOW_MS', 0, 0, 600_000),
    frameBufferSize: integer(env, 'FRAME_BUFFER_SIZE', 30, 1, 10_000),
    frameBufferPolicy: oneOf(env, 'FRAME_BUFFER_POLICY', ['drop_oldest', 'drop_newest'] as const, 'drop_oldest'),
    ...detectorSettings(env),
    analysisFps: optionalDecimal(env, 'ANALYSIS_FPS', 0.01, 1000),
    decoder: decoderChoice(env),
    decodeWorkers: integer(env, 'DECODE_WORKERS', availableParallelism(), 1, 256),
    mediaWorkers: integer(env, 'MEDIA_WORKERS', availableParallelism(), 0, 256),
    ...frameTimeouts(env),
    keyframeRequestIntervalMs: integer(env, 'KEYFRAME_REQUEST_INTERVAL_MS', 1000, 0, 60_000),
    detectionEventsPerSecond: integer(env, 'DETECTION_EVENTS_PER_SECOND', 5, 1, 1000),
    summaryRetentionMs: integer(env, 'SUMMARY_RETENTION_MS', 10 * 60_000, 0, 7 * 24 * 3600_000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    iceServers: iceServers(env),
    iceAdditionalHostAddresses: hostCandidateAddresses(env),
    iceInterfaceAddress: interfaceAddresses[0],
    icePortRange: portRange(env, 'ICE_PORT_RANGE'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 5000, 100, 600_000),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 10_000, 0, 3600_000),
    authToken: authToken(env),
    maxSessions: integer(env, 'MAX_SESSIONS', 100, 1, 100_000),
    maxTracksPerKind: integer(env, 'MAX_TRACKS_PER_KIND', 2, 1, 64),
    limits: inputLimits(env),
    rateLimits: {
      offersPerMinute: integer(env, 'RATE_LIMIT_OFFERS_PER_MINUTE', 60, 1, 1_000_000),
      deletesPerMinute: integer(env, 'RATE_LIMIT_DELETES_PER_MINUTE', 120, 1, 1_000_000),
      iceUpdatesPerMinute: integer(env, 'RATE_LIMIT_ICE_UPDATES_PER_MINUTE', 600, 1, 1_000_000),
    },
    corsAllowOrigin: corsOrigin(env),
    summaryWebhookUrl: httpUrl(env, 'SUMMARY_WEBHOOK_URL'),
    summaryWebhookSecret: webhookSecret(env, 'SUMMARY_WEBHOOK_SECRET'),
    summaryWebhookMaxAttempts: integer(env, 'SUMMARY_WEBHOOK_MAX_ATTEMPTS', 5, 1, 100),
    summaryWebhookQueueSize: integer(env, 'SUMMARY_WEBHOOK_QUEUE_SIZE', 1000, 1, 1_000_000),
    cluster: clusterSettings(env),
    ...inspectSettings(env, port),
  };
}

/**
 * FRAME_TIMEOUT_MS (a worker that does not answer a frame in time is hung and replaced) and
 * DETECT_TIMEOUT_MS (an asynchronous detector's deadline per frame), which must be shorter:
 * a slow detector's frame is dropped before its worker would be taken for hung.
 */
function frameTimeouts(env: Env): { frameTimeoutMs: number; detectTimeoutMs: number } {
  const frameTimeoutMs = integer(env, 'FRAME_TIMEOUT_MS', 1000, 10, 60_000);
  const detectTimeoutMs = integer(env, 'DETECT_TIMEOUT_MS', Math.floor(frameTimeoutMs / 2), 1, 60_000);
  if (detectTimeoutMs >= frameTimeoutMs) {
    throw new ConfigError(`DETECT_TIMEOUT_MS must be below FRAME_TIMEOUT_MS (${frameTimeoutMs}), got ${detectTimeoutMs}`);
  }
  return { frameTimeoutMs, detectTimeoutMs };
}

/** INSPECT (0 or 1) and INSPECT_PORT, which must not be the HTTP port. */
function inspectSettings(env: Env, port: number): { inspect: boolean; inspectPort: number } {
  const inspect = oneOf(env, 'INSPECT', ['0', '1'] as const, '0') === '1';
  const inspectPort = integer(env, 'INSPECT_PORT', 8081, 0, 65535);
  if (inspect && inspectPort !== 0 && inspectPort === port) {
    throw new ConfigError(`INSPECT_PORT must differ from PORT, both are ${inspectPort}`);
  }
  return { inspect, inspectPort };
}

/** DECODER; native asked for by name must load now, not at the first frame. */
function decoderChoice(env: Env): DecoderChoice {
  const choice = oneOf(env, 'DECODER', ['auto', 'native', 'wasm'] as const, 'auto');
  try {
    chooseDecoderBackend(choice);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; or DECODER=wasm (slower, H264 constrained baseline only)`);
  }
  return choice;
}

/** DETECTOR (a registered name, or 'off') and DETECTOR_OPTIONS, checked by making the detector once. */
function detectorSettings(env: Env): { detector: string; detectorOptions: DetectorOptions } {
  const detector = env.DETECTOR?.trim() || DEFAULT_DETECTOR;
  if (detector !== 'off' && !detectorNames.includes(detector)) {
    throw new ConfigError(`DETECTOR must be one of ${[...detectorNames, 'off'].join(', ')}, got "${detector}"`);
  }
  const detectorOptions: DetectorOptions = {};
  for (const pair of (env.DETECTOR_OPTIONS ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=([^=\s]+)$/.exec(pair);
    if (!match) throw new ConfigError(`DETECTOR_OPTIONS takes name=value pairs separated by commas, got "${pair}"`);
    const value = match[2]!;
    detectorOptions[match[1]!] = /^-?[0-9.]+$/.test(value) && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  const model = env.DETECTOR_MODEL?.trim();
  if (model) {
    if (detector !== 'onnx') throw new ConfigError(`DETECTOR_MODEL is for DETECTOR=onnx, and DETECTOR is "${detector}"`);
    detectorOptions.model = model;
  }
  if (detector !== 'off') {
    try {
      checkDetectorOptions(detector, detectorOptions);
    } catch (error) {
      throw new ConfigError(`DETECTOR_OPTIONS: ${(error as Error).message}`);
    }
  }
  return { detector, detectorOptions };
}
