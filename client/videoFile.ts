import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DEFAULT_VIDEO_FILE_FPS, type EncodedVideoFrame } from './encodedFrame';
import { h264ProfileLevelId, parseAnnexB } from './h264File';
import { parseIvf } from './ivfFile';

export { DEFAULT_VIDEO_FILE_FPS, type EncodedVideoFrame } from './encodedFrame';
export { H264_NAL, h264NalType, h264ProfileLevelId, joinAnnexB, parseAnnexB, splitAnnexBNalUnits } from './h264File';
export { isVp9Keyframe, parseIvf } from './ivfFile';

/** Codecs the client can stream from a file, named as in werift's mimeType (`video/VP8`, `video/AV1`, ...). */
export type VideoFileCodec = 'VP8' | 'VP9' | 'H264' | 'AV1';

export interface VideoFile {
  path: string;
  codec: VideoFileCodec;
  /** H264: the stream's SDP profile-level-id, from its first SPS (`64001f`: high, level 3.1). */
  h264ProfileLevelId?: string;
  /** From the IVF header and timestamps; Annex-B carries no rate, so H264 files count as 30 fps. */
  fps: number;
  /** In file order; the first is always a keyframe. */
  frames: EncodedVideoFrame[];
}

const CODEC_BY_EXTENSION: Record<string, VideoFileCodec> = { '.ivf': 'VP8', '.h264': 'H264', '.264': 'H264' };

/**
 * The file's codec, from its extension: `.h264` and `.264` are H264 (Annex-B); `.ivf` is VP8
 * unless its header's fourcc says VP9 (`VP90`) or AV1 (`AV01`), which `readVideoFile` reads.
 */
export function videoFileCodec(path: string): VideoFileCodec {
  const codec = CODEC_BY_EXTENSION[extname(path).toLowerCase()];
  if (!codec) {
    throw new Error(`${path}: unknown video file type; use .ivf (VP8, VP9, AV1) or .h264/.264 (H264 Annex-B)`);
  }
  return codec;
}

/** Reads a whole VP8, VP9 or AV1 IVF, or H264 Annex-B, file into frames; throws naming the file and the fault. */
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
    const frames = parseAnnexB(contents);
    return { path, codec, h264ProfileLevelId: h264ProfileLevelId(frames[0]!.data), fps: DEFAULT_VIDEO_FILE_FPS, frames };
  } catch (error) {
    throw new Error(`${path}: ${messageOf(error)}`);
  }
}

/** Node's own errors may come from another realm (jest), so no `instanceof Error`. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
