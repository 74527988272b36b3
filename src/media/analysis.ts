import type { DetectorOptions } from './detectors/detector';
import type { InputLimits } from '../limitsConfig';
import type { Logger } from '../logger';
import { acceptingAnalyzer, type AnalyzerSource } from './analyzer';
import { FrameWorkerPool } from './decode/frameWorkerPool';
import type { DecoderBackendName } from './decode/videoDecoders';
import { DecodingAnalyzerFactory } from './decodingAnalyzer';

/** The server's settings of the analysis (ServerConfig's). */
export interface AnalysisSettings {
  detector: string;
  detectorOptions: DetectorOptions;
  analysisFps: number | undefined;
  frameTimeoutMs: number;
  detectTimeoutMs: number;
  limits: Pick<InputLimits, 'maxPicturePixels'>;
}

/** How the frames of the sessions on one thread are analysed, and the pool doing it. */
export interface Analysis {
  analyzer: AnalyzerSource;
  /** Ends the decode workers; idempotent. */
  close(): Promise<void>;
}

/**
 * The configured analysis for the sessions of one thread: a pool of `workers` decode workers
 * running the detector (none with DETECTOR=off: frames are counted, not decoded).
 */
export function startAnalysis(config: AnalysisSettings, decoder: DecoderBackendName, workers: number, logger: Logger): Analysis {
  if (config.detector === 'off') return { analyzer: acceptingAnalyzer, close: async () => {} };
  const pool = new FrameWorkerPool({
    size: workers,
    decoder,
    detector: config.detector,
    detectorOptions: config.detectorOptions,
    jobTimeoutMs: config.frameTimeoutMs,
    detectTimeoutMs: config.detectTimeoutMs,
    maxPicturePixels: config.limits.maxPicturePixels,
    logger,
  });
  return { analyzer: new DecodingAnalyzerFactory(pool, { analysisFps: config.analysisFps }), close: () => pool.close() };
}
