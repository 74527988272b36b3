/**
 * Fires once when a track has delivered no RTP for `timeoutMs`. Packets only record a time
 * (no timer reset per packet); a coarse interval compares it with the clock.
 */
export class InactivityWatch {
  private lastActivity: number;
  private timer: NodeJS.Timeout | null;

  constructor(
    private readonly timeoutMs: number,
    private readonly onInactive: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActivity = now();
    this.timer = setInterval(() => this.check(), Math.max(10, Math.floor(timeoutMs / 10)));
  }

  touch(): void {
    this.lastActivity = this.now();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.now() - this.lastActivity < this.timeoutMs) return;
    this.close();
    this.onInactive();
  }
}
