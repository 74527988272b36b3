import type { AudioLevelIndication } from '../counters/audioLevelStats';

/** RFC 6464: the sender's audio level of each packet, in -dBov, and its voice activity flag. */
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** The audio level indication in werift's parsed header extensions of one packet, if any. */
export function audioLevelOf(extensions: Record<string, unknown> | undefined): AudioLevelIndication | undefined {
  const value = extensions?.[AUDIO_LEVEL_URI] as Partial<AudioLevelIndication> | undefined;
  if (typeof value?.level !== 'number' || typeof value.v !== 'boolean') return undefined;
  return { v: value.v, level: value.level };
}

/** The quietest level reported: digital silence (RFC 6464's floor). */
export const SILENCE_DBOV = -127;

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
