import type { AnalysisSettings } from '../config';
import type { InputLimits } from '../limitsConfig';
import type { Logger } from '../logger';
import { acceptingAnalyzer, type AnalyzerSource } from './analyzer';
import { FrameWorkerPool } from './decode/frameWorkerPool';
import type { DecoderBackendName } from './decode/videoDecoders';
import { DecodingAnalyzerFactory } from './decodingAnalyzer';

export type { AnalysisSettings };

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
export function startAnalysis(
  config: AnalysisSettings,
  limits: Pick<InputLimits, 'maxPicturePixels'>,
  decoder: DecoderBackendName,
  workers: number,
  logger: Logger,
): Analysis {
  if (config.detector === 'off') return { analyzer: acceptingAnalyzer, close: async () => {} };
  const pool = new FrameWorkerPool({
    size: workers,
    decoder,
    detector: config.detector,
    detectorOptions: config.detectorOptions,
    jobTimeoutMs: config.frameTimeoutMs,
    detectTimeoutMs: config.detectTimeoutMs,
    maxPicturePixels: limits.maxPicturePixels,
    logger,
  });
  return { analyzer: new DecodingAnalyzerFactory(pool, { analysisFps: config.analysisFps }), close: () => pool.close() };
}
