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

/** Chroma sample position for a luma position: chroma sited at the centre of its 2x2 block (as VP8 and JPEG). */
const chromaOffset = (luma: number): number => (luma + 0.5) / 2 - 0.5;
const identity = (x: number): number => x;

/**
 * Everything toTensor works out once for a picture size and a spec: the taps along both axes
 * for luma and chroma, where each channel goes, and the normalisation (value = component * multiply + add).
 */
interface Plan {
  transform: Transform;
  contentWidth: number;
  contentHeight: number;
  lumaX: AxisTaps;
  lumaY: AxisTaps;
  chromaX: AxisTaps;
  chromaY: AxisTaps;
  /** Distance between neighbouring pixels in the tensor: 1 (nchw) or 3 (nhwc). */
  pixelStride: number;
  /** Per R, G, B: where pixel 0's value goes, and its normalisation. */
  offsets: [number, number, number];
  multiply: [number, number, number];
  add: [number, number, number];
}

/** Per R, G, B: tensor value = component (0..255) * multiply + add. */
function normalisation(normalize: Normalize): Pick<Plan, 'multiply' | 'add'> {
  switch (normalize.kind) {
    case 'raw':
      return { multiply: [1, 1, 1], add: [0, 0, 0] };
    case 'unit':
      return { multiply: [1 / 255, 1 / 255, 1 / 255], add: [0, 0, 0] };
    case 'meanStd': {
      const { mean, std } = normalize;
      return { multiply: [0, 1, 2].map((c) => 1 / (255 * std[c]!)), add: [0, 1, 2].map((c) => -mean[c]! / std[c]!) } as Pick<Plan, 'multiply' | 'add'>;
    }
  }
}

function plan(pictureWidth: number, pictureHeight: number, spec: InputSpec): Plan {
  const transform = fitTransform(pictureWidth, pictureHeight, spec);
  const contentWidth = Math.round(pictureWidth * transform.scaleX);
  const contentHeight = Math.round(pictureHeight * transform.scaleY);
  const channel = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const plane = spec.width * spec.height;
  return {
    transform,
    contentWidth,
    contentHeight,
    lumaX: axisTaps(contentWidth, transform.scaleX, pictureWidth, identity),
    lumaY: axisTaps(contentHeight, transform.scaleY, pictureHeight, identity),
    chromaX: axisTaps(contentWidth, transform.scaleX, chromaSize(pictureWidth), chromaOffset),
    chromaY: axisTaps(contentHeight, transform.scaleY, chromaSize(pictureHeight), chromaOffset),
    pixelStride: spec.layout === 'nchw' ? 1 : 3,
    offsets: channel.map((c) => (spec.layout === 'nchw' ? c * plane : c)) as Plan['offsets'],
    ...normalisation(spec.normalize),
  };
}

/** Plans for the last few (picture size, spec) seen: a worker serves streams of a few sizes. */
const plans = new Map<string, Plan>();
const MAX_PLANS = 8;

function cachedPlan(pictureWidth: number, pictureHeight: number, spec: InputSpec): Plan {
  const { width, height, layout, channels, resize, normalize } = spec;
  const key = JSON.stringify([pictureWidth, pictureHeight, width, height, layout, channels, resize, normalize]);
  let found = plans.get(key);
  if (!found) {
    if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
    found = plan(pictureWidth, pictureHeight, spec);
    plans.set(key, found);
  }
  return found;
}

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
  const found = cachedPlan(frame.width, frame.height, spec);
  writePicture(frame, data, spec.width, found);
  if (found.contentWidth < spec.width || found.contentHeight < spec.height) padOutside(data, spec.width, spec.height, found);
  return { data, transform: found.transform };
}

// BT.601 limited range to RGB 0..255: Y 16..235, Cb and Cr 16..240 around 128.
const LUMA = 255 / 219;
const CR_TO_R = 1.402 * (255 / 224);
const CB_TO_G = -0.344136 * (255 / 224);
const CR_TO_G = -0.714136 * (255 / 224);
const CB_TO_B = 1.772 * (255 / 224);

const clamp255 = (value: number): number => (value < 0 ? 0 : value > 255 ? 255 : value);

