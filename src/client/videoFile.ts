import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { nalType, splitAnnexB } from '../media/decode/annexB';

/** Codecs the client can stream from a file, named as in werift's mimeType (`video/VP8`, `video/VP9`, `video/H264`). */
export type VideoFileCodec = 'VP8' | 'VP9' | 'H264';

export interface EncodedVideoFrame {
  /** VP8, VP9: one compressed frame. H264: one access unit, every NAL unit behind a 4-byte start code. */
  data: Buffer;
  /** VP8, VP9: an intra frame. H264: the access unit contains an IDR slice. */
  keyframe: boolean;
}

export interface VideoFile {
  path: string;
  codec: VideoFileCodec;
  /** From the IVF header and timestamps; Annex-B carries no rate, so H264 files count as 30 fps. */
  fps: number;
  /** In file order; the first is always a keyframe. */
  frames: EncodedVideoFrame[];
}

/** Frame rate of raw H264 files, and of IVF files whose header gives no usable rate. */
export const DEFAULT_VIDEO_FILE_FPS = 30;
const MAX_FPS = 240;

const CODEC_BY_EXTENSION: Record<string, VideoFileCodec> = { '.ivf': 'VP8', '.h264': 'H264', '.264': 'H264' };

/**
 * The file's codec, from its extension: `.h264` and `.264` are H264 (Annex-B); `.ivf` is VP8
 * unless its header's fourcc says VP9 (`VP90`), which `readVideoFile` reads.
 */
export function videoFileCodec(path: string): VideoFileCodec {
  const codec = CODEC_BY_EXTENSION[extname(path).toLowerCase()];
  if (!codec) {
    throw new Error(`${path}: unknown video file type; use .ivf (VP8) or .h264/.264 (H264 Annex-B)`);
  }
  return codec;
}

