import fc from 'fast-check';
import { join } from 'node:path';
import { readVideoFile } from '../../../client/videoFile';
import { checkPictureSizes, framePictureSizes } from '../../../src/media/bitstream/framePictures';
import type { VideoCodecName } from '../../../src/media/decode/videoDecoder';
import { DEFAULT_MAX_PICTURE_PIXELS } from '../../../src/limitsConfig';
import {
  AV1_BOMB,
  H264_BOMB,
  VP8_BOMB,
  VP9_BOMB,
  av1TemporalUnit,
  h264AccessUnit,
  vp8Keyframe,
  vp9Frame,
  vp9Superframe,
} from '../../fixtures/video/hostileFrames';

const CODECS: VideoCodecName[] = ['VP8', 'VP9', 'H264', 'AV1'];
const RUNS = { numRuns: 300 };
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'video');

describe('picture size readers', () => {
  it('never throw on arbitrary bytes, for every codec', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODECS), fc.uint8Array({ maxLength: 96 }), (codec, bytes) => {
        const read = framePictureSizes(codec, Buffer.from(bytes));
        expect('sizes' in read || typeof read.unreadable === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throw on valid headers cut short or with flipped bits', () => {
    const headers = [VP8_BOMB, VP9_BOMB, H264_BOMB, AV1_BOMB];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat(), (which, cut, flip) => {
        const data = Buffer.from(headers[which]!.subarray(0, cut % (headers[which]!.length + 1)));
        if (data.length > 0) data[flip % data.length]! ^= 1 << (flip % 8);
        framePictureSizes(CODECS[which]!, data);
      }),
      { numRuns: 2000 },
    );
  });

  it('read the size of generated VP8 keyframes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16383 }), fc.integer({ min: 1, max: 16383 }), (width, height) => {
        expect(framePictureSizes('VP8', vp8Keyframe(width, height))).toEqual({ sizes: [{ width, height }] });
      }),
      RUNS,
    );
  });

  it('read the size of generated VP9 key, intra-only and inter frames, alone and in superframes', () => {
    const header = fc.record({
      profile: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
      type: fc.constantFrom('key' as const, 'intra-only' as const, 'inter' as const),
      colourSpace: fc.integer({ min: 0, max: 7 }),
      errorResilient: fc.boolean(),
    });
    const size = fc.record({ width: fc.integer({ min: 1, max: 65536 }), height: fc.integer({ min: 1, max: 65536 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(size, header), { minLength: 1, maxLength: 4 }), (frames) => {
        const encoded = frames.map(([{ width, height }, options]) => vp9Frame(width, height, options));
        const expected = { sizes: frames.map(([picture]) => picture) };
        if (frames.length === 1) expect(framePictureSizes('VP9', encoded[0]!)).toEqual(expected);
        expect(framePictureSizes('VP9', vp9Superframe(encoded))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('read the coded size of generated H264 SPSs (baseline, main, high; frames or fields; every POC type; cropped)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2048 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.record({ profile: fc.constantFrom(66, 77, 100), frameMbsOnly: fc.boolean(), pocType: fc.constantFrom(0 as const, 1 as const, 2 as const), crop: fc.boolean() }),
        (widthMbs, heightUnits, options) => {
          const width = widthMbs * 16;
          const height = heightUnits * 16 * (options.frameMbsOnly ? 1 : 2);
          expect(framePictureSizes('H264', h264AccessUnit(width, height, options))).toEqual({ sizes: [{ width, height }] });
        },
      ),
      RUNS,
    );
  });

  it('read the largest size of generated AV1 sequence headers (timing info, decoder models, operating points)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65536 }),
        fc.integer({ min: 1, max: 65536 }),
        fc.record({
          reducedStillPicture: fc.boolean(),
          timingInfo: fc.boolean(),
          decoderModel: fc.boolean(),
          initialDisplayDelay: fc.boolean(),
          operatingPoints: fc.integer({ min: 1, max: 32 }),
          level: fc.integer({ min: 0, max: 31 }),
        }),
        (width, height, options) => {
          expect(framePictureSizes('AV1', av1TemporalUnit(width, height, options))).toEqual({ sizes: [{ width, height }] });
        },
      ),
      RUNS,
    );
  });

  it('refuse every picture over the limit and pass every one within it', () => {
    const writers: Record<VideoCodecName, (width: number, height: number) => Buffer> = {
      VP8: vp8Keyframe,
      VP9: (width, height) => vp9Frame(width, height),
      H264: (width, height) => h264AccessUnit(width * 16, height * 16),
      AV1: (width, height) => av1TemporalUnit(width, height),
    };
    fc.assert(
      fc.property(fc.constantFrom(...CODECS), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 4096, max: 1_000_000 }), (codec, w, h, limit) => {
        const pixels = codec === 'H264' ? w * 16 * h * 16 : w * h;
        expect(checkPictureSizes(codec, writers[codec](w, h), limit).ok).toBe(pixels <= limit);
      }),
      RUNS,
    );
  });

  it('refuse the bombs of each codec at the default limit', () => {
    const bombs: Array<[VideoCodecName, Buffer]> = [['VP8', VP8_BOMB], ['VP9', VP9_BOMB], ['H264', H264_BOMB], ['AV1', AV1_BOMB]];
    for (const [codec, bomb] of bombs) expect(checkPictureSizes(codec, bomb, DEFAULT_MAX_PICTURE_PIXELS)).toMatchObject({ ok: false, tooLarge: { width: expect.any(Number) } });
    expect(VP8_BOMB).toHaveLength(74);
  });

  it.each([
    ['vp8_red_square.ivf', 640, 480],
    ['vp9_red_square.ivf', 640, 480],
    ['h264_red_square.h264', 640, 480],
    ['h264_main_red_square.h264', 640, 480],
    ['h264_high_red_square.h264', 640, 480],
    ['av1_red_square.ivf', 640, 480],
  ])('read %s as the encoder wrote it, every frame within the default limit', (file, width, height) => {
    const video = readVideoFile(join(FIXTURES, file));
    const sizes = video.frames.flatMap((frame) => {
      const read = framePictureSizes(video.codec, frame.data);
      if ('unreadable' in read) throw new Error(read.unreadable);
      expect(checkPictureSizes(video.codec, frame.data, DEFAULT_MAX_PICTURE_PIXELS)).toEqual({ ok: true });
      return read.sizes;
    });
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(sizes.every((size) => size.width === width && size.height === height)).toBe(true);
  });
});
