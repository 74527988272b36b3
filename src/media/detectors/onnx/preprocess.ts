import { assertI420, chromaSize, type I420Frame } from '../../i420Frame';

/** How 0..255 RGB components become tensor values. */
export type Normalize =
  /** value / 255: 0..1. */
  | { kind: 'unit' }
  /** value as is: 0..255. */
  | { kind: 'raw' }
  /** (value / 255 - mean) / std per channel, as torchvision's Normalize after ToTensor. */
  | { kind: 'meanStd'; mean: readonly [r: number, g: number, b: number]; std: readonly [r: number, g: number, b: number] };

/** The model's input tensor: [1, 3, height, width] (nchw) or [1, height, width, 3] (nhwc), float32. */
export interface InputSpec {
  width: number;
  height: number;
  layout: 'nchw' | 'nhwc';
  channels: 'rgb' | 'bgr';
  /** letterbox: keep the aspect ratio, centre, pad with LETTERBOX_PAD; stretch: fill the input. */
  resize: 'letterbox' | 'stretch';
  normalize: Normalize;
}

/**
 * Where the picture lies in the model input: input x = picture x * scaleX + padX (and so for y),
 * in pixel-edge coordinates (the picture's left edge 0 is at input padX).
 */
export interface Transform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  pictureWidth: number;
  pictureHeight: number;
  inputWidth: number;
  inputHeight: number;
}

/** The grey Ultralytics pads letterboxed inputs with, as an 8-bit component (114/255 in 0..1). */
export const LETTERBOX_PAD = 114;

/** A model-input point in picture pixels. */
export const toPicture = (t: Transform, x: number, y: number): [x: number, y: number] => [(x - t.padX) / t.scaleX, (y - t.padY) / t.scaleY];

/** A picture point in model-input pixels. */
export const toInput = (t: Transform, x: number, y: number): [x: number, y: number] => [x * t.scaleX + t.padX, y * t.scaleY + t.padY];

/** Null when the spec can be used, else a message naming what is wrong with it. */
export function checkInputSpec(spec: InputSpec): string | null {
  const { width, height, layout, channels, resize, normalize } = spec;
  const problems = [
    !(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0) && `size ${width}x${height} must be positive integers`,
    layout !== 'nchw' && layout !== 'nhwc' && `layout '${String(layout)}' must be 'nchw' or 'nhwc'`,
    channels !== 'rgb' && channels !== 'bgr' && `channels '${String(channels)}' must be 'rgb' or 'bgr'`,
    resize !== 'letterbox' && resize !== 'stretch' && `resize '${String(resize)}' must be 'letterbox' or 'stretch'`,
    !['unit', 'raw', 'meanStd'].includes(normalize?.kind) && `normalize must be unit, raw or meanStd`,
    normalize?.kind === 'meanStd' &&
      !(normalize.mean?.length === 3 && normalize.std?.length === 3 && [...normalize.mean, ...normalize.std].every(Number.isFinite) && normalize.std.every((s) => s !== 0)) &&
      'meanStd needs three finite means and three finite non-zero stds',
  ].filter((problem): problem is string => typeof problem === 'string');
  return problems.length === 0 ? null : `input spec: ${problems.join('; ')}`;
}

/** Where a picture of this size lies in the spec's input: scaled to fill it (stretch) or to fit it, centred (letterbox). */
export function fitTransform(pictureWidth: number, pictureHeight: number, spec: Pick<InputSpec, 'width' | 'height' | 'resize'>): Transform {
  const { width: inputWidth, height: inputHeight } = spec;
  let contentWidth = inputWidth;
  let contentHeight = inputHeight;
  if (spec.resize === 'letterbox') {
    const scale = Math.min(inputWidth / pictureWidth, inputHeight / pictureHeight);
    contentWidth = Math.min(inputWidth, Math.max(1, Math.round(pictureWidth * scale)));
    contentHeight = Math.min(inputHeight, Math.max(1, Math.round(pictureHeight * scale)));
  }
  return {
    // The content's size over the picture's, per axis: exact for the pixels drawn.
    scaleX: contentWidth / pictureWidth,
    scaleY: contentHeight / pictureHeight,
    // Odd padding puts the extra column or row after the picture, as Ultralytics' LetterBox does.
    padX: Math.floor((inputWidth - contentWidth) / 2),
    padY: Math.floor((inputHeight - contentHeight) / 2),
    pictureWidth,
    pictureHeight,
    inputWidth,
    inputHeight,
  };
}

/** For each output position along one axis: the two source samples to blend and the second's weight. */
interface AxisTaps {
  first: Int32Array;
  second: Int32Array;
  weight: Float32Array;
}

