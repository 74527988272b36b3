import { H264Decoder } from './h264Decoder';
import { LibvpxDecoder } from './libvpxDecoder';
import type { VideoCodecName, VideoDecoder } from './videoDecoder';

/**
 * The video codecs the decoders below decode, in the order the server prefers them: what it
 * offers to receive. VP8 and VP9 by libvpx in WebAssembly; H264 by h264decoder (constrained
 * baseline, which is the profile werift negotiates).
 */
export const DECODED_VIDEO_CODECS: readonly VideoCodecName[] = ['VP8', 'VP9', 'H264'];

/** A new decoder for one stream of `codec`. */
export function createVideoDecoder(codec: VideoCodecName): Promise<VideoDecoder> {
  return codec === 'H264' ? Promise.resolve(new H264Decoder()) : LibvpxDecoder.create(codec);
}
