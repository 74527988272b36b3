import {
  checkOutputShape,
  decodeBoxes,
  decodeMask,
  decodeYolo,
} from '../../../../src/media/detectors/onnx/outputs';
import { fitTransform } from '../../../../src/media/detectors/onnx/preprocess';

/** A 320x240 picture letterboxed into 640x640: scale 2, 80 rows of padding on top; input (x, y) is picture (x / 2, (y - 80) / 2). */
const transform = fitTransform(320, 240, { width: 640, height: 640, resize: 'letterbox' });
const labels = ['wound', 'dressing', 'skin'];

describe('decodeBoxes', () => {
  // x1, y1, x2, y2 in input pixels, score, class.
  const rows = [
    [100, 180, 300, 380, 0.9, 1], // picture (50, 50)..(150, 150)
    [400, 40, 500, 200, 0.6, 0], // top in the padding: clipped to row 0 of the picture
    [0, 300, 10, 310, 0.2, 2], // below the score threshold
    [600, 500, 660, 700, 0.7, 7], // past the right and bottom edges; no label for class 7
  ];

  it('maps [1,N,6] rows back through the letterbox, clips, labels and orders them best first', () => {
    const detections = decodeBoxes(new Float32Array(rows.flat()), [1, rows.length, 6], { transform, labels, scoreThreshold: 0.25 });
    expect(detections).toEqual([
      { label: 'dressing', score: expect.closeTo(0.9, 6), bbox: [50, 50, 100, 100] },
      { label: 'class_7', score: expect.closeTo(0.7, 6), bbox: [300, 210, 20, 30] },
      { label: 'wound', score: expect.closeTo(0.6, 6), bbox: [200, 0, 50, 60] },
    ]);
  });

  it('reads [N,6] the same, and coordinates normalised to the input with normalizedCoordinates', () => {
    const normalised = rows.map(([x1, y1, x2, y2, score, k]) => [x1! / 640, y1! / 640, x2! / 640, y2! / 640, score!, k!]);
    const plain = decodeBoxes(rows.flat(), [rows.length, 6], { transform, labels });
    const fromFractions = decodeBoxes(new Float32Array(normalised.flat()), [rows.length, 6], { transform, labels, normalizedCoordinates: true });
    expect(plain.map((d) => d.bbox)).toEqual([[50, 50, 100, 100], [300, 210, 20, 30], [200, 0, 50, 60]]);
    expect(fromFractions.map((d) => d.bbox)).toEqual(plain.map((d) => d.bbox));
  });

  it('keeps the scoreThreshold and maxDetections', () => {
    expect(decodeBoxes(rows.flat(), [4, 6], { transform, scoreThreshold: 0.65 }).map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(decodeBoxes(rows.flat(), [4, 6], { transform, scoreThreshold: 0.1, maxDetections: 2 }).map((d) => d.score)).toEqual([0.9, 0.7]);
    // A box wholly in the padding leaves nothing in the picture.
    expect(decodeBoxes([10, 0, 50, 70, 0.9, 0], [1, 6], { transform })).toEqual([]);
  });

  it('throws on a shape that is not boxes', () => {
    expect(() => decodeBoxes(new Float32Array(84 * 10), [1, 84, 10], { transform })).toThrow(/needs \[N,6\] or \[1,N,6\]/);
  });
});

/** A YOLO output [1, 4 + classes, anchors] from per-anchor rows (cx, cy, w, h, class scores...). */
function channelsFirst(anchors: number[][]): Float32Array {
  const channels = anchors[0]!.length;
  const data = new Float32Array(channels * anchors.length);
  anchors.forEach((row, a) => row.forEach((value, c) => (data[c * anchors.length + a] = value)));
  return data;
}

describe('decodeYolo', () => {
  // cx, cy, w, h in input pixels, then scores for classes 0, 1, 2.
  const anchors = [
    [200, 280, 200, 200, 0.1, 0.8, 0.05], // class 1, picture box (50, 50)..(150, 150)
    [210, 290, 200, 200, 0.05, 0.9, 0.1], // class 1, IoU with the first 0.82: the better, keeps
    [205, 285, 200, 200, 0.7, 0.1, 0.0], // class 0 overlapping both: another class, keeps
    [500, 400, 40, 40, 0.0, 0.0, 0.6], // class 2 on its own
    [500, 400, 40, 40, 0.2, 0.1, 0.15], // best 0.2: below the threshold
  ];
  const dims = [1, 7, anchors.length];

  it('keeps the best of overlapping boxes of one class and boxes of other classes, mapped to the picture', () => {
    const detections = decodeYolo(channelsFirst(anchors), dims, { transform, labels });
    expect(detections).toEqual([
      { label: 'dressing', score: expect.closeTo(0.9, 6), bbox: [55, 55, 100, 100] },
      { label: 'wound', score: expect.closeTo(0.7, 6), bbox: [52.5, 52.5, 100, 100] },
      { label: 'skin', score: expect.closeTo(0.6, 6), bbox: [240, 150, 20, 20] },
    ]);
  });

  it('reads the anchors-first layout [1, anchors, 4 + classes] the same', () => {
    const expected = decodeYolo(channelsFirst(anchors), dims, { transform, labels });
    expect(decodeYolo(new Float32Array(anchors.flat()), [1, anchors.length, 7], { transform, labels, yoloLayout: 'anchors-first' })).toEqual(expected);
  });

  it('keeps overlapping boxes under the iouThreshold, and honours scoreThreshold and maxDetections', () => {
    const data = channelsFirst(anchors);
    expect(decodeYolo(data, dims, { transform, iouThreshold: 0.9 }).map((d) => d.label)).toEqual(['class_1', 'class_1', 'class_0', 'class_2']);
    expect(decodeYolo(data, dims, { transform, scoreThreshold: 0.15 })).toHaveLength(4);
    expect(decodeYolo(data, dims, { transform, scoreThreshold: 0.65 }).map((d) => d.score)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(0.7, 6)]);
    expect(decodeYolo(data, dims, { transform, maxDetections: 1 })).toHaveLength(1);
  });

  it('throws when the labels do not match the channels', () => {
    expect(() => decodeYolo(channelsFirst(anchors), dims, { transform, labels: ['a', 'b'] })).toThrow(
      "output 'output' has shape [1,7,5]: the yolo convention (channels-first) needs [1,4+classes,anchors]: 2 labels make 6 channels, the output has 7",
    );
  });
});

