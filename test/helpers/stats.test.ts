import { measure, percentile, summarize } from './stats';

/** 1..n, shuffled deterministically so that sorting is part of what is tested. */
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i * 7) % n) + 1);

describe('percentile (nearest rank: the value at rank ceil(p/100 n))', () => {
  it('is null with no values', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([], 50)).toBeNull();
  });

  it('is the one value whatever p with n = 1', () => {
    expect(percentile([4.2], 1)).toBe(4.2);
    expect(percentile([4.2], 50)).toBe(4.2);
    expect(percentile([4.2], 95)).toBe(4.2);
  });

  it('takes the 19th of 20 values as p95, not the maximum, and the 10th as the median', () => {
    const values = oneTo(20);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 100)).toBe(20);
  });

  it('takes the 95th of 100 values as p95 and the 50th as the median', () => {
    const values = oneTo(100).map((rank) => rank / 10);
    expect(percentile(values, 95)).toBe(9.5);
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(9.9);
  });

  it('does not reorder the caller’s values', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('gives n 0 and nulls with no values', () => {
    expect(summarize([])).toEqual({ n: 0, median: null, p95: null, max: null });
  });

  it('gives no p95 for one value: it would be the maximum', () => {
    expect(summarize([7.25])).toEqual({ n: 1, median: 7.3, p95: null, max: 7.3 });
  });

  it('gives no p95 below 20 values, and the 19th of 20', () => {
    expect(summarize(oneTo(19)).p95).toBeNull();
    expect(summarize(oneTo(20))).toEqual({ n: 20, median: 10, p95: 19, max: 20 });
  });

  it('summarizes 100 values by rank: median the 50th, p95 the 95th', () => {
    expect(summarize(oneTo(100).map((rank) => rank + 0.123), 2)).toEqual({ n: 100, median: 50.12, p95: 95.12, max: 100.12 });
  });

  it('keeps the rounded values in measured order with measure()', () => {
    expect(measure([3.14159, 1.5, 2.71828], 2)).toEqual({ n: 3, median: 2.72, p95: null, max: 3.14, values: [3.14, 1.5, 2.72] });
  });
});
