import type { AnalysisDropReason } from '../../protocol';
import type { Detection, Detector } from '../detectors/detector';
import type { I420Frame } from '../i420Frame';

export type DetectionResult =
  | { ok: true; detections: Detection[]; detectMs: number }
  | { ok: false; reason: Extract<AnalysisDropReason, 'analysis_error' | 'analysis_timeout'>; error: string };

/**
 * Runs a worker's detector on its decoded pictures, in the order they are given.
 *
 * - A synchronous detector runs at once, in the caller's turn; only FRAME_TIMEOUT_MS (the pool
 *   ending a worker that does not answer) bounds it.
 * - An asynchronous one (detect() returns a Promise) has at most `detector.concurrency` calls
 *   pending (default 1); a picture waits for a free slot, first come first served.
 * - The deadline counts from run(), waiting for a slot included. A result not there by then
 *   gives `analysis_timeout`; when it comes later it is ignored. Its slot stays taken until the
 *   detector's Promise settles, so the detector never has more calls pending than it allows (a
 *   Promise that never settles makes the frames behind it time out, each counted).
 */
export class DetectionRunner {
  private readonly concurrency: number;
  /** detect() calls whose Promise has not settled, plus slots handed to a waiting picture. */
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly detector: Detector,
    private readonly deadlineMs: number,
  ) {
    // createDetector() checked it is an integer >= 1.
    this.concurrency = detector.concurrency ?? 1;
  }

  /**
   * Detections in `picture`, or why there are none; never rejects. `done` is called once the
   * detector can no longer read the picture: a synchronous detector has returned, an
   * asynchronous one's Promise has settled (which may be after its deadline), or the picture's
   * deadline passed before the detector saw it.
   */
  run(picture: I420Frame, done: () => void = () => {}): Promise<DetectionResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: DetectionResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const armDeadline = (): void => {
        timer ??= setTimeout(
          () => finish(late(this.deadlineMs)),
          Math.max(0, this.deadlineMs - (performance.now() - started)),
        );
      };
      const detect = (): void => {
        // Its deadline passed while it waited for the slot: the detector never sees it.
        if (settled) {
          done();
          return this.release();
        }
        let output: Detection[] | PromiseLike<Detection[]>;
        try {
          output = this.detector.detect(picture);
        } catch (error) {
          done();
          this.release();
          return finish({ ok: false, reason: 'analysis_error', error: messageOf(error) });
        }
        if (!isPromise(output)) {
          done();
          this.release();
          return finish({ ok: true, detections: output, detectMs: performance.now() - started });
        }
        armDeadline();
        Promise.resolve(output)
          .then(
            (detections) => {
              // A runtime that works synchronously inside its Promise (onnxruntime-node runs the
              // model in a setImmediate) answers before the deadline's timer can fire: late is late.
              const detectMs = performance.now() - started;
              finish(detectMs > this.deadlineMs ? late(this.deadlineMs, detectMs) : { ok: true, detections, detectMs });
            },
            (error: unknown) => finish({ ok: false, reason: 'analysis_error', error: messageOf(error) }),
          )
          .finally(() => {
            done();
            this.release();
          });
      };
      if (this.busy < this.concurrency) {
        this.busy++;
        detect();
      } else {
        armDeadline();
        this.waiting.push(detect);
      }
    });
  }

  /** A slot is free: the next waiting picture takes it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}

function late(deadlineMs: number, detectMs?: number): DetectionResult {
  const after = detectMs === undefined ? '' : ` (it came after ${Math.round(detectMs)} ms)`;
  return { ok: false, reason: 'analysis_timeout', error: `no detection within ${deadlineMs} ms${after}` };
}

function isPromise(value: Detection[] | PromiseLike<Detection[]>): value is PromiseLike<Detection[]> {
  return typeof (value as PromiseLike<Detection[]>).then === 'function';
}

function messageOf(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
