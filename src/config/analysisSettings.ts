/**
 * The analysis's settings and the names they may take. Plain values only: the configuration is
 * read without loading a decoder or a detector (libav.js, ONNX Runtime, the native addon). What
 * only the media code can check (a detector's options, a native decoder that loads) is checked
 * at start by media/settingsCheck.ts.
 */
import { availableParallelism } from 'node:os';
import { integer, oneOf, optionalDecimal, type Env } from '../configValues';
import { ConfigError } from '../errors';

/** Every detector by name (media/detectors/registry.ts has one factory per name). */
export const DETECTOR_NAMES = ['colour-region', 'delayed-colour-region', 'none', 'onnx'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
export const DEFAULT_DETECTOR: DetectorName = 'colour-region';

/** DETECTOR_OPTIONS: numbers, and for some detectors words and paths (the onnx detector's). */
export type DetectorOptions = Record<string, number | string>;

/** What DECODER asks for: a backend, or 'auto' (native when it loads, else wasm). */
export const DECODER_CHOICES = ['auto', 'native', 'wasm'] as const;
export type DecoderChoice = (typeof DECODER_CHOICES)[number];

/** How the frames of a thread's sessions are analysed (media/analysis.ts). */
export interface AnalysisSettings {
  /** The detector run on every decoded frame ('off': frames are not even decoded). */
  detector: string;
  /** The detector's options, from DETECTOR_OPTIONS="name=value,..." (numbers, or words and paths), and DETECTOR_MODEL as `model`. */
  detectorOptions: DetectorOptions;
  /** At most this many frames a second of each video track are analysed; undefined: every frame. */
  analysisFps: number | undefined;
  /** A frame not decoded and analysed within this time ends its worker (a hung decoder or detector). */
  frameTimeoutMs: number;
  /** An asynchronous detector's result later than this after decoding drops the frame; the worker goes on. */
  detectTimeoutMs: number;
}

/** Which threads hold the connections and decode, and with which decoders. */
export interface ThreadSettings {
  /** Which decoders decode video (DECODER): native, wasm, or auto (native when built, else wasm). */
  decoder: DecoderChoice;
  /** Threads decoding and analysing frames (shared out among the media workers, at least one each). */
  decodeWorkers: number;
  /** Threads owning the peer connections (ICE, DTLS, SRTP, SCTP, RTP, frame assembly); 0: the main thread. */
  mediaWorkers: number;
}

export function analysisSettings(env: Env): AnalysisSettings {
  return {
    ...detectorSettings(env),
    analysisFps: optionalDecimal(env, 'ANALYSIS_FPS', 0.01, 1000),
    ...frameTimeouts(env),
  };
}

export function threadSettings(env: Env): ThreadSettings {
  return {
    decoder: oneOf(env, 'DECODER', DECODER_CHOICES, 'auto'),
    decodeWorkers: integer(env, 'DECODE_WORKERS', availableParallelism(), 1, 256),
    mediaWorkers: integer(env, 'MEDIA_WORKERS', availableParallelism(), 0, 256),
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

/** DETECTOR (a registered name, or 'off') and DETECTOR_OPTIONS as written; their values are checked by the detector at start. */
function detectorSettings(env: Env): { detector: string; detectorOptions: DetectorOptions } {
  const detector = env.DETECTOR?.trim() || DEFAULT_DETECTOR;
  if (detector !== 'off' && !(DETECTOR_NAMES as readonly string[]).includes(detector)) {
    throw new ConfigError(`DETECTOR must be one of ${[...DETECTOR_NAMES, 'off'].join(', ')}, got "${detector}"`);
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
  return { detector, detectorOptions };
}
