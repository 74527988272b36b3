/** RFC 6464: the sender's audio level of each packet, in -dBov, and its voice activity flag. */
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface AudioLevelIndication {
  /** Voice activity, as the sender's detector judged the packet. */
  v: boolean;
  /** 0 (loudest, 0 dBov) to 127 (-127 dBov, silence). */
  level: number;
}

/** The audio level indication in werift's parsed header extensions of one packet, if any. */
export function audioLevelOf(extensions: Record<string, unknown> | undefined): AudioLevelIndication | undefined {
  const value = extensions?.[AUDIO_LEVEL_URI] as Partial<AudioLevelIndication> | undefined;
  if (typeof value?.level !== 'number' || typeof value.v !== 'boolean') return undefined;
  return { v: value.v, level: value.level };
}

/**
 * Per-session loudness and voice activity from the packets' level indications: the mean level
 * is averaged in power (so a loud second is not cancelled by a silent one), the voice activity
 * ratio is the share of packets flagged as voice.
 */
export class AudioLevelStats {
  private packets = 0;
  private voiced = 0;
  private power = 0;

  add({ v, level }: AudioLevelIndication): void {
    this.packets++;
    if (v) this.voiced++;
    this.power += 10 ** (-level / 10);
  }

  /** Mean level in dBov (0 loudest), null when no packet carried a level. */
  get meanDbov(): number | null {
    return this.packets === 0 ? null : 10 * Math.log10(this.power / this.packets);
  }

  get voiceActivityRatio(): number | null {
    return this.packets === 0 ? null : this.voiced / this.packets;
  }
}
