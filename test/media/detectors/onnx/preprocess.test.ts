import {
  checkInputSpec,
  fitTransform,
  LETTERBOX_PAD,
  toInput,
  toPicture,
  toTensor,
  type InputSpec,
} from '../../../../src/media/detectors/onnx/preprocess';
import { solidI420 } from '../../../../src/media/i420Frame';
import { frameWith, GREY, RED, type Rect } from '../syntheticFrames';

type Channels = [r: number, g: number, b: number];

/** The R, G, B values of input pixel (x, y) in a tensor of the spec's layout and channel order. */
function pixelAt(data: Float32Array, spec: InputSpec, x: number, y: number): Channels {
  const plane = spec.width * spec.height;
  const at = (c: number) => (spec.layout === 'nchw' ? data[c * plane + y * spec.width + x]! : data[(y * spec.width + x) * 3 + c]!);
  const values: Channels = [at(0), at(1), at(2)];
  return spec.channels === 'rgb' ? values : [values[2], values[1], values[0]];
}

const base: InputSpec = { width: 64, height: 48, layout: 'nchw', channels: 'rgb', resize: 'stretch', normalize: { kind: 'raw' } };

/** A 64x48 grey picture with a red 24x16 square at (16, 12): chroma-aligned, so its inside is exactly red. */
const square: Rect = [16, 12, 24, 16];
const picture = () => frameWith(64, 48, GREY, [square, RED]);

function expectRgb(actual: Channels, expected: Channels, tolerance: number): void {
  actual.forEach((value, c) => expect(Math.abs(value - expected[c]!)).toBeLessThanOrEqual(tolerance));
}

