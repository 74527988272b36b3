import type { DetectorOptions } from '../../config/analysisSettings';
import type { Detection } from '../../protocol';
import type { I420Frame } from '../i420Frame';

export type { Detection };

/**
 * Finds things in decoded frames, inside a worker thread (one instance per worker). Either
 * synchronous (returns the detections) or asynchronous (returns a Promise of them, e.g. a model
 * runtime working on its own threads). A synchronous detector may keep buffers between calls.
 *
 * An asynchronous detector gets each frame until its Promise settles (the worker does not
 * reuse the picture) and is called again, for the next frame the worker decoded, while at most
 * `concurrency` - 1 of its earlier Promises are pending. A result later than the worker's
 * deadline (DETECT_TIMEOUT_MS) is ignored and its frame dropped as `analysis_timeout`.
 */
export interface Detector {
  readonly name: string;
  /** Detections with bboxes in pixels of `frame`, best first. */
  detect(frame: I420Frame): Detection[] | Promise<Detection[]>;
  /** How many detect() calls may be pending at once in one worker (default 1). */
  readonly concurrency?: number;
  /**
   * Settles once the detector can take frames (a model loaded); the worker takes no frame
   * before. A rejection ends the worker, which counts as failing to start. Absent: ready at once.
   */
  readonly ready?: Promise<void>;
}

/** DETECTOR_OPTIONS: defined beside the other settings, which are read without loading a detector. */
export type { DetectorOptions };

/** Makes a detector from its options (missing ones take the detector's defaults). */
export type DetectorFactory = (options?: DetectorOptions) => Detector;

/**
 * The defaults overridden by `given`, after checking that every given option is one of the
 * defaults' names and a finite number; throws an Error naming the detector otherwise.
 */
export function resolveOptions<T extends Record<string, number>>(
  detector: string,
  defaults: T,
  given: DetectorOptions = {},
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
