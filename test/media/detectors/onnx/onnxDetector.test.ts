/**
 * The onnx detector with real ONNX Runtime on models the suite builds (test/helpers/onnxModels.ts):
 * synthetic pictures in, detections in picture pixels out, for each output convention, and the
 * checks that stop a server at start when a model does not fit its options.
 */
import '../../../helpers/nodeTypedArrays';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detector, DetectorOptions } from '../../../../src/media/detectors/detector';
import { checkDetectorLoads, checkDetectorOptions, createDetector } from '../../../../src/media/detectors/registry';
import { fixedBoxesModel, redMaskModel, throwingModel, yoloModel } from '../../../helpers/onnxModels';
import { frameWith, GREY, RED } from '../syntheticFrames';

let dir: string;
const file = (name: string, bytes: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const detectors: Detector[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onnx-detector-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function ready(options: DetectorOptions): Promise<Detector> {
  const detector = createDetector('onnx', options);
  detectors.push(detector);
  await detector.ready;
  return detector;
}

// A 320x240 picture with a red square at (200, 60), 64x48.
const picture = () => frameWith(320, 240, GREY, [[200, 60, 64, 48], RED]);

describe('the onnx detector (ONNX Runtime, CPU)', () => {
  it.each([
    ['nchw', 'stretch', 160, 120],
    ['nhwc', 'letterbox', 256, 256],
  ] as const)('mask convention, %s input, %s to %ix%i: one region at the red square, labelled from the labels file', async (layout, resize, width, height) => {
    const model = file(`mask-${layout}.onnx`, redMaskModel({ width, height, layout }));
    const detector = await ready({ model, output: 'mask', layout, resize, labels: file('labels.txt', 'wound\n'), minAreaPixels: 100 });
    const detections = await detector.detect(picture());
    expect(detections).toHaveLength(1);
    expect(detections[0]).toMatchObject({ label: 'wound' });
    expect(detections[0]!.score).toBeGreaterThan(0.9);
    const [x, y, w, h] = detections[0]!.bbox;
    expect(Math.abs(x - 200)).toBeLessThanOrEqual(3);
    expect(Math.abs(y - 60)).toBeLessThanOrEqual(3);
    expect(Math.abs(w - 64)).toBeLessThanOrEqual(5);
    expect(Math.abs(h - 48)).toBeLessThanOrEqual(5);
    // Grey alone: nothing.
    expect(await detector.detect(frameWith(320, 240, GREY))).toEqual([]);
  });

  it('boxes convention ([1,N,6], letterboxed 320x320): boxes mapped back to the picture, thresholded, best first', async () => {
    // The 320x240 picture letterboxed into 320x320 lies at y 40..280 of the input.
    const model = file('boxes.onnx', fixedBoxesModel({ width: 320, height: 320, batched: true, boxes: [[10, 50, 110, 90, 0.6, 1], [200, 100, 264, 148, 0.9, 0], [0, 0, 5, 5, 0.1, 0]] }));
    const detector = await ready({ model, output: 'boxes', labels: file('two.txt', 'wound\nbandage\n') });
    const detections = await detector.detect(picture());
    expect(detections).toEqual([
      { label: 'wound', score: expect.closeTo(0.9, 5), bbox: [200, 60, 64, 48] },
      { label: 'bandage', score: expect.closeTo(0.6, 5), bbox: [10, 10, 100, 40] },
    ]);
  });

  it('YOLO convention ([1, 4+C, anchors], 640x640): best class per anchor, class-aware NMS, letterbox undone', async () => {
    // Picture 320x240 into 640x640: scale 2, padY 80. The square (200,60,64x48) is at input cx 464, cy 248, w 128, h 96.
    const anchors = [
      [464, 248, 128, 96, 0.85, 0.05],
      [468, 250, 128, 96, 0.7, 0.1], // overlaps the first, same class: suppressed
      [468, 250, 128, 96, 0.02, 0.6], // same place, another class: kept
      [100, 300, 40, 40, 0.1, 0.2], // below the threshold
    ];
    const model = file('yolo.onnx', yoloModel({ width: 640, height: 640, classes: 2, anchors }));
    const detector = await ready({ model, output: 'yolo', scoreThreshold: 0.25 });
    const detections = await detector.detect(picture());
    expect(detections.map((d) => [d.label, Math.round(d.score * 100), d.bbox.map(Math.round)])).toEqual([
      ['class_0', 85, [200, 60, 64, 48]],
      ['class_1', 60, [202, 61, 64, 48]],
    ]);
  });

  it('a model that throws on a frame rejects that detection (the worker counts analysis_error) and still runs the next', async () => {
    const detector = await ready({ model: file('throwing.onnx', throwingModel({ width: 64, height: 64 })), output: 'mask' });
    await expect(detector.detect(picture())).rejects.toThrow();
    await expect(detector.detect(picture())).rejects.toThrow();
  });

  it.each([
    [{ model: '/nonexistent/model.onnx', output: 'mask' }, /DETECTOR_MODEL \/nonexistent\/model.onnx cannot be read: ENOENT/],
    [{ output: 'mask' }, /needs a model: set DETECTOR_MODEL/],
    [{ model: 'MODEL', output: 'segmentation' }, /option 'output' takes boxes, yolo or mask, got 'segmentation'/],
    [{ model: 'MODEL', output: 'mask', input: '640' }, /option 'input' takes WIDTHxHEIGHT/],
    [{ model: 'MODEL', output: 'mask', mean: '1/2' }, /option 'mean' takes three numbers/],
    [{ model: 'MODEL', output: 'mask', colour: 'red' }, /unknown option 'colour'/],
    [{ model: 'MODEL', output: 'mask', labels: '/nonexistent/labels.txt' }, /labels file \/nonexistent\/labels.txt cannot be read/],
  ])('refuses options %j at configuration time', (options, message) => {
    const model = file('any.onnx', redMaskModel({ width: 32, height: 32 }));
    const resolved = Object.fromEntries(Object.entries(options).map(([key, value]) => [key, value === 'MODEL' ? model : value]));
    expect(() => checkDetectorOptions('onnx', resolved)).toThrow(message);
  });

  it.each([
    ['a file that is not a model', () => ({ model: file('garbage.onnx', 'not a model at all'), output: 'mask' }), /is not a model ONNX Runtime can load/],
    ['a mask model read as boxes', () => ({ model: file('m.onnx', redMaskModel({ width: 32, height: 32 })), output: 'boxes' }), /output 'mask' has shape \[1,1,32,32\]: .*\(output=boxes\)/],
    ['an NCHW model read as NHWC', () => ({ model: file('m2.onnx', redMaskModel({ width: 32, height: 32 })), output: 'mask', layout: 'nhwc' }), /input 'images' has shape \[1,3,32,32\], expected \[1,height,width,3\]/],
    ['a free input size without input=', () => ({ model: file('d.onnx', redMaskModel({ width: 32, height: 32, dynamic: true })), output: 'mask' }), /free size: give it in DETECTOR_OPTIONS, e.g. input=640x640/],
    ['input= that does not fit the model', () => ({ model: file('m3.onnx', redMaskModel({ width: 32, height: 32 })), output: 'mask', input: '64x64' }), /input=64x64 does not fit input 'images'/],
    ['YOLO output with a different class count than the labels', () => ({ model: file('y.onnx', yoloModel({ width: 64, height: 64, classes: 3, anchors: [[1, 1, 1, 1, 0.5, 0.5, 0.5]] })), output: 'yolo', labels: file('l2.txt', 'a\nb\n') }), /output 'output0' has shape \[1,7,1\]/],
  ])('refuses at server start: %s', async (_what, options, message) => {
    await expect(checkDetectorLoads('onnx', options())).rejects.toThrow(message);
  });

  it('a free input size with input= loads, and the start check says what it loaded', async () => {
    const model = file('free.onnx', redMaskModel({ width: 32, height: 32, dynamic: true }));
    expect(await checkDetectorLoads('onnx', { model, output: 'mask', input: '96x64' })).toEqual({
      model,
      input: 'images [1,3,64,96]',
      output: 'mask [1,1,height,width]',
      convention: 'mask',
    });
    const detector = await ready({ model, output: 'mask', input: '96x64', minAreaPixels: 100 });
    expect(await detector.detect(picture())).toHaveLength(1);
  });
});
