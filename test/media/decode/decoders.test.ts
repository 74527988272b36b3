import { join } from 'node:path';
import { readVideoFile } from '../../../client/videoFile';
import { H264Decoder } from '../../../src/media/decode/h264Decoder';
import { LibvpxDecoder } from '../../../src/media/decode/libvpxDecoder';
import { assertI420, type I420Frame } from '../../../src/media/i420Frame';
import {
  FRAME_HEIGHT,
  FRAME_WIDTH,
  GREY_YUV,
  RED_YUV,
  SQUARE,
  garbage,
  h264AccessUnits,
  readAnnexB,
  vp8Frames,
  yuvAt,
  type EncodedFrame,
} from '../../fixtures/decode/encodedFixtures';

const TOLERANCE = 6;

/** Pixels well inside the red square, and on the grey background around it. */
const INSIDE = [
  [SQUARE.x + 8, SQUARE.y + 8],
  [SQUARE.x + SQUARE.width / 2, SQUARE.y + SQUARE.height / 2],
  [SQUARE.x + SQUARE.width - 9, SQUARE.y + SQUARE.height - 9],
] as const;
const OUTSIDE = [
  [10, 10],
  [SQUARE.x - 12, SQUARE.y + 40],
  [SQUARE.x + SQUARE.width + 12, SQUARE.y + 40],
  [FRAME_WIDTH - 10, FRAME_HEIGHT - 10],
] as const;

function expectNear(actual: readonly number[], expected: readonly number[]): void {
  actual.forEach((value, i) => {
    if (Math.abs(value - expected[i]!) > TOLERANCE) {
      throw new Error(`YUV ${JSON.stringify(actual)} is not within ±${TOLERANCE} of ${JSON.stringify(expected)}`);
    }
  });
}

/** A 640x480 I420 picture of the red square on grey. */
function expectSquarePicture(picture: I420Frame | null, width = FRAME_WIDTH, height = FRAME_HEIGHT): void {
  expect(picture).not.toBeNull();
  const frame = picture!;
  expect([frame.width, frame.height]).toEqual([width, height]);
  assertI420(frame);
  for (const [x, y] of INSIDE) expectNear(yuvAt(frame, x, y), RED_YUV);
  for (const [x, y] of OUTSIDE.filter(([, y]) => y < height)) expectNear(yuvAt(frame, x, y), GREY_YUV);
}

/** A decode call that must give no picture: it throws an Error or returns null, without crashing. */
function expectNoPicture(decode: () => I420Frame | null): void {
  let outcome: unknown;
  try {
    outcome = decode();
  } catch (error) {
    outcome = error;
  }
  expect(outcome === null || outcome instanceof Error).toBe(true);
}

/** Decodes every frame in order; the pictures the decoder gave. */
function decodeAll(decoder: { decode(data: Uint8Array, keyframe: boolean): I420Frame | null }, frames: EncodedFrame[]) {
  return frames.map(({ data, keyframe }) => decoder.decode(data, keyframe));
}

describe('LibvpxDecoder (VP8)', () => {
  const frames = vp8Frames();
  let decoder: LibvpxDecoder;

  beforeEach(async () => {
    decoder = await LibvpxDecoder.create('VP8');
  });

  afterEach(() => {
    decoder?.close();
  });

  it('decodes the fixture to 640x480 I420 pictures of the red square on grey', () => {
    expect(frames).toHaveLength(31);
    expect(frames[0]!.keyframe).toBe(true);
    for (const picture of decodeAll(decoder, frames)) expectSquarePicture(picture);
  });

  it('returns a copy: a picture is not overwritten by the next decode', () => {
    const first = decoder.decode(frames[0]!.data, true)!;
    const y = first.y.slice();
    decoder.decode(frames[1]!.data, false);
    expect(Buffer.compare(first.y, y)).toBe(0);
  });

  it('takes an empty packet as nothing (not end of stream) and keeps decoding', () => {
    expect(decoder.decode(frames[0]!.data, true)).not.toBeNull();
    expect(decoder.decode(new Uint8Array(0), false)).toBeNull();
    expectSquarePicture(decoder.decode(frames[1]!.data, false));
  });

  it('throws a clear Error on garbage, then decodes again from the next keyframe', () => {
    expect(() => decoder.decode(garbage(3000), false)).toThrow(/^VP8 frame rejected by the decoder \(error -\d+\)$/);
    expect(() => decoder.decode(garbage(3000), true)).toThrow(Error);
    expectSquarePicture(decoder.decode(frames[0]!.data, true));
    expectSquarePicture(decoder.decode(frames[1]!.data, false));
  });

  it('throws or gives nothing for a delta frame before any keyframe, then starts at the keyframe', () => {
    expectNoPicture(() => decoder.decode(frames[1]!.data, false));
    expectSquarePicture(decoder.decode(frames[0]!.data, true));
  });

  it('keeps decoders apart: each has its own state', async () => {
    const other = await LibvpxDecoder.create('VP8');
    try {
      expect(decoder.decode(frames[0]!.data, true)).not.toBeNull();
      // The other decoder has seen no keyframe: a delta frame gives it no picture of the square.
      expectNoPicture(() => other.decode(frames[1]!.data, false));
      expectSquarePicture(decoder.decode(frames[1]!.data, false));
    } finally {
      other.close();
    }
  });

  it('close() releases the decoder without throwing', async () => {
    const other = await LibvpxDecoder.create('VP8');
    other.decode(frames[0]!.data, true);
    expect(() => other.close()).not.toThrow();
  });
});

