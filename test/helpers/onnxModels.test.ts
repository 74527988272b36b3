import './nodeTypedArrays';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import {
  convStackModel, convStackParameters, fixedBoxesModel, redMaskModel, throwingModel, yoloModel,
  type Box, type Layout,
} from './onnxModels';
import { model, tensor, writeModel } from './onnxProto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { InferenceSession, Tensor } = require('onnxruntime-node') as typeof Ort;
type InferenceSession = Ort.InferenceSession;
type Tensor = Ort.Tensor;

/** Loads the bytes in ONNX Runtime (CPU), runs fn, releases the session whatever happens. */
async function withSession<T>(bytes: Uint8Array | string, fn: (s: InferenceSession) => Promise<T>): Promise<T> {
  // Severity 4 (fatal only): a model that fails on purpose need not print ORT's error log.
  const options = { logSeverityLevel: 4 as const };
  const session = typeof bytes === 'string' ? await InferenceSession.create(bytes, options) : await InferenceSession.create(bytes, options);
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

const shapes = (metadata: readonly Ort.InferenceSession.ValueMetadata[]): unknown[] =>
  metadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name }));

interface Square { x: number; y: number; size: number }

/** RGB 0..1 image: a pure red square on a uniform background, in the given layout. */
function image(height: number, width: number, layout: Layout, square: Square, background: [number, number, number]): Tensor {
  const data = new Float32Array(3 * height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= square.x && x < square.x + square.size && y >= square.y && y < square.y + square.size;
      const rgb = inside ? [1, 0, 0] : background;
      for (let c = 0; c < 3; c++) {
        const at = layout === 'nchw' ? (c * height + y) * width + x : (y * width + x) * 3 + c;
        data[at] = rgb[c]!;
      }
    }
  }
  return new Tensor('float32', data, layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3]);
}

const anyImage = (height: number, width: number): Tensor => image(height, width, 'nchw', { x: 0, y: 0, size: 0 }, [0.3, 0.6, 0.9]);

const asFloats = (t: Tensor | undefined): number[] => Array.from(t!.data as Float32Array);

describe('onnxProto: the bytes are a model ONNX Runtime parses', () => {
  it('refuses bytes that are not a model, so loading is a real parse', async () => {
    await expect(InferenceSession.create(Uint8Array.from([8, 200, 1, 2, 3]))).rejects.toThrow(/protobuf parsing failed/);
  });

  it('reads constants the same as raw_data and as float_data / int64_data, negative int64 included', async () => {
    for (const encoding of ['raw', 'typed'] as const) {
      const bytes = model({
        inputs: [{ name: 'x', shape: [2, 3] }],
        outputs: [{ name: 'y', shape: ['n'] }],
        initializers: [tensor.float('c', [3], [0.5, -1.25, 100], encoding), tensor.int64('flat', [1], [-1], encoding)],
        nodes: [
          { op: 'Add', inputs: ['x', 'c'], outputs: ['sum'] },
          { op: 'Reshape', inputs: ['sum', 'flat'], outputs: ['y'] },
        ],
      });
      await withSession(bytes, async (s) => {
        // Declared ['n']: ONNX Runtime reports the size its shape inference found instead.
        expect(shapes(s.outputMetadata)).toEqual([{ name: 'y', type: 'float32', shape: [6] }]);
        const { y } = await s.run({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
        expect(y!.dims).toEqual([6]);
        expect(asFloats(y)).toEqual([1.5, 0.75, 103, 4.5, 3.75, 106]);
      });
    }
  });

  it('writes a file that loads by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-models-'));
    try {
      const path = writeModel(join(dir, 'mask.onnx'), redMaskModel({ height: 4, width: 4 }));
      expect(readFileSync(path).length).toBeGreaterThan(100);
      await withSession(path, async (s) => expect(s.outputNames).toEqual(['mask']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redMaskModel', () => {
  const square = { x: 8, y: 4, size: 10 };
  const check = (mask: Tensor, height: number, width: number): void => {
    expect(mask.dims).toEqual([1, 1, height, width]);
    const inside: number[] = [];
    const outside: number[] = [];
    asFloats(mask).forEach((v, i) => {
      const x = i % width;
      const y = Math.floor(i / width);
      const within = x >= square.x && x < square.x + square.size && y >= square.y && y < square.y + square.size;
      (within ? inside : outside).push(v);
    });
    expect(inside).toHaveLength(square.size * square.size);
    expect(Math.min(...inside)).toBeGreaterThan(0.9);
    expect(Math.max(...outside)).toBeLessThan(0.1);
  };

  it('NCHW: images [1,3,H,W] -> mask [1,1,H,W], high on the red square only (grey, green, blue, white, skin-tone backgrounds)', async () => {
    await withSession(redMaskModel({ height: 24, width: 32 }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 24, 32] }]);
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'mask', type: 'float32', shape: [1, 1, 24, 32] }]);
      const backgrounds: [number, number, number][] = [[0.5, 0.5, 0.5], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0.9, 0.7, 0.6]];
      for (const background of backgrounds) {
        const { mask } = await s.run({ images: image(24, 32, 'nchw', square, background) });
        check(mask!, 24, 32);
      }
    });
  });

  it('NHWC with symbolic height and width: images [1,H,W,3], any size', async () => {
    await withSession(redMaskModel({ height: 24, width: 32, layout: 'nhwc', dynamic: true }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 'height', 'width', 3] }]);
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'mask', type: 'float32', shape: [1, 1, 'height', 'width'] }]);
      check((await s.run({ images: image(24, 32, 'nhwc', square, [0.5, 0.5, 0.5]) })).mask!, 24, 32);
      check((await s.run({ images: image(20, 40, 'nhwc', square, [0.2, 0.3, 0.2]) })).mask!, 20, 40);
    });
  });
});

