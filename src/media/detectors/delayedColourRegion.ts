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
  /**
   * 0: off. N: every Nth call (N, 2N, ...) is answered only when the next call comes in, and
   * every other call at once (synchronously), delayMs and jitterMs ignored. A caller that sends
   * the next frame only once the held one was dropped gets a late answer whatever the machine's
   * speed (tests of DETECT_TIMEOUT_MS). Needs concurrency >= 2, for the next call to come in.
   */
  holdEvery: 0,
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
  const { delayMs, jitterMs, concurrency, holdEvery, ...colourRegionOptions } = resolved;
  const problems = [
    !(delayMs >= 0) && 'delayMs must be >= 0',
    !(jitterMs >= 0) && 'jitterMs must be >= 0',
    !(Number.isInteger(holdEvery) && holdEvery >= 0) && 'holdEvery must be an integer >= 0',
    holdEvery > 0 && !(concurrency >= 2) && 'holdEvery needs concurrency >= 2',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new Error(`detector '${NAME}': ${problems.join('; ')}`);
  const inner = new ColourRegionDetector(colourRegionOptions);
  if (holdEvery > 0) return holdingDetector(inner, holdEvery, concurrency);
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

/** holdEvery: the held call's detections are taken when it is released (the picture is still its own). */
function holdingDetector(inner: ColourRegionDetector, holdEvery: number, concurrency: number): Detector {
  let calls = 0;
  let held: (() => void) | undefined;
  return {
    name: NAME,
    concurrency,
    detect: (frame) => {
      held?.();
      held = undefined;
      if (++calls % holdEvery !== 0) return inner.detect(frame);
      return new Promise<Detection[]>((resolve, reject) => {
        held = () => {
          try {
            resolve(inner.detect(frame));
          } catch (error) {
            reject(error as Error);
          }
        };
      });
    },
  };
}
