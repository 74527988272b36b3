import type { DropPolicy } from '../config/peerSettings';

/** FRAME_BUFFER_POLICY's values, named with the settings (read without loading media code). */
export type { DropPolicy };

/**
 * Bounded queue between frame arrival and the processing loop. When full, one frame is
 * dropped (the oldest by default, so analysis stays live) and `onDrop` is told.
 * `take()` waits for a frame; `close()` wakes a waiting taker with `undefined` and returns
 * the frames still queued, which the caller accounts for.
 */
export class FrameBuffer<T> {
  private readonly frames: T[] = [];
  private waiter: ((frame: T | undefined) => void) | null = null;
  private closed = false;

  constructor(
    readonly capacity: number,
    private readonly onDrop: (frame: T) => void,
    readonly policy: DropPolicy = 'drop_oldest',
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be an integer >= 1');
  }

  get size(): number {
    return this.frames.length;
  }

  push(frame: T): void {
    if (this.closed) {
      this.onDrop(frame);
      return;
    }
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake(frame);
      return;
    }
    if (this.frames.length >= this.capacity) {
      if (this.policy === 'drop_newest') {
        this.onDrop(frame);
        return;
      }
      this.onDrop(this.frames.shift() as T);
    }
    this.frames.push(frame);
  }

  /** Next frame, or undefined once the buffer is closed. One taker at a time. */
  take(): Promise<T | undefined> {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    if (this.closed) return Promise.resolve(undefined);
    if (this.waiter) throw new Error('FrameBuffer.take() already has a waiting taker');
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Closes the buffer and hands back what was still queued. Idempotent. */
  close(): T[] {
    // Stryker disable next-line ConditionalExpression: equivalent, a closed buffer queues nothing (push drops) and has no taker, so closing again returns [] either way
    if (this.closed) return [];
    this.closed = true;
    const wake = this.waiter;
    this.waiter = null;
    wake?.(undefined);
    return this.frames.splice(0);
  }
}