/** The resized, converted and normalised picture into its place in the tensor (a function of its own, kept small for the optimiser). */
function writePicture(frame: I420Frame, data: Float32Array, inputWidth: number, p: Plan): void {
  const { y: lumaPlane, u: cbPlane, v: crPlane, width } = frame;
  const chromaWidth = chromaSize(width);
  const { contentWidth, contentHeight, pixelStride, lumaY, chromaY } = p;
  const { padX, padY } = p.transform;
  const lumaLeft = p.lumaX.first;
  const lumaRight = p.lumaX.second;
  const lumaWeights = p.lumaX.weight;
  const chromaLeft = p.chromaX.first;
  const chromaRight = p.chromaX.second;
  const chromaWeights = p.chromaX.weight;
  const [rOffset, gOffset, bOffset] = p.offsets;
  const [rMultiply, gMultiply, bMultiply] = p.multiply;
  const [rAdd, gAdd, bAdd] = p.add;
  for (let row = 0; row < contentHeight; row++) {
    const lumaTop = lumaY.first[row]! * width;
    const lumaBelow = lumaY.second[row]! * width - lumaTop;
    const lumaWeight = lumaY.weight[row]!;
    const chromaTop = chromaY.first[row]! * chromaWidth;
    const chromaBelow = chromaY.second[row]! * chromaWidth - chromaTop;
    const chromaWeight = chromaY.weight[row]!;
    let at = ((row + padY) * inputWidth + padX) * pixelStride;
    for (let column = 0; column < contentWidth; column++, at += pixelStride) {
      let left = lumaTop + lumaLeft[column]!;
      let right = lumaTop + lumaRight[column]!;
      let weight = lumaWeights[column]!;
      let a = lumaPlane[left]!;
      let b = lumaPlane[left + lumaBelow]!;
      let top = a + (lumaPlane[right]! - a) * weight;
      let bottom = b + (lumaPlane[right + lumaBelow]! - b) * weight;
      const luma = (top + (bottom - top) * lumaWeight - 16) * LUMA;

      left = chromaTop + chromaLeft[column]!;
      right = chromaTop + chromaRight[column]!;
      weight = chromaWeights[column]!;
      a = cbPlane[left]!;
      b = cbPlane[left + chromaBelow]!;
      top = a + (cbPlane[right]! - a) * weight;
      bottom = b + (cbPlane[right + chromaBelow]! - b) * weight;
      const cb = top + (bottom - top) * chromaWeight - 128;
      a = crPlane[left]!;
      b = crPlane[left + chromaBelow]!;
      top = a + (crPlane[right]! - a) * weight;
      bottom = b + (crPlane[right + chromaBelow]! - b) * weight;
      const cr = top + (bottom - top) * chromaWeight - 128;

      data[at + rOffset] = clamp255(luma + CR_TO_R * cr) * rMultiply + rAdd;
      data[at + gOffset] = clamp255(luma + CB_TO_G * cb + CR_TO_G * cr) * gMultiply + gAdd;
      data[at + bOffset] = clamp255(luma + CB_TO_B * cb) * bMultiply + bAdd;
    }
  }
}

/** Fills every input pixel outside the picture's rectangle with the letterbox grey. */
function padOutside(data: Float32Array, width: number, height: number, p: Plan): void {
  const { contentWidth, contentHeight, pixelStride, offsets } = p;
  const { padX, padY } = p.transform;
  const pad = [0, 1, 2].map((c) => LETTERBOX_PAD * p.multiply[c]! + p.add[c]!);
  const fillRun = (row: number, from: number, to: number) => {
    if (to <= from) return;
    for (let c = 0; c < 3; c++) {
      const start = (row * width + from) * pixelStride + offsets[c]!;
      if (pixelStride === 1) data.fill(pad[c]!, start, start + (to - from));
      else for (let i = start, end = start + (to - from) * pixelStride; i < end; i += pixelStride) data[i] = pad[c]!;
    }
  };
  for (let row = 0; row < height; row++) {
    if (row < padY || row >= padY + contentHeight) {
      fillRun(row, 0, width);
    } else {
      fillRun(row, 0, padX);
      fillRun(row, padX + contentWidth, width);
    }
  }
}
