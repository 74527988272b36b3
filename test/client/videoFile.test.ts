import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_VIDEO_FILE, parseCliOptions } from '../../client/cliOptions';
import {
  H264_NAL,
  h264NalType,
  parseAnnexB,
  parseIvf,
  readVideoFile,
  splitAnnexBNalUnits,
  videoFileCodec,
} from '../../client/videoFile';
import { OBU_TYPE, splitObus } from '../../src/media/av1Obus';

const FIXTURES = join(__dirname, '..', 'fixtures', 'video');
const fixture = (name: string): string => join(FIXTURES, name);
const FIXTURE_NAMES = [
  'vp8_red_square.ivf',
  'vp8_grey.ivf',
  'vp9_red_square.ivf',
  'h264_red_square.h264',
  'h264_grey.h264',
  'h264_main_red_square.h264',
  'h264_high_red_square.h264',
  'av1_red_square.ivf',
];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'video-file-test-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function scratchFile(name: string, contents: Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, contents);
  return path;
}

function keyframeIndexes(frames: { keyframe: boolean }[]): number[] {
  return frames.flatMap((frame, index) => (frame.keyframe ? [index] : []));
}

describe('the fixtures', () => {
  it.each(FIXTURE_NAMES)('%s: 60 frames at 30 fps, keyframes at 0 and 30', (name) => {
    const file = readVideoFile(fixture(name));
    expect(file.codec).toBe(name.split('_')[0]!.toUpperCase());
    expect(file.fps).toBe(30);
    expect(file.frames).toHaveLength(60);
    expect(keyframeIndexes(file.frames)).toEqual([0, 30]);
  });

  it.each(['vp8_red_square.ivf', 'vp8_grey.ivf'])('%s: 640x480 in the IVF header and in the VP8 keyframes', (name) => {
    const contents = readFileSync(fixture(name));
    expect([contents.readUInt16LE(12), contents.readUInt16LE(14)]).toEqual([640, 480]);
    for (const frame of readVideoFile(fixture(name)).frames.filter((f) => f.keyframe)) {
      expect([frame.data.readUInt16LE(6) & 0x3fff, frame.data.readUInt16LE(8) & 0x3fff]).toEqual([640, 480]);
    }
  });

  it.each(['h264_red_square.h264', 'h264_grey.h264'])(
    '%s: constrained baseline level 3.1, SPS and PPS in front of every IDR, 4 slices per picture',
    (name) => {
      for (const frame of readVideoFile(fixture(name)).frames) {
        const types = splitAnnexBNalUnits(frame.data).map(h264NalType);
        const slices = types.filter((type) => type === H264_NAL.IDR_SLICE || type === H264_NAL.NON_IDR_SLICE);
        expect(slices).toHaveLength(4);
        if (!frame.keyframe) continue;
        expect(types.indexOf(H264_NAL.SPS)).toBeLessThan(types.indexOf(H264_NAL.IDR_SLICE));
        expect(types.indexOf(H264_NAL.PPS)).toBeLessThan(types.indexOf(H264_NAL.IDR_SLICE));
        const sps = splitAnnexBNalUnits(frame.data).find((nal) => h264NalType(nal) === H264_NAL.SPS)!;
        // profile_idc 66 (baseline), constraint_set1_flag (constrained baseline), level_idc 31
        expect(sps[1]).toBe(66);
        expect(sps[2]! & 0x40).toBe(0x40);
        expect(sps[3]).toBe(31);
      }
    },
  );

  it.each([
    ['h264_red_square.h264', '42c01f'],
    ['h264_grey.h264', '42c01f'],
    ['h264_main_red_square.h264', '4d401f'],
    ['h264_high_red_square.h264', '64001f'],
  ])('%s: the SDP profile-level-id of its SPS is %s', (name, profileLevelId) => {
    expect(readVideoFile(fixture(name)).h264ProfileLevelId).toBe(profileLevelId);
  });

  it('av1_red_square.ivf: temporal units of a temporal delimiter, then sized OBUs; keyframes with a sequence header', () => {
    const { frames } = readVideoFile(fixture('av1_red_square.ivf'));
    for (const frame of frames) {
      const obus = splitObus(frame.data);
      expect(obus[0]!.type).toBe(OBU_TYPE.TEMPORAL_DELIMITER);
      expect(obus.every((obu) => (obu.header[0]! & 0x02) !== 0)).toBe(true);
      expect(obus.some((obu) => obu.type === OBU_TYPE.SEQUENCE_HEADER)).toBe(frame.keyframe);
    }
    expect(readVideoFile(fixture('av1_red_square.ivf')).h264ProfileLevelId).toBeUndefined();
  });

  it('access units carry every NAL unit behind a 4-byte start code', () => {
    const frames = readVideoFile(fixture('h264_red_square.h264')).frames;
    for (const frame of frames) {
      expect([...frame.data.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    }
    // x264 writes its SEI once, in the first access unit
    expect(splitAnnexBNalUnits(frames[0]!.data).map(h264NalType)).toEqual([7, 8, 6, 5, 5, 5, 5]);
    expect(splitAnnexBNalUnits(frames[1]!.data).map(h264NalType)).toEqual([1, 1, 1, 1]);
  });

  it('the access units put back together are the file, start codes aside', () => {
    const contents = readFileSync(fixture('h264_grey.h264'));
    const fromFile = Buffer.concat(splitAnnexBNalUnits(contents));
    const fromFrames = Buffer.concat(parseAnnexB(contents).flatMap((frame) => splitAnnexBNalUnits(frame.data)));
    expect(fromFrames.equals(fromFile)).toBe(true);
  });
});

describe('codec by file extension', () => {
  it.each([
    ['clip.ivf', 'VP8'],
    ['CLIP.IVF', 'VP8'],
    ['a/b/clip.h264', 'H264'],
    ['clip.264', 'H264'],
  ])('%s is %s', (path, codec) => {
    expect(videoFileCodec(path)).toBe(codec);
  });

  it.each(['clip.mp4', 'clip.webm', 'clip'])('%s is refused, naming the supported types', (path) => {
    expect(() => videoFileCodec(path)).toThrow(/unknown video file type; use \.ivf \(VP8, VP9, AV1\) or \.h264\/\.264/);
  });
});

describe('bad files', () => {
  const vp8 = readFileSync(fixture('vp8_red_square.ivf'));
  const h264 = readFileSync(fixture('h264_red_square.h264'));

  it('a missing file', () => {
    expect(() => readVideoFile(join(scratch, 'missing.ivf'))).toThrow(/Cannot read the video file .*missing\.ivf: ENOENT/);
  });

  it('an IVF file cut in the middle of a frame', () => {
    const path = scratchFile('cut.ivf', vp8.subarray(0, vp8.length - 100));
    expect(() => readVideoFile(path)).toThrow(/cut\.ivf: truncated: frame 59 is \d+ bytes, the file holds \d+ more/);
  });

  it('an IVF file cut in a frame header', () => {
    expect(() => parseIvf(vp8.subarray(0, 32 + 5))).toThrow('truncated: frame 0 has only 5 of its 12 header bytes');
  });

  it('an IVF file with nothing after its header', () => {
    expect(() => parseIvf(vp8.subarray(0, 32))).toThrow('the file holds no frames');
  });

  it('garbage named .ivf', () => {
    const path = scratchFile('garbage.ivf', Buffer.from('this is not a video file, just some text'));
    expect(() => readVideoFile(path)).toThrow(/garbage\.ivf: not an IVF file \(no DKIF header\)/);
  });

  it('an IVF file of another codec', () => {
    const hevc = Buffer.from(vp8);
    hevc.write('H265', 8, 'latin1');
    expect(() => parseIvf(hevc)).toThrow('the IVF file holds "H265", not VP8 (VP80), VP9 (VP90) or AV1 (AV01)');
  });

  it('an IVF file that says AV1 but holds VP8 frames', () => {
    const relabelled = Buffer.from(vp8);
    relabelled.write('AV01', 8, 'latin1');
    expect(() => parseIvf(relabelled)).toThrow(/^frame 0: AV1: /);
  });

  it('an IVF file that says VP9 but holds VP8 frames', () => {
    const relabelled = Buffer.from(vp8);
    relabelled.write('VP90', 8, 'latin1');
    // A VP8 key frame's first byte reads as a VP9 marker with profile bits 11.
    expect(() => parseIvf(relabelled)).toThrow('frame 0 is VP9 profile 3, which is not supported');
  });

  it('a VP9 key frame without its sync code', () => {
    const vp9 = readFileSync(fixture('vp9_red_square.ivf'));
    const broken = Buffer.from(vp9);
    broken[32 + 12 + 1] = 0; // first frame: a key frame header, sync code overwritten
    expect(() => parseIvf(broken)).toThrow('frame 0 is marked as a VP9 key frame but has no sync code');
  });

  it('an IVF file whose frames are not VP8', () => {
    const broken = Buffer.from(vp8);
    broken.fill(0, 32 + 12, 32 + 12 + 16); // first frame: P bit 0 (keyframe) without the start code
    expect(() => parseIvf(broken)).toThrow('frame 0 is marked as a VP8 keyframe but has no keyframe start code');
  });

  it('an IVF file that starts on an inter frame', () => {
    const firstFrameBytes = 12 + vp8.readUInt32LE(32);
    const withoutKeyframe = Buffer.concat([vp8.subarray(0, 32), vp8.subarray(32 + firstFrameBytes)]);
    expect(() => parseIvf(withoutKeyframe)).toThrow('the first frame is not a keyframe');
  });

  it('garbage named .h264', () => {
    const path = scratchFile('garbage.h264', Buffer.from([0x12, 0x34, 0x56, 0x78, 0, 0, 1, 0x65, 0x88]));
    expect(() => readVideoFile(path)).toThrow(/garbage\.h264: not an H264 Annex-B stream \(it does not begin with a 00 00 01 start code\)/);
  });

  it('an empty .h264 file', () => {
    const path = scratchFile('empty.264', Buffer.alloc(0));
    expect(() => readVideoFile(path)).toThrow(/empty\.264: not an H264 Annex-B stream/);
  });

  it('an H264 file cut before its first picture', () => {
    const headersOnly = h264.subarray(0, h264.indexOf(Buffer.from([0, 0, 1, 0x65])));
    expect(() => parseAnnexB(headersOnly)).toThrow('the H264 stream holds no coded picture');
  });

  it('an H264 file that starts on a P picture', () => {
    const frames = parseAnnexB(h264);
    expect(() => parseAnnexB(Buffer.concat(frames.slice(1).map((f) => f.data)))).toThrow('the first frame is not a keyframe');
  });

  it('an H264 IDR without parameter sets before it', () => {
    const units = splitAnnexBNalUnits(h264).filter((nal) => h264NalType(nal) === H264_NAL.IDR_SLICE).slice(0, 4);
    const idrOnly = Buffer.concat(units.flatMap((nal) => [Buffer.from([0, 0, 1]), nal]));
    expect(() => parseAnnexB(idrOnly)).toThrow('access unit 0 has an IDR slice but no SPS and PPS precede it');
  });

  it('a NAL unit with the forbidden bit set', () => {
    expect(() => parseAnnexB(Buffer.from([0, 0, 0, 1, 0xe7, 0x42]))).toThrow('NAL unit 0 has its forbidden_zero_bit set: not H264');
  });
});

describe('H264 access units', () => {
  it('an IDR access unit without SPS and PPS gets the latest ones in front', () => {
    const units = splitAnnexBNalUnits(readFileSync(fixture('h264_grey.h264')));
    // Keep the first SPS and PPS only: the second IDR then has no parameter sets of its own.
    const seen = new Set<number>();
    const stripped = units.filter((nal) => {
      const type = h264NalType(nal);
      if (type !== H264_NAL.SPS && type !== H264_NAL.PPS) return true;
      if (seen.has(type)) return false;
      seen.add(type);
      return true;
    });
    const frames = parseAnnexB(Buffer.concat(stripped.flatMap((nal) => [Buffer.from([0, 0, 0, 1]), nal])));
    expect(keyframeIndexes(frames)).toEqual([0, 30]);
    expect(splitAnnexBNalUnits(frames[30]!.data).map(h264NalType)).toEqual([7, 8, 5, 5, 5, 5]);
  });

  it('3- and 4-byte start codes and the zero bytes before them', () => {
    const stream = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 0, 1, 0x65, 0x88, 0x80]);
    expect(splitAnnexBNalUnits(stream).map((nal) => [...nal])).toEqual([[0x67, 0x42], [0x68, 0xce], [0x65, 0x88, 0x80]]);
  });
});