describe('toTensor', () => {
  const layouts = [
    ['nchw', 'rgb'],
    ['nchw', 'bgr'],
    ['nhwc', 'rgb'],
    ['nhwc', 'bgr'],
  ] as const;

  it.each(layouts)('converts BT.601 limited range to RGB in %s %s', (layout, channels) => {
    const spec: InputSpec = { ...base, layout, channels };
    const { data } = toTensor(picture(), spec);
    expect(data).toHaveLength(64 * 48 * 3);
    // Inside the square, on grey, and on grey at the corners.
    expectRgb(pixelAt(data, spec, 28, 20), [255, 0, 0], 2);
    expectRgb(pixelAt(data, spec, 4, 4), [128, 128, 128], 2);
    expectRgb(pixelAt(data, spec, 63, 47), [128, 128, 128], 2);
    expectRgb(pixelAt(data, spec, 0, 47), [128, 128, 128], 2);
  });

  it('normalises to 0..1 (unit) and by ImageNet mean and std (meanStd)', () => {
    const unit = toTensor(picture(), { ...base, normalize: { kind: 'unit' } }).data;
    expectRgb(pixelAt(unit, base, 28, 20), [1, 0, 0], 2 / 255);
    expectRgb(pixelAt(unit, base, 4, 4), [128 / 255, 128 / 255, 128 / 255], 2 / 255);

    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    const spec: InputSpec = { ...base, layout: 'nhwc', channels: 'bgr', normalize: { kind: 'meanStd', mean, std } };
    const { data } = toTensor(picture(), spec);
    const expected = (rgb: Channels): Channels => rgb.map((v, c) => (v / 255 - mean[c]!) / std[c]!) as Channels;
    expectRgb(pixelAt(data, spec, 28, 20), expected([255, 0, 0]), 2 / 255 / 0.224);
    expectRgb(pixelAt(data, spec, 4, 4), expected([128, 128, 128]), 2 / 255 / 0.224);
  });

  it('interpolates bilinearly between pixel centres when it enlarges', () => {
    // An 8x2 luma ramp, 16 + 30 x, neutral chroma, stretched to 16x2: output pixel 3 samples x = (3 + 0.5) / 2 - 0.5 = 1.25.
    const frame = solidI420(8, 2, GREY);
    frame.u.fill(128);
    frame.v.fill(128);
    for (let x = 0; x < 8; x++) frame.y[x] = frame.y[8 + x] = 16 + 30 * x;
    const spec: InputSpec = { ...base, width: 16, height: 2 };
    const { data } = toTensor(frame, spec);
    const grey = (luma: number) => ((luma - 16) * 255) / 219;
    expect(pixelAt(data, spec, 3, 0)[0]).toBeCloseTo(grey(16 + 30 * 1.25), 3);
    expect(pixelAt(data, spec, 4, 1)[1]).toBeCloseTo(grey(16 + 30 * 1.75), 3);
    // Beyond the last centre the edge pixel holds.
    expect(pixelAt(data, spec, 15, 0)[2]).toBeCloseTo(grey(16 + 30 * 7), 3);
  });

  it('letterboxes a 320x240 picture into 160x160: scaled by 0.5, 20 rows of padding 114 above and below', () => {
    const spec: InputSpec = { ...base, width: 160, height: 160, resize: 'letterbox' };
    const { data, transform } = toTensor(frameWith(320, 240, GREY, [[100, 80, 60, 40], RED]), spec);
    expect(transform).toMatchObject({ scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 20, pictureWidth: 320, pictureHeight: 240 });
    for (const [x, y] of [[0, 0], [159, 19], [80, 10], [0, 140], [159, 159]]) {
      expect(pixelAt(data, spec, x!, y!)).toEqual([LETTERBOX_PAD, LETTERBOX_PAD, LETTERBOX_PAD]);
    }
    expectRgb(pixelAt(data, spec, 80, 20), [128, 128, 128], 2);
    expectRgb(pixelAt(data, spec, 80, 139), [128, 128, 128], 2);
    // The square's centre (130, 100) is at (65, 70) in the input.
    expect(toInput(transform, 130, 100)).toEqual([65, 70]);
    expectRgb(pixelAt(data, spec, 65, 70), [255, 0, 0], 2);
  });

  it('pads letterboxed columns with 114/255 in unit normalisation, and pads a tall picture left and right', () => {
    const spec: InputSpec = { ...base, width: 64, height: 64, layout: 'nhwc', resize: 'letterbox', normalize: { kind: 'unit' } };
    const { data, transform } = toTensor(solidI420(30, 60, GREY), spec);
    expect(transform).toMatchObject({ scaleX: 32 / 30, scaleY: 64 / 60, padX: 16, padY: 0 });
    expectRgb(pixelAt(data, spec, 15, 30), [114 / 255, 114 / 255, 114 / 255], 1e-6);
    expectRgb(pixelAt(data, spec, 48, 30), [114 / 255, 114 / 255, 114 / 255], 1e-6);
    expectRgb(pixelAt(data, spec, 16, 30), [128 / 255, 128 / 255, 128 / 255], 2 / 255);
    expectRgb(pixelAt(data, spec, 47, 30), [128 / 255, 128 / 255, 128 / 255], 2 / 255);
  });

  it('stretches each axis by its own scale', () => {
    const spec: InputSpec = { ...base, width: 160, height: 160 };
    const { data, transform } = toTensor(frameWith(320, 240, GREY, [[100, 80, 60, 40], RED]), spec);
    expect(transform).toMatchObject({ scaleX: 0.5, scaleY: 160 / 240, padX: 0, padY: 0 });
    const [x, y] = toInput(transform, 130, 100);
    expect([x, y]).toEqual([65, 100 * (2 / 3)]);
    expectRgb(pixelAt(data, spec, Math.floor(x), Math.floor(y)), [255, 0, 0], 2);
    expectRgb(pixelAt(data, spec, 10, 150), [128, 128, 128], 2);
  });

  it('maps points forth and back through letterbox and stretch transforms', () => {
    for (const resize of ['letterbox', 'stretch'] as const) {
      for (const [w, h] of [[640, 480], [480, 640], [321, 243], [1920, 1080]]) {
        const t = fitTransform(w!, h!, { width: 320, height: 256, resize });
        for (const [x, y] of [[0, 0], [w!, h!], [w! / 3, h! / 7]]) {
          const [ix, iy] = toInput(t, x!, y!);
          const [px, py] = toPicture(t, ix, iy);
          expect(px).toBeCloseTo(x!, 9);
          expect(py).toBeCloseTo(y!, 9);
          expect(ix).toBeGreaterThanOrEqual(0);
          expect(ix).toBeLessThanOrEqual(320);
          expect(iy).toBeLessThanOrEqual(256);
        }
      }
    }
    // 640x480 into 320x256 letterboxed: scale 0.5, 320x240 content, 8 rows of padding on top.
    expect(fitTransform(640, 480, { width: 320, height: 256, resize: 'letterbox' })).toMatchObject({ scaleX: 0.5, padX: 0, padY: 8 });
    expect(toPicture(fitTransform(640, 480, { width: 320, height: 256, resize: 'letterbox' }), 160, 8)).toEqual([320, 0]);
  });

  it('handles odd picture sizes (chroma planes rounded up)', () => {
    const spec: InputSpec = { ...base, width: 32, height: 32 };
    const { data } = toTensor(solidI420(33, 25, GREY), spec);
    for (let i = 0; i < data.length; i++) expect(Math.abs(data[i]! - 128)).toBeLessThanOrEqual(2);
  });

  it('writes into the given buffer when it has the right length, else into a new one', () => {
    const spec: InputSpec = { ...base, width: 32, height: 32, resize: 'letterbox' };
    const out = new Float32Array(32 * 32 * 3);
    expect(toTensor(solidI420(64, 48, GREY), spec, out).data).toBe(out);
    expect(toTensor(solidI420(48, 64, GREY), spec, out).data).toBe(out);
    // The second picture is letterboxed left and right: its padding replaced the first's content there.
    expect(pixelAt(out, spec, 2, 16)).toEqual([LETTERBOX_PAD, LETTERBOX_PAD, LETTERBOX_PAD]);
    expectRgb(pixelAt(out, spec, 16, 2), [128, 128, 128], 2);
    const other = toTensor(solidI420(64, 48, GREY), spec, new Float32Array(10)).data;
    expect(other).toHaveLength(32 * 32 * 3);
  });

  it('rejects bad specs with a message naming the problem', () => {
    expect(checkInputSpec(base)).toBeNull();
    expect(checkInputSpec({ ...base, width: 0 })).toMatch(/size 0x48 must be positive integers/);
    expect(checkInputSpec({ ...base, layout: 'chw' as never })).toMatch(/layout 'chw'/);
    expect(checkInputSpec({ ...base, normalize: { kind: 'meanStd', mean: [0, 0, 0], std: [1, 0, 1] } })).toMatch(/non-zero stds/);
    expect(() => toTensor(solidI420(8, 8, GREY), { ...base, resize: 'crop' as never })).toThrow(/resize 'crop'/);
  });
});
