import { NO_SIZE, unreadable, type PictureSizes } from './pictureSizes';

const START_CODE = [0x9d, 0x01, 0x2a];

/**
 * The picture size of a VP8 frame (RFC 6386 9.1), read as libvpx reads it: a 3-byte frame tag
 * whose lowest bit is 0 on a keyframe, then on a keyframe the start code 9d 01 2a and 14-bit
 * width and height (2 scaling bits above each). Interframes keep the keyframe's size.
 */
export function vp8PictureSizes(frame: Uint8Array): PictureSizes {
  if (frame.length < 3) return unreadable('a VP8 frame is shorter than its 3-byte frame tag');
  if (frame[0]! & 1) return NO_SIZE;
  if (frame.length < 10) return unreadable('a VP8 keyframe is shorter than its 10-byte header');
  if (START_CODE.some((byte, i) => frame[3 + i] !== byte)) return unreadable('a VP8 keyframe has no start code');
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return { sizes: [{ width, height }] };
}
