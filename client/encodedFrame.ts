/** One encoded frame of a video file, as the client sends it. */
export interface EncodedVideoFrame {
  /** VP8, VP9: one compressed frame. H264: one access unit, every NAL unit behind a 4-byte start code. AV1: one temporal unit. */
  data: Buffer;
  /** VP8, VP9: an intra frame. H264: the access unit contains an IDR slice. AV1: a sequence header and a key frame. */
  keyframe: boolean;
}

/** Frame rate of raw H264 files, and of IVF files whose header gives no usable rate. */
export const DEFAULT_VIDEO_FILE_FPS = 30;

/** A file must start at a keyframe: no receiver could decode it otherwise. */
export function requireKeyframeFirst(frames: readonly EncodedVideoFrame[]): void {
  if (frames.length === 0) throw new Error('the file holds no frames');
  if (!frames[0]!.keyframe) throw new Error('the first frame is not a keyframe, so no receiver could decode the stream');
}
