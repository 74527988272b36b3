import type { Detection } from '../detector';
import { maskRegions } from './maskRegions';
import { assertOutputShape, type YoloLayout } from './outputShapes';
import type { Transform } from './preprocess';

export { checkOutputShape, type Dims, type OutputConvention, type ShapeOptions, type YoloLayout } from './outputShapes';

export const ONNX_OUTPUT_DEFAULTS = {
  scoreThreshold: 0.25,
  maxDetections: 100,
  iouThreshold: 0.45,
  maskThreshold: 0.5,
  minAreaPixels: 400,
};

/** What every convention needs to turn an output into detections. */
export interface DecodeOptions {
  /** From toTensor: model-input pixels to picture pixels. */
  transform: Transform;
  /** Class k is labels[k], or `class_${k}` past its end; a mask region is labels[0] or 'region'. */
  labels?: readonly string[];
  /** Detections scoring below this are dropped. */
  scoreThreshold?: number;
  /** At most this many, the best. */
  maxDetections?: number;
}

export interface BoxesOptions extends DecodeOptions {
  /** Coordinates are fractions (0..1) of the model input's width and height, not pixels. */
  normalizedCoordinates?: boolean;
}

export interface YoloOptions extends DecodeOptions {
  /** Of two boxes of one class overlapping by more than this intersection over union, the lower scoring one goes. */
  iouThreshold?: number;
  yoloLayout?: YoloLayout;
}

export interface MaskOptions extends DecodeOptions {
  /** A mask pixel is in a region when its probability is at least this. */
  maskThreshold?: number;
  /** The mask holds logits: probabilities are their sigmoid. */
  maskLogits?: boolean;
  /** Regions covering fewer picture pixels than this are dropped. */
  minAreaPixels?: number;
}

const labelOf = (labels: readonly string[] | undefined, k: number): string => labels?.[k] ?? `class_${k}`;

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** A model-input box (corners in either order) as a detection in picture pixels, clipped to it; null when nothing is left. */
function pictureDetection(t: Transform, x1: number, y1: number, x2: number, y2: number, score: number, label: string): Detection | null {
  const clipX = (x: number) => Math.min(t.pictureWidth, Math.max(0, (x - t.padX) / t.scaleX));
  const clipY = (y: number) => Math.min(t.pictureHeight, Math.max(0, (y - t.padY) / t.scaleY));
  const left = round2(clipX(Math.min(x1, x2)));
  const right = round2(clipX(Math.max(x1, x2)));
  const top = round2(clipY(Math.min(y1, y2)));
  const bottom = round2(clipY(Math.max(y1, y2)));
  if (!(right > left && bottom > top)) return null;
  return { label, score, bbox: [left, top, round2(right - left), round2(bottom - top)] };
}

const bestFirst = (a: Detection, b: Detection): number => b.score - a.score;

/**
 * Rows of (x1, y1, x2, y2, score, class) from a [N,6] or [1,N,6] output, already through NMS,
 * in model-input pixels (or fractions of the input with normalizedCoordinates).
 */
export function decodeBoxes(data: ArrayLike<number>, dims: readonly number[], options: BoxesOptions): Detection[] {
  assertOutputShape('boxes', dims);
  const { transform: t, labels, scoreThreshold = ONNX_OUTPUT_DEFAULTS.scoreThreshold, maxDetections = ONNX_OUTPUT_DEFAULTS.maxDetections } = options;
  const [xScale, yScale] = options.normalizedCoordinates ? [t.inputWidth, t.inputHeight] : [1, 1];
  const rows = dims[dims.length - 2]!;
  const found: Detection[] = [];
  for (let row = 0, at = 0; row < rows; row++, at += 6) {
    const score = data[at + 4]!;
    if (!(score >= scoreThreshold)) continue;
    const label = labelOf(labels, Math.round(data[at + 5]!));
    const detection = pictureDetection(t, data[at]! * xScale, data[at + 1]! * yScale, data[at + 2]! * xScale, data[at + 3]! * yScale, score, label);
    if (detection) found.push(detection);
  }
  return found.sort(bestFirst).slice(0, maxDetections);
}

/** Per anchor of a YOLO output: its best class and that class's score. Kept between calls. */
let bestScore = new Float32Array(0);
let bestClass = new Int32Array(0);

/**
 * A raw Ultralytics (v8, v11) output, [1, 4 + C, A] channels-first or [1, A, 4 + C]
 * anchors-first: per anchor cx, cy, w, h in model-input pixels and C class scores. Keeps each
 * anchor's best class when it reaches scoreThreshold, then greedy non-maximum suppression per
 * class (the best box first; a box overlapping a kept one of its class by more than
 * iouThreshold goes), up to maxDetections.
 */