describe('LibvpxDecoder (VP9)', () => {
  // The video fixture (test/fixtures/video/README.md): its square is at x 384, y 96, 160x160.
  const frames = readVideoFile(join(__dirname, '../../fixtures/video/vp9_red_square.ivf')).frames;
  const inside = [[400, 112], [464, 176], [527, 239]] as const;
  const outside = [[10, 10], [372, 136], [556, 136], [630, 470]] as const;
  let decoder: LibvpxDecoder;

  beforeEach(async () => {
    decoder = await LibvpxDecoder.create('VP9');
  });

  afterEach(() => {
    decoder?.close();
  });

  it('decodes every frame to a 640x480 I420 picture of the red square on grey', () => {
    expect(frames).toHaveLength(60);
    for (const picture of decodeAll(decoder, frames)) {
      expect(picture).not.toBeNull();
      expect([picture!.width, picture!.height]).toEqual([FRAME_WIDTH, FRAME_HEIGHT]);
      assertI420(picture!);
      for (const [x, y] of inside) expectNear(yuvAt(picture!, x, y), RED_YUV);
      for (const [x, y] of outside) expectNear(yuvAt(picture!, x, y), GREY_YUV);
    }
  });

  it('names its codec when it rejects a frame, then decodes again from the next keyframe', () => {
    expect(() => decoder.decode(garbage(3000), true)).toThrow(/^VP9 frame rejected by the decoder \(error -\d+\)$/);
    expect(decoder.decode(frames[30]!.data, true)).not.toBeNull();
  });
});

describe('H264Decoder', () => {
  const accessUnits = h264AccessUnits();
  let decoder: H264Decoder;

  beforeEach(() => {
    decoder = new H264Decoder();
  });

  afterEach(() => {
    decoder.close();
  });

  it('decodes the fixture (4 slices per picture) to 640x480 I420 pictures, one per access unit', () => {
    expect(accessUnits).toHaveLength(31);
    expect(accessUnits[0]!.keyframe).toBe(true);
    for (const picture of decodeAll(decoder, accessUnits)) expectSquarePicture(picture);
  });

  it('returns a copy of the picture, not a view into the decoder memory', () => {
    const first = decoder.decode(accessUnits[0]!.data)!;
    const y = first.y.slice();
    decoder.decode(accessUnits[1]!.data);
    expect(Buffer.compare(first.y, y)).toBe(0);
    expect(first.y.buffer).not.toBe(decoder.decode(accessUnits[2]!.data)!.y.buffer);
  });

  it('crops to the SPS display size: 640x360 is coded as 640x368', () => {
    const clip = readAnnexB('h264_640x360.h264');
    expect(clip).toHaveLength(2);
    for (const { data } of clip) {
      const picture = decoder.decode(data);
      expectSquarePicture(picture, 640, 360);
      // The bottom rows are the background, not the 8 padding rows.
      expectNear(yuvAt(picture!, 320, 359), GREY_YUV);
      expectNear(yuvAt(picture!, SQUARE.x, SQUARE.y), RED_YUV);
      expectNear(yuvAt(picture!, SQUARE.x - 2, SQUARE.y - 2), GREY_YUV);
    }
  });

  it('survives garbage (throws an Error or gives no picture), then decodes again from the next keyframe', () => {
    const withStartCode = Buffer.concat([Buffer.from([0, 0, 0, 1]), garbage(3000)]);
    for (const input of [garbage(3000), withStartCode, accessUnits[3]!.data.subarray(0, 20)]) expectNoPicture(() => decoder.decode(input));
    expectSquarePicture(decoder.decode(accessUnits[0]!.data));
    expectSquarePicture(decoder.decode(accessUnits[1]!.data));
  });

  it('refuses an access unit over 1 MiB and keeps working', () => {
    const huge = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65]), Buffer.alloc(1024 * 1024)]);
    expect(() => decoder.decode(huge)).toThrow(/over the 1 MiB limit/);
    expectSquarePicture(decoder.decode(accessUnits[0]!.data));
  });

  it('close() works, and decoding after it throws', () => {
    decoder.decode(accessUnits[0]!.data);
    decoder.close();
    expect(() => decoder.close()).not.toThrow();
    expect(() => decoder.decode(accessUnits[1]!.data)).toThrow(/closed/);
  });
});
