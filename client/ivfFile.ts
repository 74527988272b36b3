import { isAv1Keyframe, splitObus } from '../src/media/av1Obus';
import { DEFAULT_VIDEO_FILE_FPS, requireKeyframeFirst, type EncodedVideoFrame } from './encodedFrame';

export type IvfCodec = 'VP8' | 'VP9' | 'AV1';

const IVF_FILE_HEADER_BYTES = 32;
const IVF_FRAME_HEADER_BYTES = 12;
const MAX_FPS = 240;
/** VP8 keyframe start code (RFC 6386 9.1), bytes 3..5 of a keyframe. */
const VP8_KEYFRAME_START_CODE = [0x9d, 0x01, 0x2a];
const IVF_FOURCC: Record<string, IvfCodec> = { VP80: 'VP8', VP90: 'VP9', AV01: 'AV1' };

/**
 * IVF: a 32-byte header ("DKIF", version, header size, fourcc, width, height, time base rate
 * and scale, frame count) then frames, each a 12-byte header (size, 64-bit timestamp) and data:
 * a VP8 or VP9 frame, or an AV1 temporal unit (low-overhead OBUs).
 */
export function parseIvf(file: Buffer): { codec: IvfCodec; fps: number; frames: EncodedVideoFrame[] } {
  if (file.length < IVF_FILE_HEADER_BYTES || file.toString('latin1', 0, 4) !== 'DKIF') {
    throw new Error('not an IVF file (no DKIF header)');
  }
  const headerBytes = file.readUInt16LE(6);
  const fourcc = file.toString('latin1', 8, 12);
  const codec = IVF_FOURCC[fourcc];
  if (!codec) throw new Error(`the IVF file holds ${JSON.stringify(fourcc)}, not VP8 (VP80), VP9 (VP90) or AV1 (AV01)`);
  const isKeyframe = { VP8: isVp8Keyframe, VP9: isVp9Keyframe, AV1: isAv1TemporalUnitKeyframe }[codec];
  if (headerBytes < IVF_FILE_HEADER_BYTES || headerBytes > file.length) {
    throw new Error(`bad IVF header size ${headerBytes}`);
  }
  const frames: EncodedVideoFrame[] = [];
  const timestamps: number[] = [];
  let offset = headerBytes;
  while (offset < file.length) {
    const index = frames.length;
    if (offset + IVF_FRAME_HEADER_BYTES > file.length) {
      throw new Error(`truncated: frame ${index} has only ${file.length - offset} of its 12 header bytes`);
    }
    const size = file.readUInt32LE(offset);
    const start = offset + IVF_FRAME_HEADER_BYTES;
    if (size === 0) throw new Error(`frame ${index} is empty`);
    if (start + size > file.length) {
      throw new Error(`truncated: frame ${index} is ${size} bytes, the file holds ${file.length - start} more`);
    }
    const data = file.subarray(start, start + size);
    frames.push({ data, keyframe: isKeyframe(data, index) });
    timestamps.push(Number(file.readBigUInt64LE(offset + 4)));
    offset = start + size;
  }
  requireKeyframeFirst(frames);
  return { codec, fps: ivfFrameRate(file, timestamps), frames };
}

/** The frame tag's P bit (RFC 6386 9.1) is 0 on keyframes, which also carry a start code. */
function isVp8Keyframe(frame: Buffer, index: number): boolean {
  if (((frame[0] ?? 0) & 0x01) !== 0) return false;
  if (frame.length < 10 || VP8_KEYFRAME_START_CODE.some((byte, i) => frame[3 + i] !== byte)) {
    throw new Error(`frame ${index} is marked as a VP8 keyframe but has no keyframe start code`);
  }
  return true;
}

/**
 * A VP9 frame's uncompressed header (VP9 bitstream spec 6.2): frame marker 0b10, profile,
 * show_existing_frame, frame_type (0: key frame), and on key frames the sync code 49 83 42.
 * Profiles 0-2 only (profile 3 has a reserved bit more).
 */
export function isVp9Keyframe(frame: Buffer, index = 0): boolean {
  const first = frame[0] ?? 0;
  if (first >> 6 !== 0b10) throw new Error(`frame ${index} has no VP9 frame marker`);
  if ((first & 0x30) === 0x30) throw new Error(`frame ${index} is VP9 profile 3, which is not supported`);
  const showExisting = (first >> 3) & 1;
  const frameType = (first >> 2) & 1;
  if (showExisting || frameType !== 0) return false;
  if (frame.length < 4 || frame[1] !== 0x49 || frame[2] !== 0x83 || frame[3] !== 0x42) {
    throw new Error(`frame ${index} is marked as a VP9 key frame but has no sync code`);
  }
  return true;
}

/** An AV1 temporal unit a decoder can start at; throws naming the frame when its OBUs do not parse. */
function isAv1TemporalUnitKeyframe(temporalUnit: Buffer, index: number): boolean {
  try {
    return isAv1Keyframe(splitObus(temporalUnit));
  } catch (error) {
    throw new Error(`frame ${index}: ${(error as Error).message}`);
  }
}

/** Frames per second: time base ticks per second over the mean timestamp step. */
function ivfFrameRate(file: Buffer, timestamps: number[]): number {
  const rate = file.readUInt32LE(16);
  const scale = file.readUInt32LE(20);
  const first = timestamps[0] ?? 0;
  const last = timestamps.at(-1) ?? 0;
  if (rate === 0 || scale === 0 || timestamps.length < 2 || last <= first) return DEFAULT_VIDEO_FILE_FPS;
  const fps = ((rate / scale) * (timestamps.length - 1)) / (last - first);
  return fps > 0 && fps <= MAX_FPS ? fps : DEFAULT_VIDEO_FILE_FPS;
}
