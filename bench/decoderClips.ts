/**
 * The clips the decoder backend comparison decodes (test/fixtures/video/README.md): the same
 * 640x480 picture (a red square on noisy grey), 60 frames, keyframes at 0 and 30, in every
 * codec and H264 profile a browser may send. VP8 and H264 files go through the client's own
 * readers; VP9 and AV1 IVF files through the small reader here (the client streams VP8 only).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnnexB, parseIvf, type EncodedVideoFrame } from '../client/videoFile';
import type { I420Frame } from '../src/media/i420Frame';

export type ClipCodec = 'VP8' | 'VP9' | 'H264' | 'AV1';

export interface Clip {
  /** VP8, VP9, H264-CB (constrained baseline), H264-MAIN, H264-HIGH, AV1. */
  name: string;
  codec: ClipCodec;
  /** For H264: the SDP profile-level-id of the stream, which WebCodecs needs as avc1.<id>. */
  profileLevelId?: string;
  file: string;
  frames: EncodedVideoFrame[];
}

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'video');

const CLIPS: readonly Omit<Clip, 'frames'>[] = [
  { name: 'VP8', codec: 'VP8', file: 'vp8_red_square.ivf' },
  { name: 'VP9', codec: 'VP9', file: 'vp9_red_square.ivf' },
  { name: 'H264-CB', codec: 'H264', profileLevelId: '42e01f', file: 'h264_red_square.h264' },
  { name: 'H264-MAIN', codec: 'H264', profileLevelId: '4d401f', file: 'h264_main_red_square.h264' },
  { name: 'H264-HIGH', codec: 'H264', profileLevelId: '64001f', file: 'h264_high_red_square.h264' },
  { name: 'AV1', codec: 'AV1', file: 'av1_red_square.ivf' },
];

export const CLIP_NAMES = CLIPS.map((clip) => clip.name);

export function readClip(name: string): Clip {
  const clip = CLIPS.find((candidate) => candidate.name === name);
  if (!clip) throw new Error(`no clip ${name}; there are ${CLIP_NAMES.join(', ')}`);
  const contents = readFileSync(join(FIXTURES, clip.file));
  const frames = clip.codec === 'VP8' ? parseIvf(contents).frames : clip.codec === 'H264' ? parseAnnexB(contents) : ivfFrames(contents, clip.codec);
  return { ...clip, frames };
}

/** Frames of an IVF file of any fourcc, keyframes found by the codec's own header bits. */
function ivfFrames(file: Buffer, codec: 'VP9' | 'AV1'): EncodedVideoFrame[] {
  const frames: EncodedVideoFrame[] = [];
  for (let offset = file.readUInt16LE(6); offset + 12 <= file.length; ) {
    const size = file.readUInt32LE(offset);
    const data = file.subarray(offset + 12, offset + 12 + size);
    frames.push({ data, keyframe: codec === 'VP9' ? isVp9Keyframe(data) : isAv1Keyframe(data) });
    offset += 12 + size;
  }
  return frames;
}

/** VP9 uncompressed header, profile 0/1/2: frame_marker 2, profile 2 bits, show_existing_frame, frame_type (0 = key). */
const isVp9Keyframe = (frame: Buffer): boolean => ((frame[0] ?? 0) & 0xcc) === 0x80;

/** An AV1 temporal unit that carries a sequence header OBU (type 1) right after its temporal delimiter starts a key picture. */
const isAv1Keyframe = (unit: Buffer): boolean => unit[0] === 0x12 && unit[1] === 0x00 && (((unit[2] ?? 0) >> 3) & 0x0f) === 1;

/** The square's place in every clip, and what its luma and the background's decode to. */
const SQUARE = { x: 384, y: 96, size: 160 } as const;
const SQUARE_LUMA = 81;
const BACKGROUND_LUMA = 126;
const LUMA_TOLERANCE = 6;

/** Whether a decoded picture is the clip's picture: 640x480, the red square's luma inside it, grey's outside. */
export function showsTheSquare(picture: I420Frame): boolean {
  if (picture.width !== 640 || picture.height !== 480) return false;
  let inside = 0;
  let outside = 0;
  let count = 0;
  for (let y = SQUARE.y + 8; y < SQUARE.y + SQUARE.size - 8; y += 8) {
    for (let x = SQUARE.x + 8; x < SQUARE.x + SQUARE.size - 8; x += 8) {
      inside += picture.y[y * picture.width + x]!;
      outside += picture.y[(y + 200) * picture.width + (x - 300)]!;
      count++;
    }
  }
  return Math.abs(inside / count - SQUARE_LUMA) <= LUMA_TOLERANCE && Math.abs(outside / count - BACKGROUND_LUMA) <= LUMA_TOLERANCE;
}