/** A [1,1,h,w] mask of `background` with rectangles (x, y, w, h in mask pixels) set to a value. */
function mask(w: number, h: number, background: number, ...rects: Array<[number, number, number, number, number]>): Float32Array {
  const data = new Float32Array(w * h).fill(background);
  for (const [x, y, rw, rh, value] of rects) for (let row = y; row < y + rh; row++) data.fill(value, row * w + x, row * w + x + rw);
  return data;
}

describe('decodeMask', () => {
  // A 160x160 mask over the 640x640 input: a mask pixel is 4x4 input pixels, 2x2 picture pixels.
  const dims = [1, 1, 160, 160];
  const blobs: Array<[number, number, number, number, number]> = [
    [10, 30, 20, 20, 0.9], // input (40, 120)..(120, 200): picture (20, 20)..(60, 60)
    [100, 60, 30, 20, 0.7], // input (400, 240)..(520, 320): picture (200, 80)..(260, 120)
    [140, 100, 3, 3, 0.95], // 9 mask pixels, 36 picture pixels: under minAreaPixels
  ];

  it('boxes each region in picture pixels with its mean probability, best first, dropping small ones', () => {
    const detections = decodeMask(mask(160, 160, 0.1, ...blobs), dims, { transform, minAreaPixels: 100 });
    expect(detections).toEqual([
      { label: 'region', score: expect.closeTo(0.9, 6), bbox: [20, 20, 40, 40] },
      { label: 'region', score: expect.closeTo(0.7, 6), bbox: [200, 80, 60, 40] },
    ]);
    expect(decodeMask(mask(160, 160, 0.1, ...blobs), dims, { transform, minAreaPixels: 30, labels })).toHaveLength(3);
    expect(decodeMask(mask(160, 160, 0.1, ...blobs), dims, { transform, minAreaPixels: 30, labels })[0]!.label).toBe('wound');
  });

  it('reads logits with maskLogits, and applies maskThreshold, scoreThreshold and maxDetections', () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    const logits = mask(160, 160, logit(0.1), ...blobs.map(([x, y, w, h, p]) => [x, y, w, h, logit(p)] as typeof blobs[number]));
    const fromLogits = decodeMask(logits, dims, { transform, maskLogits: true, minAreaPixels: 100 });
    expect(fromLogits.map((d) => d.bbox)).toEqual([[20, 20, 40, 40], [200, 80, 60, 40]]);
    expect(fromLogits.map((d) => d.score)).toEqual([expect.closeTo(0.9, 5), expect.closeTo(0.7, 5)]);

    const data = mask(160, 160, 0.1, ...blobs);
    expect(decodeMask(data, dims, { transform, maskThreshold: 0.8, minAreaPixels: 100 })).toHaveLength(1);
    expect(decodeMask(data, dims, { transform, scoreThreshold: 0.8, minAreaPixels: 100 })).toHaveLength(1);
    expect(decodeMask(data, dims, { transform, maxDetections: 1, minAreaPixels: 100 })[0]!.score).toBeCloseTo(0.9, 6);
    // The default minAreaPixels (400) keeps the 1600 and 2400 px regions.
    expect(decodeMask(data, dims, { transform })).toHaveLength(2);
  });

  it('joins pixels touching at a corner (8-connected) and keeps apart regions a pixel apart', () => {
    // Two 4x4 squares meeting corner to corner, and a U shape whose arms join only at the bottom.
    const data = mask(
      32,
      32,
      0,
      [0, 0, 4, 4, 1],
      [4, 4, 4, 4, 1],
      [12, 0, 2, 10, 1],
      [18, 0, 2, 10, 1],
      [12, 10, 8, 2, 1],
      [24, 0, 2, 2, 1],
      [27, 0, 2, 2, 1],
    );
    const identity = fitTransform(32, 32, { width: 32, height: 32, resize: 'stretch' });
    const boxes = decodeMask(data, [1, 1, 32, 32], { transform: identity, minAreaPixels: 0 }).map((d) => d.bbox);
    expect(boxes).toHaveLength(4);
    expect(boxes).toEqual(expect.arrayContaining([[0, 0, 8, 8], [12, 0, 8, 12], [24, 0, 2, 2], [27, 0, 2, 2]]));
  });

  it('scales a mask smaller than the input to input pixels (stretch transform)', () => {
    // A 40x30 mask over a 160x120 input stretched from a 640x360 picture: a mask pixel is 16x12 picture pixels.
    const stretch = fitTransform(640, 360, { width: 160, height: 120, resize: 'stretch' });
    const [found] = decodeMask(mask(40, 30, 0, [5, 10, 10, 5, 0.8]), [1, 1, 30, 40], { transform: stretch });
    expect(found!.bbox).toEqual([80, 120, 160, 60]);
  });
});

