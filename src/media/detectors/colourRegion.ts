import { assertI420, chromaSize, type I420Frame } from '../i420Frame';
import { resolveOptions, type Detection, type Detector, type DetectorOptions } from './detector';

/**
 * Thresholds of the colour-region detector. Chroma values are offsets from neutral:
 * cr = V - 128 (Cr), cb = U - 128 (Cb); BT.601 limited range puts pure red at cr 112, cb -38.
 */
export const COLOUR_REGION_DEFAULTS = {
  /** A red sample has cr at least this: pure red 112, dark and wound reds 44..75, skin and beige 15..37. */
  minCr: 40,
  /**
   * ...and cr at least this many times -cb (how far Cb is below neutral). Pure and dark reds
   * have about 3, skin and beige 0.8..1.5, orange 0.6: 2 keeps hues within about 9 degrees of
   * red towards orange.
   */
  minHueRatio: 2,
  /** ...and cb at most this (Cb not above neutral): rejects pink, magenta and purple. */
  maxCb: 0,
  /** ...and the mean luma of its 2x2 pixels within [minLuma, maxLuma]: not near black or white, where chroma is noise. */
  minLuma: 32,
  maxLuma: 230,
  /**
   * A sample with cr at least this that passes the other tests joins a region it touches but
   * does not start one (hysteresis): it recovers region edges where chroma subsampling, blur or
   * compression blend the red with the background.
   */
  minEdgeCr: 20,
  /**
   * Regions smaller than max(minAreaPixels, minAreaFraction * width * height) pixels are dropped,
   * a region's area being 4 pixels per chroma sample in it (400 px is 20x20; 0.2% of 640x480 is 614 px).
   */
  minAreaPixels: 400,
  minAreaFraction: 0.002,
  /** At most this many detections, the best scores. */
  maxDetections: 10,
};

export type ColourRegionOptions = typeof COLOUR_REGION_DEFAULTS;

export const COLOUR_REGION_LABEL = 'wound';

/** cr of a fully saturated red: a sample at or above it has redness strength 1. */
const SATURATED_CR = 112;

/**
 * Finds red (wound-like) regions: one decision per chroma sample (2x2 pixels) by the thresholds
 * above, 8-connected components by breadth-first search, each region boxed in frame pixels.
 * Score = mean redness strength (min(1, cr / 112) over the region's samples) times fill (the
 * region's samples / the samples in its box): 1 for a solid rectangle of saturated red, lower
 * for duller reds and for thin or ragged shapes. Linear time; no allocation per pixel; keeps its
 * buffers between calls for frames of one size, so use one instance per worker.
 */
export class ColourRegionDetector implements Detector {
  readonly name = 'colour-region';
  readonly options: Readonly<ColourRegionOptions>;
  /** Per chroma sample, with a one-sample border that stays 0: cr if red or edge-red, else 0 (also 0 once visited). */
  private mask = new Uint8Array(0);
  /** Breadth-first search queue of mask indexes; one component holds at most every sample. */
  private queue = new Int32Array(0);
  private readonly neighbours = new Int32Array(8);
  private maskStride = 0;
  private maskRows = 0;

  constructor(options?: DetectorOptions) {
    const resolved = resolveOptions(this.name, COLOUR_REGION_DEFAULTS, options);
    const { minCr, minEdgeCr, minHueRatio, minLuma, maxLuma, minAreaPixels, minAreaFraction, maxDetections } = resolved;
    const problems = [
      !(minCr >= 1 && minCr <= 127) && 'minCr must be in 1..127',
      !(minEdgeCr >= 1 && minEdgeCr <= minCr) && 'minEdgeCr must be in 1..minCr',
      minHueRatio < 0 && 'minHueRatio must be >= 0',
      !(minLuma <= maxLuma) && 'minLuma must be <= maxLuma',
      minAreaPixels < 0 && 'minAreaPixels must be >= 0',
      !(minAreaFraction >= 0 && minAreaFraction <= 1) && 'minAreaFraction must be in 0..1',
      !(Number.isInteger(maxDetections) && maxDetections >= 1) && 'maxDetections must be an integer >= 1',
    ].filter((problem): problem is string => typeof problem === 'string');
    if (problems.length > 0) throw new Error(`detector '${this.name}': ${problems.join('; ')}`);
    this.options = Object.freeze(resolved);
  }

  detect(frame: I420Frame): Detection[] {
    assertI420(frame);
    const chromaWidth = chromaSize(frame.width);
    const chromaHeight = chromaSize(frame.height);
    this.prepare(chromaWidth, chromaHeight);
    // No sample red enough to start a region: none to look for.
    if (!this.markRedSamples(frame, chromaWidth, chromaHeight)) return [];
    return this.regions(frame);
  }

  /** Sizes the mask and queue for a chroma grid, keeping them while the frame size does not change. */
  private prepare(chromaWidth: number, chromaHeight: number): void {
    const stride = chromaWidth + 2;
    const rows = chromaHeight + 2;
    if (stride === this.maskStride && rows === this.maskRows) return;
    this.maskStride = stride;
    this.maskRows = rows;
    this.mask = new Uint8Array(stride * rows);
    this.queue = new Int32Array(chromaWidth * chromaHeight);
    this.neighbours.set([-stride - 1, -stride, -stride + 1, -1, 1, stride - 1, stride, stride + 1]);
  }

