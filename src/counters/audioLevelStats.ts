/** A session's audio levels: what senders announced (RFC 6464) or what decoding measured. */

export interface AudioLevelIndication {
  /** Voice activity, as the sender's detector judged the packet. */
  v: boolean;
  /** 0 (loudest, 0 dBov) to 127 (-127 dBov, silence). */
  level: number;
}

/** Decoded audio above this RMS level counts as voice: speech is about -20 to -35 dBov, room noise -50 and below. */
export const VOICE_THRESHOLD_DBOV = -45;

/** A decoded packet's level as an indication: voice when it is louder than the threshold. */
export function measuredLevel(dbov: number): AudioLevelIndication {
  return { level: Math.min(127, -dbov), v: dbov > VOICE_THRESHOLD_DBOV };
}

/**
 * Per-session loudness and voice activity from the packets' level indications: the mean level
 * is averaged in power (so a loud second is not cancelled by a silent one), the voice activity
 * ratio is the share of packets flagged as voice.
 */
export class AudioLevelStats {
  private count = 0;
  private voiced = 0;
  private power = 0;

  get packets(): number {
    return this.count;
  }

  add({ v, level }: AudioLevelIndication): void {
    this.count++;
    if (v) this.voiced++;
    this.power += 10 ** (-level / 10);
  }

  /** Mean level in dBov (0 loudest), null when no packet carried a level. */
  get meanDbov(): number | null {
    return this.count === 0 ? null : 10 * Math.log10(this.power / this.count);
  }

  get voiceActivityRatio(): number | null {
    return this.count === 0 ? null : this.voiced / this.count;
  }
}