/** Bilinear taps for `count` outputs at `scale` outputs per source sample, pixel centres aligned (as OpenCV's INTER_LINEAR). */
function axisTaps(count: number, scale: number, sourceSize: number, sourceOffset: (x: number) => number): AxisTaps {
  const taps = { first: new Int32Array(count), second: new Int32Array(count), weight: new Float32Array(count) };
  const last = sourceSize - 1;
  for (let i = 0; i < count; i++) {
    const at = Math.min(last, Math.max(0, sourceOffset((i + 0.5) / scale - 0.5)));
    const first = Math.floor(at);
    taps.first[i] = first;
    taps.second[i] = Math.min(last, first + 1);
    taps.weight[i] = at - first;
  }
  return taps;
}

/** Taps of luma and chroma along both axes, for one picture size in one input. */
interface Resampling {
  transform: Transform;
  contentWidth: number;
  contentHeight: number;
  lumaX: AxisTaps;
  lumaY: AxisTaps;
  chromaX: AxisTaps;
  chromaY: AxisTaps;
}

/** Chroma sample position for a luma position: chroma sited at the centre of its 2x2 block (as VP8 and JPEG). */
const chromaOffset = (luma: number): number => (luma + 0.5) / 2 - 0.5;

function resampling(pictureWidth: number, pictureHeight: number, spec: InputSpec): Resampling {
  const transform = fitTransform(pictureWidth, pictureHeight, spec);
  const contentWidth = Math.round(pictureWidth * transform.scaleX);
  const contentHeight = Math.round(pictureHeight * transform.scaleY);
  const identity = (x: number) => x;
  return {
    transform,
    contentWidth,
    contentHeight,
    lumaX: axisTaps(contentWidth, transform.scaleX, pictureWidth, identity),
    lumaY: axisTaps(contentHeight, transform.scaleY, pictureHeight, identity),
    chromaX: axisTaps(contentWidth, transform.scaleX, chromaSize(pictureWidth), chromaOffset),
    chromaY: axisTaps(contentHeight, transform.scaleY, chromaSize(pictureHeight), chromaOffset),
  };
}

/** Taps for the last few (picture size, input size, resize) seen: a worker serves streams of a few sizes. */
const resamplings = new Map<string, Resampling>();
const MAX_RESAMPLINGS = 8;

function cachedResampling(pictureWidth: number, pictureHeight: number, spec: InputSpec): Resampling {
  const key = `${pictureWidth}x${pictureHeight}>${spec.width}x${spec.height}:${spec.resize}`;
  let found = resamplings.get(key);
  if (!found) {
    if (resamplings.size >= MAX_RESAMPLINGS) resamplings.delete(resamplings.keys().next().value!);
    found = resampling(pictureWidth, pictureHeight, spec);
    resamplings.set(key, found);
  }
  return found;
}

/** Per R, G, B: tensor value = component (0..255) * multiply + add. */
function normalisation(normalize: Normalize): { multiply: number[]; add: number[] } {
  switch (normalize.kind) {
    case 'raw':
      return { multiply: [1, 1, 1], add: [0, 0, 0] };
    case 'unit':
      return { multiply: [1 / 255, 1 / 255, 1 / 255], add: [0, 0, 0] };
    case 'meanStd': {
      const { mean, std } = normalize;
      return { multiply: std.map((s) => 1 / (255 * s)), add: mean.map((m, c) => -m / std[c]!) };
    }
  }
}

/** Where R, G and B of pixel 0 go and how far apart pixels are, for a layout and channel order. */
function placement(spec: InputSpec): { offsets: number[]; pixelStride: number } {
  const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const plane = spec.width * spec.height;
  return spec.layout === 'nchw' ? { offsets: order.map((c) => c * plane), pixelStride: 1 } : { offsets: order, pixelStride: 3 };
}

// BT.601 limited range to RGB 0..255: Y 16..235, Cb and Cr 16..240 around 128.
const LUMA = 255 / 219;
const CR_TO_R = 1.402 * (255 / 224);
const CB_TO_G = -0.344136 * (255 / 224);
const CR_TO_G = -0.714136 * (255 / 224);
const CB_TO_B = 1.772 * (255 / 224);

const clamp255 = (value: number): number => (value < 0 ? 0 : value > 255 ? 255 : value);

/**
 * The model's input tensor for a picture: bilinear resize straight from the I420 planes (luma
 * and chroma each interpolated at the output pixel's centre), BT.601 limited-range YUV to RGB,
 * letterbox padding or stretch, normalisation, in the spec's layout and channel order. Writes
 * into `out` when it has the tensor's length (reuse it between calls), else a new array.
 * Returns the tensor and the transform from input to picture coordinates.
 */
