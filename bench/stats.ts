import { nearestRank } from '../src/counters/durationStats';

export interface Summary {
  n: number;
  median: number;
  p95: number;
  max: number;
}

/** Median, p95 (nearest rank, as everywhere in this repo) and maximum of the samples. */
export function summarize(values: readonly number[], decimals = 1): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const scale = 10 ** decimals;
  const round = (value: number) => Math.round(value * scale) / scale;
  return {
    n: sorted.length,
    median: round(nearestRank(sorted, 0.5)),
    p95: round(nearestRank(sorted, 0.95)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}