describe('the --video-file flag', () => {
  it('is passed through, and the frame rate is then the file\'s unless --fps is given', () => {
    expect(parseCliOptions(['--video-file', 'clip.h264'], {})).toMatchObject({ videoFile: 'clip.h264', fps: undefined });
    expect(parseCliOptions(['--video-file', 'clip.ivf', '--fps', '15'], {})).toMatchObject({ videoFile: 'clip.ivf', fps: 15 });
    expect(parseCliOptions([], {})).toMatchObject({ videoFile: DEFAULT_VIDEO_FILE, video: true });
    expect(parseCliOptions(['--synthetic-video'], {})).toMatchObject({ videoFile: undefined, video: true });
    expect(() => parseCliOptions(['--synthetic-video', '--video-file', 'a.ivf'], {})).toThrow(/exclude each other/);
  });

  it('defaults to the red-square clip of test/fixtures/video/, found from where the client lives', () => {
    expect(DEFAULT_VIDEO_FILE).toBe(join(__dirname, '..', 'fixtures', 'video', 'vp8_red_square.ivf'));
    expect(readVideoFile(DEFAULT_VIDEO_FILE).codec).toBe('VP8');
  });

  it('cannot go with --no-video', () => {
    expect(() => parseCliOptions(['--video-file', 'clip.ivf', '--no-video'], {})).toThrow('--video-file and --no-video exclude each other');
  });
});
