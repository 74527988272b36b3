import type { DetectionEvent as WireDetectionEvent } from '../protocol';

/** A detection event before the channel stamps it with its type and session id. */
export type DetectionEvent = Omit<WireDetectionEvent, 'event_type' | 'session_id'>;

/**
 * Coalesces detection events so the data channel is never flooded: at most one event per
 * interval per session; detections arriving in between replace the one waiting, so the client
 * always gets the newest. `close()` drops what waits.
 */
export class DetectionEvents {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private waiting: DetectionEvent | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly minIntervalMs: number,
    private readonly send: (event: DetectionEvent) => void,
    private readonly now: () => number = Date.now,
  ) {}

  offer(event: DetectionEvent): void {
    if (this.closed) return;
    this.waiting = event;
    if (this.timer) return;
    const wait = this.lastSentAt + this.minIntervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  close(): void {
    this.closed = true;
    this.waiting = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    this.timer = null;
    const event = this.waiting;
    this.waiting = null;
    if (!event || this.closed) return;
    this.lastSentAt = this.now();
    this.send(event);
  }
}
