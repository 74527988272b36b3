import { AudioLevelStats, measuredLevel, VOICE_THRESHOLD_DBOV } from '../../src/counters/audioLevelStats';

describe('AudioLevelStats', () => {
  it('has no level and no voice ratio before any packet (not NaN)', () => {
    const stats = new AudioLevelStats();
    expect(stats.packets).toBe(0);
    expect(stats.meanDbov).toBeNull();
    expect(stats.voiceActivityRatio).toBeNull();
  });

  it('averages in power and counts the voiced share', () => {
    const stats = new AudioLevelStats();
    stats.add({ v: true, level: 10 });
    stats.add({ v: false, level: 127 });
    expect(stats.packets).toBe(2);
    expect(stats.voiceActivityRatio).toBe(0.5);
    expect(stats.meanDbov).toBeCloseTo(10 * Math.log10((10 ** -1 + 10 ** -12.7) / 2), 9);
  });
});

describe('measuredLevel', () => {
  it('is voice only when louder than the threshold, not at it', () => {
    expect(measuredLevel(VOICE_THRESHOLD_DBOV).v).toBe(false);
    expect(measuredLevel(VOICE_THRESHOLD_DBOV + 0.1).v).toBe(true);
    expect(measuredLevel(VOICE_THRESHOLD_DBOV - 0.1).v).toBe(false);
  });

  it('turns dBov into an RFC 6464 level, 127 at most', () => {
    expect(measuredLevel(-30).level).toBe(30);
    expect(measuredLevel(-200).level).toBe(127);
  });
});
