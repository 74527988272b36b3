/**
 * Small ONNX models for the suite, built in memory (no downloads): one per output
 * convention the ONNX detector reads (mask, fixed boxes, YOLO raw), one that fails
 * at run time, and a convolution stack of a chosen size for benchmarks.
 * Every model takes `images`, float32 RGB in 0..1, NCHW [1,3,H,W] (or NHWC [1,H,W,3]).
 */
import { attr, model, tensor, type Dim, type NodeSpec, type TensorSpec, type ValueSpec } from './onnxProto';

export type Layout = 'nchw' | 'nhwc';

export interface ImageOptions {
  height: number;
  width: number;
  /** Input layout; 'nhwc' adds a Transpose at the start. Default 'nchw'. */
  layout?: Layout;
  /** Height and width as symbolic dimensions ('height', 'width') instead of sizes. */
  dynamic?: boolean;
}

export const INPUT = 'images';

/** The `images` input and the nodes that give it as NCHW under the returned name. */
function imageInput(o: ImageOptions): { input: ValueSpec; nodes: NodeSpec[]; nchw: string; hw: [Dim, Dim] } {
  const hw: [Dim, Dim] = o.dynamic ? ['height', 'width'] : [o.height, o.width];
  if ((o.layout ?? 'nchw') === 'nchw') return { input: { name: INPUT, shape: [1, 3, ...hw] }, nodes: [], nchw: INPUT, hw };
  return {
    input: { name: INPUT, shape: [1, ...hw, 3] },
    nodes: [{ op: 'Transpose', inputs: [INPUT], outputs: ['images_nchw'], attributes: { perm: attr.ints([0, 3, 1, 2]) } }],
    nchw: 'images_nchw',
    hw,
  };
}

/**
 * Mask [1,1,H,W] = Sigmoid(gain * (R - (G+B)/2 - threshold)): near 1 on saturated red
 * (R - (G+B)/2 = 1), near 0 on grey (0), skin tones (about 0.25) and other hues (green, blue -0.5).
 * Defaults: gain 20, threshold 0.5.
 */