export function decodeYolo(data: ArrayLike<number>, dims: readonly number[], options: YoloOptions): Detection[] {
  const { yoloLayout = 'channels-first', labels } = options;
  assertOutputShape('yolo', dims, { yoloLayout, classes: labels?.length });
  const { transform: t, scoreThreshold = ONNX_OUTPUT_DEFAULTS.scoreThreshold, maxDetections = ONNX_OUTPUT_DEFAULTS.maxDetections } = options;
  const iouThreshold = options.iouThreshold ?? ONNX_OUTPUT_DEFAULTS.iouThreshold;
  const channelsFirst = yoloLayout === 'channels-first';
  const anchors = channelsFirst ? dims[2]! : dims[1]!;
  const channels = channelsFirst ? dims[1]! : dims[2]!;
  // Where value `channel` of `anchor` is: data[anchor * anchorStep + channel * channelStep].
  const anchorStep = channelsFirst ? 1 : channels;
  const channelStep = channelsFirst ? anchors : 1;

  if (bestScore.length < anchors) {
    bestScore = new Float32Array(anchors);
    bestClass = new Int32Array(anchors);
  }
  for (let anchor = 0; anchor < anchors; anchor++) {
    bestScore[anchor] = data[anchor * anchorStep + 4 * channelStep]!;
    bestClass[anchor] = 0;
  }
  // Class by class over every anchor: sequential reads in the channels-first layout.
  for (let k = 1; k < channels - 4; k++) {
    for (let anchor = 0, at = (4 + k) * channelStep; anchor < anchors; anchor++, at += anchorStep) {
      if (data[at]! > bestScore[anchor]!) {
        bestScore[anchor] = data[at]!;
        bestClass[anchor] = k;
      }
    }
  }
  const candidates: number[] = [];
  for (let anchor = 0; anchor < anchors; anchor++) if (bestScore[anchor]! >= scoreThreshold) candidates.push(anchor);
  candidates.sort((a, b) => bestScore[b]! - bestScore[a]!);

  const kept: Array<Corners & { k: number }> = [];
  const found: Detection[] = [];
  for (const anchor of candidates) {
    if (found.length >= maxDetections) break;
    const at = anchor * anchorStep;
    const cx = data[at]!;
    const cy = data[at + channelStep]!;
    const w = Math.abs(data[at + 2 * channelStep]!);
    const h = Math.abs(data[at + 3 * channelStep]!);
    const box = { k: bestClass[anchor]!, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, area: w * h };
    if (kept.some((other) => other.k === box.k && iou(box, other) > iouThreshold)) continue;
    kept.push(box);
    const detection = pictureDetection(t, box.x1, box.y1, box.x2, box.y2, bestScore[anchor]!, labelOf(labels, box.k));
    if (detection) found.push(detection);
  }
  return found;
}

interface Corners {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  area: number;
}

/** Intersection over union of two boxes (0 when either is empty). */
function iou(a: Corners, b: Corners): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const overlap = w * h;
  return overlap / (a.area + b.area - overlap);
}

/**
 * A segmentation output [1,1,H,W] (probabilities, or logits with maskLogits) covering the model
 * input (mask pixels scaled to input pixels when the sizes differ): the 8-connected regions of
 * pixels at or above maskThreshold, each a detection boxed in picture pixels with its mean
 * probability as score; regions under minAreaPixels picture pixels are dropped.
 */
export function decodeMask(data: ArrayLike<number>, dims: readonly number[], options: MaskOptions): Detection[] {
  assertOutputShape('mask', dims);
  const { transform: t, labels, maskLogits = false, scoreThreshold = ONNX_OUTPUT_DEFAULTS.scoreThreshold } = options;
  const { maxDetections = ONNX_OUTPUT_DEFAULTS.maxDetections, maskThreshold = ONNX_OUTPUT_DEFAULTS.maskThreshold } = options;
  const minAreaPixels = options.minAreaPixels ?? ONNX_OUTPUT_DEFAULTS.minAreaPixels;
  const [, , height, width] = dims as [number, number, number, number];
  // A probability threshold p is the logit log(p / (1 - p)): compare logits without a sigmoid per pixel.
  const cut = maskLogits ? Math.log(maskThreshold / (1 - maskThreshold)) : maskThreshold;
  const xStep = t.inputWidth / width;
  const yStep = t.inputHeight / height;
  const picturePixelsPerMaskPixel = (xStep / t.scaleX) * (yStep / t.scaleY);
  const label = labels?.[0] ?? 'region';
  const found: Detection[] = [];
  for (const region of maskRegions(data, width, height, { cut, logits: maskLogits })) {
    if (region.pixels * picturePixelsPerMaskPixel < minAreaPixels) continue;
    const score = region.probabilitySum / region.pixels;
    if (!(score >= scoreThreshold)) continue;
    const detection = pictureDetection(t, region.x0 * xStep, region.y0 * yStep, region.x1 * xStep, region.y1 * yStep, score, label);
    if (detection) found.push(detection);
  }
  return found.sort(bestFirst).slice(0, maxDetections);
}
