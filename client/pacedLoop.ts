import { performance } from 'node:perf_hooks';

/**
 * Calls `tick` every `intervalMs`, the first call at once, `count` times or until stopped.
 * Ticks are scheduled against the start time, so a late timer does not push every later
 * tick back (the loop catches up instead of drifting).
 */
export class PacedLoop {
  /** Resolves when the loop has run `count` ticks or was stopped; rejects if a tick threw. */
  readonly done: Promise<void>;
  private ticks = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private readonly startedAt = performance.now();

  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => void,
    private readonly count = Number.POSITIVE_INFINITY,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.run();
  }

  get ticksRun(): number {
    return this.ticks;
  }

  stop(): void {
    this.end();
  }

  private end(failure?: { error: unknown }): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (failure) this.rejectDone(failure.error);
    else this.resolveDone();
  }

  private run(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.ticks >= this.count) {
      this.end();
      return;
    }
    this.ticks++;
    try {
      this.tick();
    } catch (error) {
      this.end({ error });
      return;
    }
    if (this.ticks >= this.count) {
      this.end();
      return;
    }
    if (this.stopped) return;
    const nextAt = this.startedAt + this.ticks * this.intervalMs;
    this.timer = setTimeout(() => this.run(), Math.max(0, nextAt - performance.now()));
  }
}
