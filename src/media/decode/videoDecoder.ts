import type { VideoCodecName } from '../../webrtc/negotiatedCodecs';
import { chromaSize, type I420Frame } from '../i420Frame';

/** The codecs decoded here are the ones negotiated (src/webrtc/negotiatedCodecs.ts). */
export type { VideoCodecName };

/** One stream's decoder: feed its frames in order, get a picture back (or none yet). */
export interface VideoDecoder {
  /**
   * Decodes one whole frame (VP8) or access unit (H264 Annex-B); null when no picture came out.
   * The picture is the caller's: the next decode must not overwrite it (an asynchronous detector
   * may still be reading it).
   */
  decode(data: Uint8Array, keyframe: boolean): I420Frame | null;
  /**
   * The caller is done with a picture this decoder gave (nothing reads it any more): the decoder
   * may write a later picture into its memory. Optional on both sides: a picture never given
   * back is simply collected.
   */
  recycle?(picture: I420Frame): void;
  close(): void;
}

/** Planes of a tightly packed I420 buffer (Y, then U, then V). */
export function i420FromPacked(width: number, height: number, data: Uint8Array): I420Frame {
  const lumaBytes = width * height;
  const chromaBytes = chromaSize(width) * chromaSize(height);
  if (data.length < lumaBytes + 2 * chromaBytes) throw new Error(`an I420 ${width}x${height} picture needs ${lumaBytes + 2 * chromaBytes} bytes, got ${data.length}`);
  return {
    width,
    height,
    y: data.subarray(0, lumaBytes),
    u: data.subarray(lumaBytes, lumaBytes + chromaBytes),
    v: data.subarray(lumaBytes + chromaBytes, lumaBytes + 2 * chromaBytes),
  };
}
