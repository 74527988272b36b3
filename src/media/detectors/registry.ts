import { createColourRegionDetector } from './colourRegion';
import { createDelayedColourRegionDetector } from './delayedColourRegion';
import { DEFAULT_DETECTOR, DETECTOR_NAMES, type DetectorName } from '../../config/analysisSettings';
import type { Detector, DetectorFactory, DetectorOptions } from './detector';
import { resolveOptions } from './detector';
import { checkOnnxDetector, createOnnxDetector } from './onnx/onnxDetector';
import { parseOnnxOptions } from './onnx/onnxOptions';

/** Finds nothing: frames are still decoded and counted as processed. */
const createNoneDetector: DetectorFactory = (options) => {
  resolveOptions('none', {}, options);
  return { name: 'none', detect: () => [] };
};

/**
 * Every detector by name. To add one: write a module exporting a DetectorFactory, add a line here
 * and its name to DETECTOR_NAMES (config/analysisSettings.ts, which DETECTOR is checked against).
 */
const factories: Record<DetectorName, DetectorFactory> = {
  'colour-region': createColourRegionDetector,
  /** Asynchronous: colour-region answered after a delay, as a model runtime would (tests, deadlines). */
  'delayed-colour-region': createDelayedColourRegionDetector,
  none: createNoneDetector,
  /** The user's ONNX model (DETECTOR_MODEL) on ONNX Runtime: see onnx/onnxDetector.ts. */
  onnx: createOnnxDetector,
};

/**
 * Detectors whose creation does more than read options (loads a model): their options are
 * checked without creating one, and what they load is checked once at server start.
 */
const loading: Record<string, { checkOptions(options?: DetectorOptions): void; checkLoad(options?: DetectorOptions): Promise<Record<string, unknown>> }> = {
  onnx: { checkOptions: parseOnnxOptions, checkLoad: checkOnnxDetector },
};

export { DEFAULT_DETECTOR };

export const detectorNames: string[] = [...DETECTOR_NAMES];

/** Throws (configuration time) for an unknown name or an option the detector does not have or take. */
export function checkDetectorOptions(name: string, options?: DetectorOptions): void {
  const check = Object.hasOwn(loading, name) ? loading[name] : undefined;
  if (check) check.checkOptions(options);
  else createDetector(name, options);
}

/**
 * Server start: a detector that loads something (a model) loads it once here and is checked
 * against its options; rejects with the problem. Resolves with what to log (null: nothing to check).
 */
export async function checkDetectorLoads(name: string, options?: DetectorOptions): Promise<Record<string, unknown> | null> {
  const check = Object.hasOwn(loading, name) ? loading[name] : undefined;
  return check ? check.checkLoad(options) : null;
}

/** A new detector; throws for an unknown name, an option the detector does not have, or a bad concurrency. */
export function createDetector(name: string, options?: DetectorOptions): Detector {
  const factory = Object.hasOwn(factories, name) ? factories[name as DetectorName] : undefined;
  if (!factory) throw new Error(`unknown detector '${name}' (known: ${detectorNames.join(', ')})`);
  const detector = factory(options);
  const { concurrency = 1 } = detector;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`detector '${name}': concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  return detector;
}
