import { DurationStats, nearestRank } from '../../src/counters/durationStats';

const statsOf = (samples: number[]): DurationStats => {
  const stats = new DurationStats();
  for (const sample of samples) stats.add(sample);
  return stats;
};

/** Adds `count` samples of `ms` each; returns the stats. */
function addRun(stats: DurationStats, count: number, ms: number): DurationStats {
  for (let i = 0; i < count; i++) stats.add(ms);
  return stats;
}

describe('DurationStats', () => {
  it('is 0 for mean and p95 with no samples', () => {
    const stats = new DurationStats();
    expect(stats.mean).toBe(0);
    expect(stats.p95).toBe(0);
  });

  it('gives the one sample as mean and p95', () => {
    const stats = statsOf([7.5]);
    expect(stats.mean).toBe(7.5);
    expect(stats.p95).toBe(7.5);
  });

  it('takes p95 by nearest rank: the ceil(0.95 n)-th smallest sample', () => {
    // 1..100 shuffled: rank 95 is 95.
    const hundred = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    expect(statsOf(hundred).p95).toBe(95);
    expect(statsOf(hundred).mean).toBe(50.5);
    // 1..20: rank 19. 1..10: rank ceil(9.5) = 10. 1..21: rank ceil(19.95) = 20.
    expect(statsOf(Array.from({ length: 20 }, (_, i) => 20 - i)).p95).toBe(19);
    expect(statsOf(Array.from({ length: 10 }, (_, i) => i + 1)).p95).toBe(10);
    expect(statsOf(Array.from({ length: 21 }, (_, i) => i + 1)).p95).toBe(20);
  });

  it('sorts numerically, not as strings', () => {
    // 20 samples, rank 19: numerically 2 (x17), 9, 10, 100 gives 10; sorted as strings it would give 2.
    const samples = [9, 100, 10, ...Array.from({ length: 17 }, () => 2)];
    expect(statsOf(samples).p95).toBe(10);
    expect(statsOf([0.5, 12, 3.25, 100.75, 20]).p95).toBe(100.75);
  });

  it('does not change the order of samples it keeps (p95 read twice, then more samples)', () => {
    const stats = statsOf([5, 1, 4]);
    expect(stats.p95).toBe(5);
    expect(stats.p95).toBe(5);
    stats.add(2);
    expect(stats.p95).toBe(5);
    expect(stats.mean).toBe(3);
  });

  it('computes p95 over the last 10,000 samples only, and the mean over all', () => {
    const stats = addRun(addRun(new DurationStats(), 10_000, 1000), 10_000, 1);
    expect(stats.p95).toBe(1);
    expect(stats.mean).toBeCloseTo(500.5, 9);
  });

  it('includes exactly the last 10,000 samples at the window edge', () => {
    // 501 slow samples after 10,000 fast ones: the window holds 9,499 ones then 501 slow ones; rank 9,500 is slow.
    expect(addRun(addRun(new DurationStats(), 10_000, 1), 501, 1000).p95).toBe(1000);
    // 500 slow samples: 9,500 ones, rank 9,500 is still a one.
    expect(addRun(addRun(new DurationStats(), 10_000, 1), 500, 1000).p95).toBe(1);
  });

  it('counts old slow samples out of the window once they are 10,000 samples old', () => {
    const stats = addRun(addRun(new DurationStats(), 600, 1000), 9_400, 1);
    expect(stats.p95).toBe(1000);
    // 100 more: the window holds 500 slow samples, and rank 9,500 of 10,000 is a one.
    expect(addRun(stats, 100, 1).p95).toBe(1);
  });
});

describe('nearestRank', () => {
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

  it('takes the ceil(q n)-th smallest sample: with 20 samples p95 is the 19th, not the maximum', () => {
    expect(nearestRank(oneToTwenty, 0.95)).toBe(19);
    expect(nearestRank(oneToTwenty, 0.5)).toBe(10);
    expect(nearestRank(oneToTwenty, 1)).toBe(20);
    expect(nearestRank(oneToTwenty, 0)).toBe(1);
  });

  it('is NaN with no samples and the sample itself with one', () => {
    expect(nearestRank([], 0.95)).toBeNaN();
    expect(nearestRank([4], 0.95)).toBe(4);
  });
});
