/**
 * Fires once when a track has delivered no RTP for `timeoutMs`. Packets only record a time
 * (no timer reset per packet); a coarse interval compares it with the clock. `holds`, asked
 * once the time is up, may keep it waiting (the peer may be restarting ICE).
 */
export class InactivityWatch {
  private lastActivity: number;
  private timer: NodeJS.Timeout | null;

  constructor(
    private readonly timeoutMs: number,
    private readonly onInactive: () => void,
    private readonly now: () => number = Date.now,
    private readonly holds: (inactiveForMs: number) => boolean = () => false,
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
    const inactiveFor = this.now() - this.lastActivity;
    if (inactiveFor < this.timeoutMs || this.holds(inactiveFor)) return;
    this.close();
    this.onInactive();
  }
}
