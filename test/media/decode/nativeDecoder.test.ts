import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readVideoFile } from '../../../client/videoFile';
import { loadNativeAddon, NATIVE_ADDON_PATH, NativeDecoder, NativeOpusLevelMeter } from '../../../src/media/decode/nativeDecoder';
import { WasmOpusLevelMeter } from '../../../src/media/decode/opusDecoder';
import { encodeOpusTone } from '../../helpers/opusTone';
import { availableDecoderBackends, chooseDecoderBackend } from '../../../src/media/decode/videoDecoders';
import { assertI420, type I420Frame } from '../../../src/media/i420Frame';
import { GREY_YUV, RED_YUV, garbage, h264AccessUnits, readAnnexB, readIvf, yuvAt } from '../../fixtures/decode/encodedFixtures';

// The clips are lossy encodes of a noisy picture; red and grey stay 40 or more apart on every plane.
const TOLERANCE = 12;
const VIDEO = join(__dirname, '../../fixtures/video');

function expectColour(picture: I420Frame, x: number, y: number, expected: readonly number[]): void {
  const actual = yuvAt(picture, x, y);
  if (actual.some((value, i) => Math.abs(value - expected[i]!) > TOLERANCE)) {
    throw new Error(`YUV at ${x},${y} ${JSON.stringify(actual)} is not within ±${TOLERANCE} of ${JSON.stringify(expected)}`);
  }
}

/** The clips of test/fixtures/video: a 160x160 red square at x 384, y 96 on grey, 640x480. */
const CLIPS = [
  ['VP8', 'vp8_red_square.ivf'],
  ['VP9', 'vp9_red_square.ivf'],
  ['H264', 'h264_red_square.h264'],
  ['H264', 'h264_main_red_square.h264'],
  ['H264', 'h264_high_red_square.h264'],
  ['AV1', 'av1_red_square.ivf'],
] as const;

describe('the native decoder addon', () => {
  it('is built and loads here (npm install builds it; the suite needs it)', () => {
    const addon = loadNativeAddon();
    if (addon instanceof Error) throw addon;
    expect(addon.codecs).toEqual(expect.arrayContaining(['vp8', 'vp9', 'h264', 'av1']));
    expect(availableDecoderBackends()).toEqual(['native', 'wasm']);
    expect(chooseDecoderBackend('auto')).toEqual({ backend: expect.objectContaining({ name: 'native' }) });
  });
});

describe.each(CLIPS)('NativeDecoder %s (%s)', (codec, file) => {
  const frames = readVideoFile(join(VIDEO, file)).frames;
  let decoder: NativeDecoder;

  beforeEach(() => {
    decoder = new NativeDecoder(codec);
  });

  afterEach(() => decoder.close());

  it('decodes every frame at once to a 640x480 I420 picture of the red square on grey', () => {
    expect(frames.length).toBeGreaterThanOrEqual(30);
    for (const frame of frames) {
      const picture = decoder.decode(frame.data, frame.keyframe);
      expect(picture).not.toBeNull();
      expect([picture!.width, picture!.height]).toEqual([640, 480]);
      assertI420(picture!);
      for (const [x, y] of [[416, 128], [464, 176], [512, 224]]) expectColour(picture!, x!, y!, RED_YUV);
      for (const [x, y] of [[10, 10], [372, 136], [556, 136], [630, 470]]) expectColour(picture!, x!, y!, GREY_YUV);
    }
  });

  it('gives each picture its own memory: the next decode does not overwrite it', () => {
    const first = decoder.decode(frames[0]!.data, true)!;
    const y = first.y.slice();
    decoder.decode(frames[1]!.data, false);
    expect(Buffer.compare(first.y, y)).toBe(0);
  });

  it('writes a later picture into the memory of one given back (recycle), and never into one still held', () => {
    const held = decoder.decode(frames[0]!.data, true)!;
    const heldY = held.y.slice();
    const given = decoder.decode(frames[1]!.data, false)!;
    expect(given.y.buffer).not.toBe(held.y.buffer);
    decoder.recycle(given);
    const next = decoder.decode(frames[2]!.data, false)!;
    expect(next.y.buffer).toBe(given.y.buffer);
    expect(Buffer.compare(held.y, heldY)).toBe(0);
    expectColour(next, 464, 176, RED_YUV);
    decoder.recycle(next);
    decoder.recycle(next); // twice: still one buffer
    const [a, b] = [decoder.decode(frames[3]!.data, false)!, decoder.decode(frames[4]!.data, false)!];
    expect(a.y.buffer).toBe(given.y.buffer);
    expect(b.y.buffer).not.toBe(a.y.buffer);
  });

  it('throws a clear Error on garbage or gives no picture, then decodes again from a keyframe', () => {
    let outcome: unknown;
    try {
      outcome = decoder.decode(garbage(3000), true);
    } catch (error) {
      outcome = error;
    }
    // The addon's errors come from the process's realm, not the test's: no instanceof here.
    if (outcome !== null) expect(String((outcome as Error).message)).toMatch(/^(libvpx|openh264|dav1d): \S/);
    expect(decoder.decode(frames[0]!.data, true)).not.toBeNull();
  });
});