/** Reads a whole VP8 or VP9 IVF, or H264 Annex-B, file into frames; throws naming the file and the fault. */
export function readVideoFile(path: string): VideoFile {
  const codec = videoFileCodec(path);
  let contents: Buffer;
  try {
    contents = readFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read the video file ${path}: ${messageOf(error)}`);
  }
  try {
    if (codec !== 'H264') return { path, ...parseIvf(contents) };
    return { path, codec, fps: DEFAULT_VIDEO_FILE_FPS, frames: parseAnnexB(contents) };
  } catch (error) {
    throw new Error(`${path}: ${messageOf(error)}`);
  }
}

/** Node's own errors may come from another realm (jest), so no `instanceof Error`. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

// ---------------------------------------------------------------------------------------------
// IVF (VP8, VP9)
// ---------------------------------------------------------------------------------------------

const IVF_FILE_HEADER_BYTES = 32;
const IVF_FRAME_HEADER_BYTES = 12;
/** VP8 keyframe start code (RFC 6386 9.1), bytes 3..5 of a keyframe. */
const VP8_KEYFRAME_START_CODE = [0x9d, 0x01, 0x2a];
const IVF_FOURCC: Record<string, 'VP8' | 'VP9'> = { VP80: 'VP8', VP90: 'VP9' };

/**
 * IVF: a 32-byte header ("DKIF", version, header size, fourcc, width, height, time base rate
 * and scale, frame count) then frames, each a 12-byte header (size, 64-bit timestamp) and data.
 */
export function parseIvf(file: Buffer): { codec: 'VP8' | 'VP9'; fps: number; frames: EncodedVideoFrame[] } {
  if (file.length < IVF_FILE_HEADER_BYTES || file.toString('latin1', 0, 4) !== 'DKIF') {
    throw new Error('not an IVF file (no DKIF header)');
  }
  const headerBytes = file.readUInt16LE(6);
  const fourcc = file.toString('latin1', 8, 12);
  const codec = IVF_FOURCC[fourcc];
  if (!codec) throw new Error(`the IVF file holds ${JSON.stringify(fourcc)}, not VP8 (VP80) or VP9 (VP90)`);
  const isKeyframe = codec === 'VP8' ? isVp8Keyframe : isVp9Keyframe;
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

// ---------------------------------------------------------------------------------------------
// H264 Annex-B
// ---------------------------------------------------------------------------------------------

export const H264_NAL = { NON_IDR_SLICE: 1, IDR_SLICE: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

const START_CODE = Buffer.from([0, 0, 1]);
const FOUR_BYTE_START_CODE = Buffer.from([0, 0, 0, 1]);

export const h264NalType = nalType;

/**
 * The NAL units of an Annex-B byte stream, without start codes (3- or 4-byte). The zero bytes
 * in front of a start code belong to no NAL unit. Throws unless the data begins with a start code.
 */
export function splitAnnexBNalUnits(stream: Buffer): Buffer[] {
  const codeAt = stream.indexOf(START_CODE);
  if (codeAt < 0 || stream.subarray(0, codeAt).some((byte) => byte !== 0)) {
    throw new Error('not an H264 Annex-B stream (it does not begin with a 00 00 01 start code)');
  }
  return splitAnnexB(stream).filter((unit) => unit.length > 0);
}

/** NAL units behind 4-byte start codes, the form werift's H264 depacketizer produces. */
export function joinAnnexB(units: readonly Buffer[]): Buffer {
  return Buffer.concat(units.flatMap((unit) => [FOUR_BYTE_START_CODE, unit]));
}

/**
 * Groups an Annex-B stream into access units (H.264 7.4.1.2.3): after a picture's slices, an
 * AUD, SEI, SPS or PPS, or a slice with first_mb_in_slice 0, begins the next one. An IDR access
 * unit without SPS and PPS gets the latest ones in front, so every keyframe can start a decoder.
 */
export function parseAnnexB(stream: Buffer): EncodedVideoFrame[] {
  const units = splitAnnexBNalUnits(stream);
  const accessUnits: Buffer[][] = [];
  let current: Buffer[] = [];
  let currentHasSlice = false;
  for (const [index, unit] of units.entries()) {
    if ((unit[0]! & 0x80) !== 0) throw new Error(`NAL unit ${index} has its forbidden_zero_bit set: not H264`);
    const type = h264NalType(unit);
    const slice = type === H264_NAL.NON_IDR_SLICE || type === H264_NAL.IDR_SLICE;
    if (currentHasSlice && (startsAccessUnit(type) || (slice && firstMbInSliceIsZero(unit)))) {
      accessUnits.push(current);
      current = [];
      currentHasSlice = false;
    }
    current.push(unit);
    currentHasSlice ||= slice;
  }
  if (currentHasSlice) accessUnits.push(current);
  if (accessUnits.length === 0) throw new Error('the H264 stream holds no coded picture');

  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  const frames = accessUnits.map((nals, index) => {
    sps = nals.find((nal) => h264NalType(nal) === H264_NAL.SPS) ?? sps;
    pps = nals.find((nal) => h264NalType(nal) === H264_NAL.PPS) ?? pps;
    const keyframe = nals.some((nal) => h264NalType(nal) === H264_NAL.IDR_SLICE);
    if (!keyframe) return { data: joinAnnexB(nals), keyframe };
    if (!sps || !pps) throw new Error(`access unit ${index} has an IDR slice but no SPS and PPS precede it`);
    const missing = [sps, pps].filter((set) => !nals.includes(set));
    const at = h264NalType(nals[0]!) === H264_NAL.AUD ? 1 : 0;
    return { data: joinAnnexB([...nals.slice(0, at), ...missing, ...nals.slice(at)]), keyframe };
  });
  requireKeyframeFirst(frames);
  return frames;
}

function startsAccessUnit(type: number): boolean {
  return type === H264_NAL.AUD || type === H264_NAL.SEI || type === H264_NAL.SPS || type === H264_NAL.PPS ||
    (type >= 14 && type <= 18);
}

/** first_mb_in_slice is the slice header's first ue(v) field; 0 is coded as the single bit 1. */
function firstMbInSliceIsZero(slice: Buffer): boolean {
  return ((slice[1] ?? 0) & 0x80) !== 0;
}

function requireKeyframeFirst(frames: EncodedVideoFrame[]): void {
  if (frames.length === 0) throw new Error('the file holds no frames');
  if (!frames[0]!.keyframe) throw new Error('the first frame is not a keyframe, so no receiver could decode the stream');
}
