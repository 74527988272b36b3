/**
 * The q-quantile by nearest rank: the smallest sample with at least q of all samples at or below
 * it (index ceil(q * n) - 1 of the sorted samples). NaN with no samples. With 20 samples the
 * 0.95-quantile is the 19th smallest, not the maximum.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** How many recent samples the percentile is computed over. */
const WINDOW = 10_000;

/** Mean over all samples and p95 over the most recent ones, in bounded memory. */
export class DurationStats {
  private readonly recent = new Float64Array(WINDOW);
  private count = 0;
  private sum = 0;

  add(ms: number): void {
    this.recent[this.count % WINDOW] = ms;
    this.count++;
    this.sum += ms;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** 95th percentile (nearest rank) of the last 10,000 samples; 0 with none. */
  get p95(): number {
    const samples = this.recent.slice(0, Math.min(this.count, WINDOW)).sort();
    return samples.length === 0 ? 0 : nearestRank(samples, 0.95);
  }
}
