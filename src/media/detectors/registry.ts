import { createColourRegionDetector } from './colourRegion';
import { createDelayedColourRegionDetector } from './delayedColourRegion';
import type { Detector, DetectorFactory } from './detector';
import { resolveOptions } from './detector';

/** Finds nothing: frames are still decoded and counted as processed. */
const createNoneDetector: DetectorFactory = (options) => {
  resolveOptions('none', {}, options);
  return { name: 'none', detect: () => [] };
};

/** Every detector by name. To add one: write a module exporting a DetectorFactory, add a line here. */
const factories: Record<string, DetectorFactory> = {
  'colour-region': createColourRegionDetector,
  /** Asynchronous: colour-region answered after a delay, as a model runtime would (tests, deadlines). */
  'delayed-colour-region': createDelayedColourRegionDetector,
  none: createNoneDetector,
};

export const DEFAULT_DETECTOR = 'colour-region';

export const detectorNames: string[] = Object.keys(factories);

/** A new detector; throws for an unknown name, an option the detector does not have, or a bad concurrency. */
export function createDetector(name: string, options?: Record<string, number>): Detector {
  const factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
  if (!factory) throw new Error(`unknown detector '${name}' (known: ${detectorNames.join(', ')})`);
  const detector = factory(options);
  const { concurrency = 1 } = detector;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`detector '${name}': concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  return detector;
}
