import type { Detection } from '../../protocol';
import type { I420Frame } from '../i420Frame';

export type { Detection };

/**
 * Finds things in decoded frames. Synchronous and free of I/O: detectors run inside a worker
 * thread bundled by esbuild. A detector may keep buffers between calls, so one instance must
 * not be shared by concurrent callers.
 */
export interface Detector {
  readonly name: string;
  /** Detections with bboxes in pixels of `frame`, best first. */
  detect(frame: I420Frame): Detection[];
}

/** Makes a detector from numeric options (missing ones take the detector's defaults). */
export type DetectorFactory = (options?: Record<string, number>) => Detector;

/**
 * The defaults overridden by `given`, after checking that every given option is one of the
 * defaults' names and a finite number; throws an Error naming the detector otherwise.
 */
export function resolveOptions<T extends Record<string, number>>(
  detector: string,
  defaults: T,
  given: Record<string, number> = {},
): T {
  const resolved: Record<string, number> = { ...defaults };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(defaults, name)) {
      throw new Error(`detector '${detector}': unknown option '${name}' (known: ${Object.keys(defaults).join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`detector '${detector}': option '${name}' must be a finite number, got ${String(value)}`);
    }
    resolved[name] = value;
  }
  return resolved as T;
}
