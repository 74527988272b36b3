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

/** The quietest level reported: digital silence (RFC 6464's floor). */
export const SILENCE_DBOV = -127;
/** Decoded audio above this RMS level counts as voice: speech is about -20 to -35 dBov, room noise -50 and below. */
export const VOICE_THRESHOLD_DBOV = -45;

/** RMS level of the samples in dBov (0 for a full-scale square wave), floored at -127. */
export function rmsDbov(channels: readonly Float32Array[]): number {
  let sumOfSquares = 0;
  let count = 0;
  for (const samples of channels) {
    for (let i = 0; i < samples.length; i++) sumOfSquares += samples[i]! * samples[i]!;
    count += samples.length;
  }
  if (count === 0 || sumOfSquares === 0) return SILENCE_DBOV;
  return Math.max(SILENCE_DBOV, 10 * Math.log10(sumOfSquares / count));
}

/** A decoded packet's level as an indication: voice when it is louder than the threshold. */
export function measuredLevel(dbov: number): AudioLevelIndication {
  return { level: Math.min(127, -dbov), v: dbov > VOICE_THRESHOLD_DBOV };
}