export function toTensor(frame: I420Frame, spec: InputSpec, out?: Float32Array): { data: Float32Array; transform: Transform } {
  assertI420(frame);
  const problem = checkInputSpec(spec);
  if (problem) throw new Error(problem);
  const length = spec.width * spec.height * 3;
  const data = out && out.length === length ? out : new Float32Array(length);
  const { transform, contentWidth, contentHeight, lumaX, lumaY, chromaX, chromaY } = cachedResampling(frame.width, frame.height, spec);
  const { multiply, add } = normalisation(spec.normalize);
  const { offsets, pixelStride } = placement(spec);
  const [rOffset, gOffset, bOffset] = offsets as [number, number, number];
  const [rMultiply, gMultiply, bMultiply] = multiply as [number, number, number];
  const [rAdd, gAdd, bAdd] = add as [number, number, number];
  const { y: lumaPlane, u: cbPlane, v: crPlane, width } = frame;
  const chromaWidth = chromaSize(width);

  for (let row = 0; row < contentHeight; row++) {
    const lumaTop = lumaY.first[row]! * width;
    const lumaBottom = lumaY.second[row]! * width;
    const lumaWeight = lumaY.weight[row]!;
    const chromaTop = chromaY.first[row]! * chromaWidth;
    const chromaBottom = chromaY.second[row]! * chromaWidth;
    const chromaWeight = chromaY.weight[row]!;
    let at = ((row + transform.padY) * spec.width + transform.padX) * pixelStride;
    for (let column = 0; column < contentWidth; column++, at += pixelStride) {
      let left = lumaX.first[column]!;
      let right = lumaX.second[column]!;
      let weight = lumaX.weight[column]!;
      let top = lumaPlane[lumaTop + left]! + (lumaPlane[lumaTop + right]! - lumaPlane[lumaTop + left]!) * weight;
      let bottom = lumaPlane[lumaBottom + left]! + (lumaPlane[lumaBottom + right]! - lumaPlane[lumaBottom + left]!) * weight;
      const luma = (top + (bottom - top) * lumaWeight - 16) * LUMA;

      left = chromaX.first[column]!;
      right = chromaX.second[column]!;
      weight = chromaX.weight[column]!;
      top = cbPlane[chromaTop + left]! + (cbPlane[chromaTop + right]! - cbPlane[chromaTop + left]!) * weight;
      bottom = cbPlane[chromaBottom + left]! + (cbPlane[chromaBottom + right]! - cbPlane[chromaBottom + left]!) * weight;
      const cb = top + (bottom - top) * chromaWeight - 128;
      top = crPlane[chromaTop + left]! + (crPlane[chromaTop + right]! - crPlane[chromaTop + left]!) * weight;
      bottom = crPlane[chromaBottom + left]! + (crPlane[chromaBottom + right]! - crPlane[chromaBottom + left]!) * weight;
      const cr = top + (bottom - top) * chromaWeight - 128;

      data[at + rOffset] = clamp255(luma + CR_TO_R * cr) * rMultiply + rAdd;
      data[at + gOffset] = clamp255(luma + CB_TO_G * cb + CR_TO_G * cr) * gMultiply + gAdd;
      data[at + bOffset] = clamp255(luma + CB_TO_B * cb) * bMultiply + bAdd;
    }
  }
  if (contentWidth < spec.width || contentHeight < spec.height) {
    const pad = [0, 1, 2].map((c) => LETTERBOX_PAD * multiply[c]! + add[c]!);
    padOutside(data, spec, transform, contentWidth, contentHeight, offsets, pixelStride, pad);
  }
  return { data, transform };
}

/** Fills every input pixel outside the content rectangle with the padding colour. */
function padOutside(
  data: Float32Array,
  spec: InputSpec,
  t: Transform,
  contentWidth: number,
  contentHeight: number,
  offsets: number[],
  pixelStride: number,
  pad: number[],
): void {
  const { width, height } = spec;
  const fillRun = (row: number, from: number, to: number) => {
    if (to <= from) return;
    for (let c = 0; c < 3; c++) {
      const start = (row * width + from) * pixelStride + offsets[c]!;
      if (pixelStride === 1) data.fill(pad[c]!, start, start + (to - from));
      else for (let i = start, end = start + (to - from) * pixelStride; i < end; i += pixelStride) data[i] = pad[c]!;
    }
  };
  for (let row = 0; row < height; row++) {
    if (row < t.padY || row >= t.padY + contentHeight) {
      fillRun(row, 0, width);
    } else {
      fillRun(row, 0, t.padX);
      fillRun(row, t.padX + contentWidth, width);
    }
  }
}