describe('NativeDecoder, H264 details', () => {
  it('crops to the SPS display size: 640x360 is coded as 640x368', () => {
    const decoder = new NativeDecoder('H264');
    try {
      for (const { data } of readAnnexB('h264_640x360.h264')) {
        const picture = decoder.decode(data, true)!;
        expect([picture.width, picture.height]).toEqual([640, 360]);
        expectColour(picture, 320, 359, GREY_YUV);
      }
    } finally {
      decoder.close();
    }
  });

  it('takes an empty frame as nothing and goes on; close() is idempotent and decoding after it throws', () => {
    const units = h264AccessUnits();
    const decoder = new NativeDecoder('H264');
    expect(decoder.decode(units[0]!.data, true)).not.toBeNull();
    expect(decoder.decode(new Uint8Array(0), false)).toBeNull();
    expect(decoder.decode(units[1]!.data, false)).not.toBeNull();
    decoder.close();
    expect(() => decoder.close()).not.toThrow();
    expect(() => decoder.decode(units[2]!.data, false)).toThrow(/closed/);
  });

  it('keeps streams apart: two decoders fed in turn each decode their own clip', () => {
    const square = readVideoFile(join(VIDEO, 'vp8_red_square.ivf')).frames;
    const grey = readVideoFile(join(VIDEO, 'vp8_grey.ivf')).frames;
    const [a, b] = [new NativeDecoder('VP8'), new NativeDecoder('VP8')];
    try {
      for (let i = 0; i < 30; i++) {
        expectColour(a.decode(square[i]!.data, square[i]!.keyframe)!, 464, 176, RED_YUV);
        expectColour(b.decode(grey[i]!.data, grey[i]!.keyframe)!, 464, 176, GREY_YUV);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('NativeDecoder in a worker thread that is terminated mid-decode', () => {
  /** Decodes `frames` over and over with the addon, in a plain worker thread (no jest transform). */
  const DECODING_LOOP = `
    const { parentPort, workerData } = require('node:worker_threads');
    const decoder = new (require(workerData.addon).Decoder)(workerData.codec);
    parentPort.postMessage('decoding');
    for (;;) for (const frame of workerData.frames) try { decoder.decode(frame); } catch {}
  `;

  // The pool terminates a worker whose job timed out, and every worker at close. A Node-API call
  // failing there made node-addon-api abort the process (every session with it) until the addon
  // was built to drop what it cannot throw and to give no picture when it gets no buffer.
  it.each([
    ['vp8', 'vp8_red_square.ivf'],
    ['av1', 'av1_red_square.ivf'],
    ['h264', 'h264_high_red_square.h264'],
  ])('%s: the process survives 30 terminations', async (codec, file) => {
    const frames = readVideoFile(join(VIDEO, file)).frames.slice(0, 5).map((frame) => Uint8Array.from(frame.data));
    for (let i = 0; i < 30; i++) {
      const worker = new Worker(DECODING_LOOP, { eval: true, workerData: { addon: NATIVE_ADDON_PATH, codec, frames } });
      await new Promise((resolve) => worker.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, 2 + (i % 10)));
      await worker.terminate();
    }
  });
});

describe('DECODER resolution', () => {
  it('falls back to wasm under auto when the addon does not load, and names why; native by name is an error', () => {
    const folder = mkdtempSync(join(tmpdir(), 'addon-'));
    const broken = join(folder, 'native_decoders.node');
    writeFileSync(broken, 'not a shared library');
    try {
      const missing = join(folder, 'missing.node');
      expect(loadNativeAddon(missing)).toEqual(expect.objectContaining({ message: expect.stringMatching(/is not built \(npm run build:native\)/) }));
      expect(loadNativeAddon(broken)).toEqual(expect.objectContaining({ message: expect.stringMatching(/does not load: /) }));
      const chosen = chooseDecoderBackend('auto', broken);
      expect(chosen.backend.name).toBe('wasm');
      expect(chosen.fallbackReason).toMatch(/does not load/);
      expect(() => chooseDecoderBackend('native', missing)).toThrow(/^DECODER=native: .*is not built/);
      expect(chooseDecoderBackend('wasm', missing)).toEqual({ backend: expect.objectContaining({ name: 'wasm' }) });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(loadNativeAddon(NATIVE_ADDON_PATH)).not.toBeInstanceOf(Error);
  });
});

describe('NativeOpusLevelMeter', () => {
  it('gives the level libopus decodes, as the wasm meter does: a tone, then silence; garbage throws', async () => {
    const tone = await encodeOpusTone(10, { amplitude: 0.1 });
    const silence = await encodeOpusTone(5, { amplitude: 0 });
    const native = new NativeOpusLevelMeter();
    const wasm = await WasmOpusLevelMeter.create();
    try {
      const levels = [...tone, ...silence].map((packet) => native.level(packet));
      [...tone, ...silence].forEach((packet, i) => expect(levels[i]).toBeCloseTo(wasm.level(packet), 1));
      // A sine of amplitude 0.1 is -23 dBov RMS (once the decoder has warmed up); silence is the floor.
      expect(levels[5]).toBeCloseTo(-23, 0);
      expect(levels.at(-1)).toBe(-127);
      expect(native.level(new Uint8Array(0))).toBe(-127);
      expect(() => native.level(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(/^libopus: /);
    } finally {
      native.close();
      native.close();
      wasm.close();
    }
  });
});

/**
 * A stream that changes resolution mid-stream (fixtures/decode/*_resolution_change.*: 10 frames
 * of 320x240, 10 of 640x480, 10 of 320x240, a keyframe at each change; a red square at a third
 * of the width from the right, a fifth of the height down, a quarter of the width wide). Each
 * picture is given back once checked, as the frame worker does: a smaller picture is written into
 * a larger picture's buffer, and a larger one gets a buffer of its own while the smaller buffer
 * stays spare.
 */
describe.each([
  ['VP8', () => readIvf('vp8_resolution_change.ivf')],
  ['H264', () => readAnnexB('h264_resolution_change.h264')],
] as const)('NativeDecoder %s, a resolution change mid-stream', (codec, read) => {
  const SIZES = [...Array(10).fill([320, 240]), ...Array(10).fill([640, 480]), ...Array(10).fill([320, 240])] as Array<[number, number]>;

  it('decodes 320x240, then 640x480, then 320x240 pictures of the square, reusing the given-back buffers that fit', () => {
    const frames = read();
    expect(frames.map((frame) => frame.keyframe).flatMap((key, i) => (key ? [i] : []))).toEqual([0, 10, 20]);
    const decoder = new NativeDecoder(codec);
    try {
      const buffers: ArrayBufferLike[] = [];
      frames.forEach((frame, i) => {
        const picture = decoder.decode(frame.data, frame.keyframe);
        expect(picture).not.toBeNull();
        const [width, height] = SIZES[i]!;
        expect([picture!.width, picture!.height]).toEqual([width, height]);
        assertI420(picture!);
        // The square's middle and the background's middle, scaled to the picture.
        expectColour(picture!, (width * 23) / 32, (height * 11) / 30, RED_YUV);
        expectColour(picture!, width / 4, (height * 3) / 4, GREY_YUV);
        buffers.push(picture!.y.buffer);
        decoder.recycle(picture!);
      });
      // Within a run of one size every picture takes the buffer given back before it.
      for (const run of [[0, 10], [10, 20], [20, 30]]) expect(new Set(buffers.slice(run[0], run[1])).size).toBe(1);
      // The 320x240 buffer was too small for 640x480: a new one; the 640x480 one holds the 320x240 pictures after.
      expect(buffers[10]).not.toBe(buffers[9]);
      expect(buffers[20]).toBe(buffers[19]);
    } finally {
      decoder.close();
    }
  });

  it('keeps a given-back buffer too small for the larger pictures spare, and writes the smaller pictures into it again', () => {
    const frames = read();
    const decoder = new NativeDecoder(codec);
    try {
      // The 320x240 pictures are given back at once; the 640x480 ones are all held (as a slow
      // detector holds them), so each needs a buffer of its own, and the small one must not be lost meanwhile.
      const buffers = frames.map((frame, i) => {
        const picture = decoder.decode(frame.data, frame.keyframe)!;
        expect([picture.width, picture.height]).toEqual(SIZES[i]);
        if (i === 20) expectColour(picture, (320 * 23) / 32, (240 * 11) / 30, RED_YUV);
        if (picture.width === 320) decoder.recycle(picture);
        return picture.y.buffer;
      });
      expect(new Set(buffers.slice(0, 10)).size).toBe(1);
      expect(new Set(buffers.slice(10, 20)).size).toBe(10);
      expect(buffers.slice(10, 20)).not.toContain(buffers[9]);
      expect(buffers[20]).toBe(buffers[9]);
    } finally {
      decoder.close();
    }
  });
});
