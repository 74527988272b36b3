import { COLOUR_REGION_DEFAULTS, ColourRegionDetector } from './colourRegion';
import { resolveOptions, type Detection, type Detector, type DetectorFactory } from './detector';

/** The delay of each answer, and how many frames may be waiting for theirs at once per worker. */
export const DELAYED_COLOUR_REGION_DEFAULTS = {
  /** Milliseconds from detect() to the answer (a model's latency)... */
  delayMs: 20,
  /** ...plus or minus up to this, uniformly at random, so answers may settle out of order. */
  jitterMs: 0,
  /** Frames whose answer may be pending at once in one worker. */
  concurrency: 1,
};

const NAME = 'delayed-colour-region';

/**
 * An asynchronous detector standing in for a model runtime: colour-region's detections, looked
 * for in the picture once the delay has passed (so the picture must still be intact then) and
 * answered through a Promise. For tests and for trying DETECT_TIMEOUT_MS; takes colour-region's
 * options too.
 */
export const createDelayedColourRegionDetector: DetectorFactory = (options) => {
  const resolved = resolveOptions(NAME, { ...COLOUR_REGION_DEFAULTS, ...DELAYED_COLOUR_REGION_DEFAULTS }, options);
  const { delayMs, jitterMs, concurrency, ...colourRegionOptions } = resolved;
  const problems = [
    !(delayMs >= 0) && 'delayMs must be >= 0',
    !(jitterMs >= 0) && 'jitterMs must be >= 0',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new Error(`detector '${NAME}': ${problems.join('; ')}`);
  const inner = new ColourRegionDetector(colourRegionOptions);
  const detector: Detector = {
    name: NAME,
    concurrency,
    detect: (frame) =>
      new Promise<Detection[]>((resolve, reject) => {
        const wait = Math.max(0, delayMs + (2 * Math.random() - 1) * jitterMs);
        setTimeout(() => {
          try {
            resolve(inner.detect(frame));
          } catch (error) {
            reject(error as Error);
          }
        }, wait);
      }),
  };
  return detector;
};