export function redMaskModel(o: ImageOptions & { gain?: number; threshold?: number }): Uint8Array {
  const gain = o.gain ?? 20;
  const threshold = o.threshold ?? 0.5;
  const image = imageInput(o);
  return model({
    graphName: 'red_mask',
    inputs: [image.input],
    outputs: [{ name: 'mask', shape: [1, 1, ...image.hw] }],
    initializers: [
      tensor.float('half', [], [0.5]),
      tensor.float('gain', [], [gain]),
      tensor.float('offset', [], [gain * threshold]),
    ],
    nodes: [
      ...image.nodes,
      { op: 'Split', inputs: [image.nchw], outputs: ['r', 'g', 'b'], attributes: { axis: attr.int(1) } },
      { op: 'Add', inputs: ['g', 'b'], outputs: ['gb'] },
      { op: 'Mul', inputs: ['gb', 'half'], outputs: ['gb_mean'] },
      { op: 'Sub', inputs: ['r', 'gb_mean'], outputs: ['redness'] },
      { op: 'Mul', inputs: ['redness', 'gain'], outputs: ['scaled'] },
      { op: 'Sub', inputs: ['scaled', 'offset'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['mask'] },
    ],
  });
}

/** A model whose one output is the given constant whatever the input (ONNX Runtime accepts an unused input). */
function constantOutputModel(o: ImageOptions, graphName: string, output: string, dims: number[], values: number[]): Uint8Array {
  return model({
    graphName,
    inputs: [imageInput(o).input],
    outputs: [{ name: output, shape: dims }],
    nodes: [{ op: 'Constant', inputs: [], outputs: [output], attributes: { value: attr.tensor(tensor.float(undefined, dims, values, 'typed')) } }],
  });
}

export type Box = readonly [x1: number, y1: number, x2: number, y2: number, score: number, cls: number];

/** Output `boxes` [N,6] (or [1,N,6] when batched): the given boxes whatever the input. */
export function fixedBoxesModel(o: ImageOptions & { boxes: readonly Box[]; batched?: boolean }): Uint8Array {
  const n = o.boxes.length;
  const dims = o.batched ? [1, n, 6] : [n, 6];
  return constantOutputModel(o, 'fixed_boxes', 'boxes', dims, o.boxes.flat());
}

/** One anchor: [cx, cy, w, h, score of class 0, score of class 1, ...]. */
export type Anchor = readonly number[];

/**
 * Output `output0` [1, 4+classes, A], the Ultralytics YOLOv8 raw layout: row r of column a
 * is anchors[a][r] (rows cx, cy, w, h, then one score per class), whatever the input.
 */
export function yoloModel(o: ImageOptions & { classes: number; anchors: readonly Anchor[] }): Uint8Array {
  const rows = 4 + o.classes;
  for (const [i, anchor] of o.anchors.entries()) {
    if (anchor.length !== rows) throw new Error(`anchor ${i} has ${anchor.length} values, expected ${rows}`);
  }
  const a = o.anchors.length;
  const values = Array.from({ length: rows * a }, (_, k) => o.anchors[k % a]![Math.floor(k / a)]!);
  return constantOutputModel(o, 'yolo_raw', 'output0', [1, rows, a], values);
}

/**
 * Loads with the mask signature (`images` -> `mask` [1,1,H,W]) but fails on every run:
 * it gathers channel 7 of a 3-channel input, which ONNX Runtime rejects at run time.
 */
export function throwingModel(o: ImageOptions): Uint8Array {
  const image = imageInput(o);
  return model({
    graphName: 'throwing',
    inputs: [image.input],
    outputs: [{ name: 'mask', shape: [1, 1, ...image.hw] }],
    initializers: [tensor.int64('channel', [1], [7])],
    nodes: [
      ...image.nodes,
      { op: 'Gather', inputs: [image.nchw, 'channel'], outputs: ['gathered'], attributes: { axis: attr.int(1) } },
      { op: 'Sigmoid', inputs: ['gathered'], outputs: ['mask'] },
    ],
  });
}

export interface ConvStackOptions extends ImageOptions {
  /** Channels of every hidden layer. */
  channels: number;
  /** Number of Conv 3x3 + Relu blocks (at least 1). */
  layers: number;
  seed?: number;
}

/** Parameters (weights and biases) of convStackModel with these sizes. */
export function convStackParameters(o: Pick<ConvStackOptions, 'channels' | 'layers'>): number {
  const c = o.channels;
  return c * 3 * 9 + c + (o.layers - 1) * (c * c * 9 + c) + c + 1;
}

/** Deterministic pseudo-random values in [0, 1): the fractional part of a scaled sine, seeded. */
function seededRandom(seed: number): () => number {
  let i = 0;
  return () => {
    const x = Math.sin(++i * 12.9898 + seed * 78.233) * 43758.5453;
    return x - Math.floor(x);
  };
}

/**
 * A compute-heavy mask model for benchmarks: `layers` x (Conv 3x3 pad 1 + Relu) with `channels`
 * channels, then Conv 1x1 to one channel + Sigmoid -> `mask` [1,1,H,W]. Weights are seeded
 * He-uniform, so the same options give the same bytes.
 */
export function convStackModel(o: ConvStackOptions): Uint8Array {
  if (!Number.isInteger(o.layers) || o.layers < 1) throw new Error('convStackModel: layers must be an integer >= 1');
  const random = seededRandom(o.seed ?? 1);
  const uniform = (n: number, limit: number): number[] => Array.from({ length: n }, () => (random() * 2 - 1) * limit);
  const image = imageInput(o);
  const initializers: TensorSpec[] = [];
  const nodes: NodeSpec[] = [...image.nodes];
  let current = image.nchw;
  let inChannels = 3;
  const conv = (index: number, outChannels: number, kernel: number): string => {
    const fanIn = inChannels * kernel * kernel;
    const w = `w${index}`;
    const b = `b${index}`;
    initializers.push(
      tensor.float(w, [outChannels, inChannels, kernel, kernel], uniform(outChannels * fanIn, Math.sqrt(6 / fanIn))),
      tensor.float(b, [outChannels], uniform(outChannels, 0.1)),
    );
    const pad = (kernel - 1) / 2;
    nodes.push({
      op: 'Conv',
      inputs: [current, w, b],
      outputs: [`conv${index}`],
      attributes: { kernel_shape: attr.ints([kernel, kernel]), pads: attr.ints([pad, pad, pad, pad]) },
    });
    inChannels = outChannels;
    return `conv${index}`;
  };
  for (let i = 0; i < o.layers; i++) {
    const convolved = conv(i, o.channels, 3);
    nodes.push({ op: 'Relu', inputs: [convolved], outputs: [`relu${i}`] });
    current = `relu${i}`;
  }
  const last = conv(o.layers, 1, 1);
  nodes.push({ op: 'Sigmoid', inputs: [last], outputs: ['mask'] });
  return model({
    graphName: 'conv_stack',
    inputs: [image.input],
    outputs: [{ name: 'mask', shape: [1, 1, ...image.hw] }],
    initializers,
    nodes,
  });
}
