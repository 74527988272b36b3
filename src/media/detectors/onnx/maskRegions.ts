/** One 8-connected region of a thresholded mask, in mask pixels. */
export interface MaskRegion {
  /** Bounds: columns x0..x1 - 1, rows y0..y1 - 1. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Mask pixels in the region. */
  pixels: number;
  /** Sum of their probabilities (mean = probabilitySum / pixels). */
  probabilitySum: number;
}

export interface MaskThreshold {
  /** A pixel belongs to a region when its value is at least this (in the mask's own units: probability or logit). */
  cut: number;
  /** Values are logits: a pixel's probability is their sigmoid. */
  logits: boolean;
}

/**
 * Runs of foreground pixels, one row after another: each run's columns [start, end), row,
 * probability sum, and its parent in a union-find forest joining runs that touch. Grown as
 * needed and kept between calls (one table per thread; a worker decodes one mask at a time).
 */
class RunTable {
  capacity = 0;
  start = new Int32Array(0);
  end = new Int32Array(0);
  row = new Int32Array(0);
  parent = new Int32Array(0);
  sum = new Float64Array(0);
  /** Per root run, once merged: its region's pixel count and last row. */
  pixels = new Int32Array(0);
  lastRow = new Int32Array(0);

  reserve(runs: number): void {
    if (runs <= this.capacity) return;
    const capacity = Math.max(runs, 2 * this.capacity, 1024);
    const grow = <T extends Int32Array | Float64Array>(old: T, made: T): T => {
      made.set(old);
      return made;
    };
    this.start = grow(this.start, new Int32Array(capacity));
    this.end = grow(this.end, new Int32Array(capacity));
    this.row = grow(this.row, new Int32Array(capacity));
    this.parent = grow(this.parent, new Int32Array(capacity));
    this.sum = grow(this.sum, new Float64Array(capacity));
    this.pixels = new Int32Array(capacity);
    this.lastRow = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** The root of a run's tree, halving the path on the way. */
  root(run: number): number {
    const { parent } = this;
    while (parent[run] !== run) {
      parent[run] = parent[parent[run]!]!;
      run = parent[run]!;
    }
    return run;
  }

  /** Joins two runs' trees under the earlier root (the region's first run, in its first row). */
  join(a: number, b: number): void {
    const rootA = this.root(a);
    const rootB = this.root(b);
    if (rootA < rootB) this.parent[rootB] = rootA;
    else if (rootB < rootA) this.parent[rootA] = rootB;
  }
}

const table = new RunTable();

const sigmoid = (value: number): number => 1 / (1 + Math.exp(-value));

/**
 * The 8-connected regions of the pixels at or above the threshold in a width x height mask
 * (row-major), by run-length labelling: one pass finds each row's runs and joins those that
 * touch a run of the row above, a second pass folds every run into its region. Linear in the
 * pixels plus the runs; regions in order of their first pixel.
 */
export function maskRegions(mask: ArrayLike<number>, width: number, height: number, { cut, logits }: MaskThreshold): MaskRegion[] {
  let runs = 0;
  let previousFirst = 0;
  for (let y = 0; y < height; y++) {
    const rowFirst = runs;
    const base = y * width;
    // The first run of the row above that may still touch a run of this row.
    let above = previousFirst;
    for (let x = 0; x < width; ) {
      if (!(mask[base + x]! >= cut)) {
        x++;
        continue;
      }
      const start = x;
      let sum = 0;
      for (; x < width && mask[base + x]! >= cut; x++) sum += logits ? sigmoid(mask[base + x]!) : mask[base + x]!;
      table.reserve(runs + 1);
      const { start: starts, end: ends } = table;
      starts[runs] = start;
      ends[runs] = x;
      table.row[runs] = y;
      table.parent[runs] = runs;
      table.sum[runs] = sum;
      // Runs above touch this one (diagonals included) when they end at or after its start
      // and start at or before its end; those ending before its start touch no later run either.
      while (above < rowFirst && ends[above]! < start) above++;
      for (let other = above; other < rowFirst && starts[other]! <= x; other++) table.join(other, runs);
      runs++;
    }
    previousFirst = rowFirst;
  }
  return collect(runs);
}

/** Folds each run into its root's bounds, pixel count and sum; one region per root. */
function collect(runs: number): MaskRegion[] {
  const { start, end, row, sum, pixels, lastRow } = table;
  const regions: MaskRegion[] = [];
  for (let run = 0; run < runs; run++) {
    const root = table.root(run);
    const length = end[run]! - start[run]!;
    if (root === run) {
      // A root comes before the other runs of its region: its own run is still as found.
      pixels[run] = length;
      lastRow[run] = row[run]!;
      continue;
    }
    pixels[root] = pixels[root]! + length;
    sum[root] = sum[root]! + sum[run]!;
    lastRow[root] = row[run]!;
    if (start[run]! < start[root]!) start[root] = start[run]!;
    if (end[run]! > end[root]!) end[root] = end[run]!;
  }
  for (let run = 0; run < runs; run++) {
    if (table.parent[run] !== run) continue;
    regions.push({ x0: start[run]!, y0: row[run]!, x1: end[run]!, y1: lastRow[run]! + 1, pixels: pixels[run]!, probabilitySum: sum[run]! });
  }
  return regions;
}
