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
    if (samples.length === 0) return 0;
    return samples[Math.ceil(samples.length * 0.95) - 1]!;
  }
}