  /**
   * Marks each chroma sample: its cr when it is red or edge-red, else 0. Most samples of a
   * picture are far from red, so the V plane is first read four samples at a time: a word none
   * of whose samples reaches minEdgeCr leaves its four marks 0 without another look. Returns
   * whether any sample reached minCr (a region can start only there).
   */
  private markRedSamples(frame: I420Frame, chromaWidth: number, chromaHeight: number): boolean {
    const { mask, maskStride } = this;
    mask.fill(0);
    const { v } = frame;
    const samples = chromaWidth * chromaHeight;
    let strong = false;
    let c = 0;
    if (v.byteOffset % 4 === 0) {
      const words = new Uint32Array(v.buffer, v.byteOffset, samples >> 2);
      // A byte b reaches 128 + minEdgeCr when its top bit is set and its low seven bits reach
      // minEdgeCr: adding 128 - minEdgeCr to the low seven bits (no carry out of a byte) sets the top bit exactly then.
      const add = 0x01010101 * (128 - this.options.minEdgeCr);
      for (let word = 0; word < words.length; word++) {
        const x = words[word]!;
        if (((((x & 0x7f7f7f7f) + add) & x & 0x80808080) >>> 0) === 0) continue;
        for (c = word << 2; c < (word << 2) + 4; c++) strong = this.markSample(frame, chromaWidth, c, maskStride) || strong;
      }
      c = words.length << 2;
    }
    for (; c < samples; c++) strong = this.markSample(frame, chromaWidth, c, maskStride) || strong;
    return strong;
  }

  /** Marks chroma sample `c` (row-major) by the thresholds; true when its cr reaches minCr. */
  private markSample(frame: I420Frame, chromaWidth: number, c: number, maskStride: number): boolean {
    const cr = frame.v[c]! - 128;
    const { minEdgeCr, minCr, minHueRatio, maxCb, minLuma, maxLuma } = this.options;
    if (cr < minEdgeCr) return false;
    const cb = frame.u[c]! - 128;
    if (cb > maxCb || cr < -minHueRatio * cb) return false;
    const { width, height, y } = frame;
    const cy = (c / chromaWidth) | 0;
    const cx = c - cy * chromaWidth;
    // The sample's 2x2 luma block; the last row or column repeats on an odd-sized frame.
    const top = 2 * cy * width;
    const bottom = 2 * cy + 1 < height ? top + width : top;
    const left = 2 * cx;
    const right = left + 1 < width ? left + 1 : left;
    const luma = (y[top + left]! + y[top + right]! + y[bottom + left]! + y[bottom + right]!) >> 2;
    if (luma < minLuma || luma > maxLuma) return false;
    this.mask[(cy + 1) * maskStride + cx + 1] = cr;
    return cr >= minCr;
  }

  /** Connected components of the mask that hold a red sample (clearing them), as scored detections. */
  private regions(frame: I420Frame): Detection[] {
    const { minCr, minAreaPixels, minAreaFraction, maxDetections } = this.options;
    const { mask, queue, neighbours, maskStride } = this;
    const minSamples = Math.max(minAreaPixels, minAreaFraction * frame.width * frame.height) / 4;
    const found: Detection[] = [];
    const end = maskStride * (this.maskRows - 1);
    for (let start = maskStride; start < end; start++) {
      if (mask[start]! < minCr) continue;
      let crSum = mask[start]!;
      mask[start] = 0;
      queue[0] = start;
      let head = 0;
      let tail = 1;
      let minX = start % maskStride;
      let maxX = minX;
      let minY = (start - minX) / maskStride;
      let maxY = minY;
      while (head < tail) {
        const at = queue[head++]!;
        const row = (at / maskStride) | 0;
        const column = at - row * maskStride;
        if (column < minX) minX = column;
        else if (column > maxX) maxX = column;
        if (row < minY) minY = row;
        else if (row > maxY) maxY = row;
        for (let n = 0; n < 8; n++) {
          const next = at + neighbours[n]!;
          const cr = mask[next]!;
          if (cr !== 0) {
            crSum += cr;
            mask[next] = 0;
            queue[tail++] = next;
          }
        }
      }
      if (tail < minSamples) continue;
      const strength = Math.min(1, crSum / (tail * SATURATED_CR));
      const fill = tail / ((maxX - minX + 1) * (maxY - minY + 1));
      // Mask coordinates are offset by the border: sample (x, y) covers pixels 2(x-1)..2(x-1)+1.
      const x0 = 2 * (minX - 1);
      const y0 = 2 * (minY - 1);
      const x1 = Math.min(frame.width, 2 * maxX);
      const y1 = Math.min(frame.height, 2 * maxY);
      found.push({ label: COLOUR_REGION_LABEL, score: strength * fill, bbox: [x0, y0, x1 - x0, y1 - y0] });
    }
    found.sort((a, b) => b.score - a.score || b.bbox[2] * b.bbox[3] - a.bbox[2] * a.bbox[3]);
    return found.length > maxDetections ? found.slice(0, maxDetections) : found;
  }
}

export const createColourRegionDetector = (options?: DetectorOptions): Detector =>
  new ColourRegionDetector(options);
