import { createColourRegionDetector } from './colourRegion';
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
  none: createNoneDetector,
};

export const DEFAULT_DETECTOR = 'colour-region';

export const detectorNames: string[] = Object.keys(factories);

/** A new detector; throws for an unknown name or an option the detector does not have. */
export function createDetector(name: string, options?: Record<string, number>): Detector {
  const factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
  if (!factory) throw new Error(`unknown detector '${name}' (known: ${detectorNames.join(', ')})`);
  return factory(options);
}
