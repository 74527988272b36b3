/** RTP video clock: 90,000 ticks a second. */
const TICKS_PER_SECOND = 90_000;
/** A step back in media time larger than this (1 s) is a discontinuity (a sender restarting its clock), not a reordered frame. */
const MAX_BACKSTEP_TICKS = TICKS_PER_SECOND;

/**
 * Chooses which frames of one track are analysed when ANALYSIS_FPS limits the rate, by the
 * frames' RTP timestamps (media time), so the choice does not depend on when frames arrive or
 * how long analysis takes. Media time is cut into slots of 1/fps seconds from the first analysed
 * frame on; the first frame at or after the start of a slot is due, the others in the slot are
 * not. A source faster than the rate is analysed at the rate on average (30 fps at 7 gives 7, not
 * 6), and a few ticks of jitter in the sender's timestamps move no frame to the next slot.
 *
 * `due()` is asked once per frame; `analysed()` is told when a due frame was analysed (gave a
 * picture). Until then the slot stays open: a frame that gave no picture does not use it up.
 */
export class AnalysisSampler {
  private readonly slotTicks: number;
  /** Media time unwrapped from the 32-bit RTP timestamps (ticks since this track's first frame). */
  private position = 0;
  private lastTimestamp: number | null = null;
  /** Where the next slot starts; null until a frame was analysed. */
  private nextSlot: number | null = null;
  private lastAnalysed = 0;

  constructor(framesPerSecond: number) {
    if (!(framesPerSecond > 0) || !Number.isFinite(framesPerSecond)) {
      throw new RangeError(`an analysis rate must be a positive number of frames a second, got ${framesPerSecond}`);
    }
    this.slotTicks = TICKS_PER_SECOND / framesPerSecond;
  }

  /** Whether the frame with this RTP timestamp is to be analysed. */
  due(rtpTimestamp: number): boolean {
    const at = this.unwrap(rtpTimestamp);
    if (this.nextSlot === null || at >= this.nextSlot) return true;
    // Media time jumped back (a sender restarting its clock): start again rather than wait for it to catch up.
    return at < this.lastAnalysed - MAX_BACKSTEP_TICKS;
  }

  /** The frame with this RTP timestamp was analysed: its slot is used up. */
  analysed(rtpTimestamp: number): void {
    const at = this.unwrap(rtpTimestamp);
    const onGrid = this.nextSlot !== null && at >= this.nextSlot && at < this.nextSlot + this.slotTicks;
    // In the current slot: the next starts one slot later. After a gap of a slot or more (or a
    // jump back), the slots start again from this frame.
    this.nextSlot = onGrid ? this.nextSlot! + this.slotTicks : at + this.slotTicks;
    this.lastAnalysed = at;
  }

  /** The timestamp's place in media time; the difference from the previous one is taken modulo 2^32, so wrapping is seamless. */
  private unwrap(rtpTimestamp: number): number {
    if (this.lastTimestamp !== null) this.position += (rtpTimestamp - this.lastTimestamp) | 0;
    this.lastTimestamp = rtpTimestamp >>> 0;
    return this.position;
  }
}
