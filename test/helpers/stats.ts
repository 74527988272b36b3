/**
 * The one place benches and tests turn measured values into numbers to report.
 *
 * Percentiles are by nearest rank: the p-th percentile of n sorted values is the value at rank
 * ceil(p/100 * n), counting from 1. With n = 20, p95 is the 19th value, not the maximum; with
 * n = 100 it is the 95th. Below 20 values the rank is n, so p95 would be the maximum under
 * another name: it is reported as null and the maximum is given apart. The rank arithmetic is
 * `nearestRank` of the server's own duration stats (its p95_processing_time_ms), so the repo
 * has one definition.
 */
import { nearestRank } from '../../src/counters/durationStats';

/** Fewest values with a p95 that is not the maximum (ceil(0.95 n) < n from n = 20 on). */
export const MIN_VALUES_FOR_P95 = 20;

/** The p-th percentile (0 < p <= 100) of the values by nearest rank; null with none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  return nearestRank(sorted(values), p / 100);
}

export interface Summary {
  /** How many values: the runs (or samples) behind the other numbers. */
  n: number;
  median: number | null;
  /** Null with fewer than 20 values (it would be the maximum). */
  p95: number | null;
  max: number | null;
}

/** A summary with the values it was made from, as measured: what results files keep. */
export interface Measured extends Summary {
  values: number[];
}

/** n, median, p95 and maximum, rounded to `decimals`; nulls where a number is not defined. */
export function summarize(values: readonly number[], decimals = 1): Summary {
  const { values: _values, ...summary } = measure(values, decimals);
  return summary;
}

/** summarize() plus the rounded values in their measured order, so a table can be recomputed. */
export function measure(values: readonly number[], decimals = 1): Measured {
  const scale = 10 ** decimals;
  const round = (value: number) => Math.round(value * scale) / scale;
  const ordered = sorted(values);
  const at = (q: number) => (ordered.length === 0 ? null : round(nearestRank(ordered, q)));
  return {
    n: ordered.length,
    median: at(0.5),
    p95: ordered.length >= MIN_VALUES_FOR_P95 ? at(0.95) : null,
    max: at(1),
    values: values.map(round),
  };
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