describe('checkOutputShape', () => {
  it('names the output, its shape and what the convention needs', () => {
    expect(checkOutputShape('boxes', [1, 84, 8400], { name: 'output0' })).toMatch(
      /^output 'output0' has shape \[1,84,8400\]: the boxes convention needs \[N,6\] or \[1,N,6\]/,
    );
    expect(checkOutputShape('mask', [1, 3, 64, 64], { name: 'logits' })).toMatch(/^output 'logits' has shape \[1,3,64,64\]: the mask convention needs \[1,1,H,W\]/);
    expect(checkOutputShape('yolo', [1, 8400, 84], { classes: 80 })).toMatch(/80 labels make 84 channels, the output has 8400 \(yoloLayout 'anchors-first' would fit\)$/);
    expect(checkOutputShape('yolo', [1, 4, 8400])).toMatch(/at least one class/);
    expect(checkOutputShape('yolo', [84, 8400])).toMatch(/needs \[1,4\+classes,anchors\]$/);
    expect(checkOutputShape('nope' as never, [1])).toMatch(/unknown output convention 'nope'/);
  });

  it('accepts fitting shapes, symbolic and -1 dimensions fitting any size', () => {
    expect(checkOutputShape('boxes', [100, 6])).toBeNull();
    expect(checkOutputShape('boxes', ['batch', 'detections', 6])).toBeNull();
    expect(checkOutputShape('boxes', [-1, 6])).toBeNull();
    expect(checkOutputShape('yolo', [1, 84, 8400], { classes: 80 })).toBeNull();
    expect(checkOutputShape('yolo', [1, 8400, 84], { classes: 80, yoloLayout: 'anchors-first' })).toBeNull();
    expect(checkOutputShape('yolo', ['batch', 'channels', 'anchors'], { classes: 2 })).toBeNull();
    expect(checkOutputShape('mask', [1, 1, 'h', 'w'])).toBeNull();
  });
});
