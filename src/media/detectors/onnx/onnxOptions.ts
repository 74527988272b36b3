import { accessSync, constants, readFileSync } from 'node:fs';
import { ONNX_OUTPUT_DEFAULTS, type OutputConvention, type YoloLayout } from './outputs';
import type { InputSpec, Normalize } from './preprocess';

/** DETECTOR=onnx: the model, how frames become its input, how its output becomes detections. */
export interface OnnxSettings {
  /** The .onnx file (DETECTOR_MODEL). */
  model: string;
  output: OutputConvention;
  /** The input tensor; width and height undefined: the model's own (fixed) input size. */
  input: Omit<InputSpec, 'width' | 'height'> & { width: number | undefined; height: number | undefined };
  labels: string[] | undefined;
  scoreThreshold: number;
  maxDetections: number;
  iouThreshold: number;
  maskThreshold: number;
  minAreaPixels: number;
  normalizedCoordinates: boolean;
  maskLogits: boolean;
  yoloLayout: YoloLayout;
  /** ONNX Runtime's threads per frame worker (intra-op); the workers already use every core. */
  threads: number;
}

type Given = Record<string, number | string>;

const IMAGENET: Normalize = { kind: 'meanStd', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** The options DETECTOR_OPTIONS may give the onnx detector, each with what it takes. */
const OPTIONS: Record<string, string> = {
  model: 'a path (DETECTOR_MODEL)',
  output: 'boxes, yolo or mask',
  input: 'WIDTHxHEIGHT, e.g. 640x640',
  layout: 'nchw or nhwc',
  channels: 'rgb or bgr',
  resize: 'letterbox or stretch',
  normalize: 'unit (0-1), raw (0-255) or imagenet',
  mean: 'three numbers separated by /, e.g. 0.485/0.456/0.406 (with std)',
  std: 'three numbers separated by /, e.g. 0.229/0.224/0.225 (with mean)',
  labels: 'a path to a text file, one label per line',
  scoreThreshold: 'a number from 0 to 1',
  maxDetections: 'a whole number from 1 to 1000',
  iouThreshold: 'a number from 0 to 1',
  maskThreshold: 'a number from 0 to 1',
  minAreaPixels: 'a whole number >= 0',
  coordinates: 'pixels or normalized',
  yoloLayout: 'channels-first or anchors-first',
  maskLogits: '0 or 1',
  threads: 'a whole number from 1 to 64',
};

/**
 * Reads and checks the onnx detector's options (DETECTOR_MODEL and DETECTOR_OPTIONS); throws an
 * Error naming the option and what it takes. The model file and the labels file must be readable.
 * Whether the model fits the options is checked when it is loaded (checkOnnxModel).
 */
export function parseOnnxOptions(given: Given = {}): OnnxSettings {
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(OPTIONS, name)) throw new Error(`detector 'onnx': unknown option '${name}' (known: ${Object.keys(OPTIONS).join(', ')})`);
  }
  const text = (name: string): string | undefined => (given[name] === undefined ? undefined : String(given[name]));
  const choice = <T extends string>(name: string, allowed: readonly T[], fallback?: T): T => {
    const value = text(name) ?? fallback;
    if (value === undefined) throw new Error(`detector 'onnx': option '${name}' is required (${OPTIONS[name]})`);
    if (!allowed.includes(value as T)) throw new Error(`detector 'onnx': option '${name}' takes ${OPTIONS[name]}, got '${value}'`);
    return value as T;
  };
  const number = (name: string, fallback: number, min: number, max: number, whole = false): number => {
    const value = given[name] ?? fallback;
    if (typeof value !== 'number' || value < min || value > max || (whole && !Number.isInteger(value))) {
      throw new Error(`detector 'onnx': option '${name}' takes ${OPTIONS[name]}, got '${String(value)}'`);
    }
    return value;
  };
  const model = text('model');
  if (!model) throw new Error("detector 'onnx' needs a model: set DETECTOR_MODEL to the path of a .onnx file");
  readable(model, 'DETECTOR_MODEL');
  const labelsFile = text('labels');
  const labels = labelsFile === undefined ? undefined : readLabels(labelsFile);
  const size = inputSize(text('input'));
  return {
    model,
    output: choice('output', ['boxes', 'yolo', 'mask'] as const),
    input: {
      ...size,
      layout: choice('layout', ['nchw', 'nhwc'] as const, 'nchw'),
      channels: choice('channels', ['rgb', 'bgr'] as const, 'rgb'),
      resize: choice('resize', ['letterbox', 'stretch'] as const, 'letterbox'),
      normalize: normalization(given, text),
    },
    labels,
    scoreThreshold: number('scoreThreshold', ONNX_OUTPUT_DEFAULTS.scoreThreshold, 0, 1),
    maxDetections: number('maxDetections', ONNX_OUTPUT_DEFAULTS.maxDetections, 1, 1000, true),
    iouThreshold: number('iouThreshold', ONNX_OUTPUT_DEFAULTS.iouThreshold, 0, 1),
    maskThreshold: number('maskThreshold', ONNX_OUTPUT_DEFAULTS.maskThreshold, 0, 1),
    minAreaPixels: number('minAreaPixels', ONNX_OUTPUT_DEFAULTS.minAreaPixels, 0, Number.MAX_SAFE_INTEGER, true),
    normalizedCoordinates: choice('coordinates', ['pixels', 'normalized'] as const, 'pixels') === 'normalized',
    maskLogits: number('maskLogits', 0, 0, 1, true) === 1,
    yoloLayout: choice('yoloLayout', ['channels-first', 'anchors-first'] as const, 'channels-first'),
    threads: number('threads', 1, 1, 64, true),
  };
}

function inputSize(value: string | undefined): { width: number | undefined; height: number | undefined } {
  if (value === undefined) return { width: undefined, height: undefined };
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(value);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 8 || height < 8 || width > 8192 || height > 8192) {
    throw new Error(`detector 'onnx': option 'input' takes ${OPTIONS.input} (8 to 8192 each), got '${value}'`);
  }
  return { width, height };
}

function normalization(given: Given, text: (name: string) => string | undefined): Normalize {
  const mean = text('mean');
  const std = text('std');
  if (mean !== undefined || std !== undefined) {
    if (given.normalize !== undefined) throw new Error("detector 'onnx': give either 'normalize' or 'mean' and 'std', not both");
    return { kind: 'meanStd', mean: triple('mean', mean), std: triple('std', std) };
  }
  const kind = text('normalize') ?? 'unit';
  if (kind === 'unit' || kind === 'raw') return { kind };
  if (kind === 'imagenet') return IMAGENET;
  throw new Error(`detector 'onnx': option 'normalize' takes ${OPTIONS.normalize}, got '${kind}'`);
}

function triple(name: 'mean' | 'std', value: string | undefined): [number, number, number] {
  const parts = (value ?? '').split('/').map(Number);
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part)) || (name === 'std' && parts.some((part) => part <= 0))) {
    throw new Error(`detector 'onnx': option '${name}' takes ${OPTIONS[name]}${name === 'std' ? ', each above 0' : ''}, got '${value ?? ''}'`);
  }
  return parts as [number, number, number];
}

function readable(path: string, what: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new Error(`${what} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readLabels(path: string): string[] {
  readable(path, "detector 'onnx': the labels file");
  const labels = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (labels.length === 0) throw new Error(`detector 'onnx': the labels file ${path} has no label`);
  return labels;
}