describe('fixedBoxesModel', () => {
  const boxes: Box[] = [[10, 20, 110, 220, 0.9, 0], [5.5, 6.25, 7, 8, 0.3, 2], [0, 0, 640, 480, 0.55, 1]];

  it('boxes [N,6]: the given boxes whatever the input', async () => {
    await withSession(fixedBoxesModel({ height: 16, width: 16, boxes }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 16, 16] }]);
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'boxes', type: 'float32', shape: [3, 6] }]);
      for (const input of [anyImage(16, 16), image(16, 16, 'nchw', { x: 2, y: 2, size: 5 }, [0, 0, 0])]) {
        const out = (await s.run({ images: input })).boxes!;
        expect(out.dims).toEqual([3, 6]);
        expect(asFloats(out)).toEqual(Array.from(Float32Array.from(boxes.flat())));
      }
    });
  });

  it('boxes [1,N,6] when batched, and [1,0,6] with no boxes', async () => {
    await withSession(fixedBoxesModel({ height: 16, width: 16, boxes, batched: true }), async (s) => {
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'boxes', type: 'float32', shape: [1, 3, 6] }]);
      const out = (await s.run({ images: anyImage(16, 16) })).boxes!;
      expect(out.dims).toEqual([1, 3, 6]);
      expect(asFloats(out)).toEqual(Array.from(Float32Array.from(boxes.flat())));
    });
    await withSession(fixedBoxesModel({ height: 16, width: 16, boxes: [], batched: true }), async (s) => {
      const out = (await s.run({ images: anyImage(16, 16) })).boxes!;
      expect(out.dims).toEqual([1, 0, 6]);
      expect(asFloats(out)).toEqual([]);
    });
  });
});

describe('yoloModel', () => {
  it('output0 [1, 4+classes, anchors]: rows cx, cy, w, h, class scores; columns anchors', async () => {
    const anchors = [
      [100, 100, 50, 50, 0.9, 0.1], // class 0
      [104, 102, 50, 50, 0.8, 0.05], // overlaps the first, same class: suppressed by NMS
      [300, 200, 40, 60, 0.2, 0.7], // class 1
      [500, 400, 10, 10, 0.01, 0.02], // below any usual threshold
    ];
    await withSession(yoloModel({ height: 32, width: 32, classes: 2, anchors }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 32, 32] }]);
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'output0', type: 'float32', shape: [1, 6, 4] }]);
      const out = (await s.run({ images: anyImage(32, 32) })).output0!;
      expect(out.dims).toEqual([1, 6, 4]);
      const values = asFloats(out);
      for (let a = 0; a < 4; a++) {
        for (let r = 0; r < 6; r++) expect(values[r * 4 + a]).toBe(Math.fround(anchors[a]![r]!));
      }
    });
  });

  it('refuses an anchor whose length is not 4 + classes', () => {
    expect(() => yoloModel({ height: 8, width: 8, classes: 3, anchors: [[1, 2, 3, 4, 0.5]] })).toThrow(/expected 7/);
  });
});

describe('throwingModel', () => {
  it('loads with the mask signature and throws on every run', async () => {
    await withSession(throwingModel({ height: 8, width: 8 }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 8, 8] }]);
      expect(shapes(s.outputMetadata)).toEqual([{ name: 'mask', type: 'float32', shape: [1, 1, 8, 8] }]);
      await expect(s.run({ images: anyImage(8, 8) })).rejects.toThrow(/Gather.*out of data bounds/);
      await expect(s.run({ images: anyImage(8, 8) })).rejects.toThrow(/out of data bounds/);
    });
  });
});

describe('convStackModel', () => {
  it('runs, gives mask [1,1,H,W] in 0..1, and its file holds its parameters as float32', async () => {
    const options = { height: 32, width: 48, channels: 8, layers: 3 };
    const bytes = convStackModel(options);
    const parameters = convStackParameters(options);
    expect(parameters).toBe(8 * 3 * 9 + 8 + 2 * (8 * 8 * 9 + 8) + 8 + 1);
    expect(bytes.length).toBeGreaterThan(parameters * 4);
    expect(bytes.length).toBeLessThan(parameters * 4 + 2000);
    await withSession(bytes, async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 32, 48] }]);
      const { mask } = await s.run({ images: anyImage(32, 48) });
      expect(mask!.dims).toEqual([1, 1, 32, 48]);
      const values = asFloats(mask);
      expect(values.every((v) => v > 0 && v < 1)).toBe(true);
      expect(new Set(values).size).toBeGreaterThan(1);
    });
  });

  it('gives the same bytes for the same seed and other weights for another', () => {
    const options = { height: 8, width: 8, channels: 4, layers: 2 };
    expect(Buffer.from(convStackModel(options)).equals(Buffer.from(convStackModel(options)))).toBe(true);
    expect(Buffer.from(convStackModel({ ...options, seed: 2 })).equals(Buffer.from(convStackModel(options)))).toBe(false);
  });

  it('takes NHWC input', async () => {
    await withSession(convStackModel({ height: 8, width: 8, channels: 4, layers: 1, layout: 'nhwc' }), async (s) => {
      expect(shapes(s.inputMetadata)).toEqual([{ name: 'images', type: 'float32', shape: [1, 8, 8, 3] }]);
      const { mask } = await s.run({ images: image(8, 8, 'nhwc', { x: 1, y: 1, size: 3 }, [0.5, 0.5, 0.5]) });
      expect(mask!.dims).toEqual([1, 1, 8, 8]);
    });
  });
});
