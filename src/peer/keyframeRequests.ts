/**
 * Asks a sender for a keyframe (an RTCP PLI) when decoding needs one, at most once per
 * interval: a decoder waiting for a keyframe asks on every frame it drops.
 */
export class KeyframeRequests {
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly minIntervalMs: number,
    private readonly send: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns whether a request went out. */
  request(): boolean {
    const now = this.now();
    if (now - this.lastSentAt < this.minIntervalMs) return false;
    this.lastSentAt = now;
    this.send();
    return true;
  }
}
