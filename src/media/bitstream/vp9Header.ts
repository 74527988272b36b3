import { BitReader } from './bitReader';
import { readingBits, unreadable, type PictureSize, type PictureSizes } from './pictureSizes';

const FRAME_MARKER = 2;
const SYNC_CODE = 0x498342;
const CS_RGB = 7;

/** Frames a superframe index can list (3 bits). */
export const MAX_SUPERFRAME_FRAMES = 8;

/**
 * The frames of a VP9 chunk, as libvpx splits it (vp9_dx_iface.c): a superframe index at its
 * end (marker byte 110mmfff, sizes, the marker again) gives each frame's bytes; without one the
 * chunk is one frame. Beware: without an index libvpx goes on decoding whatever follows the
 * end of the first frame as more frames, and where a frame ends is only known by decoding it.
 * So the server never hands libvpx a chunk without an index (see `withSuperframeIndex`).
 */
export function vp9Frames(chunk: Uint8Array): Uint8Array[] | string {
  const marker = chunk[chunk.length - 1] ?? 0;
  if ((marker & 0xe0) !== 0xc0) return [chunk];
  const frames = (marker & 0x7) + 1;
  const sizeBytes = ((marker >> 3) & 0x3) + 1;
  const indexBytes = 2 + sizeBytes * frames;
  if (chunk.length < indexBytes || chunk[chunk.length - indexBytes] !== marker) return 'a VP9 superframe index is cut short';
  const result: Uint8Array[] = [];
  let offset = 0;
  let at = chunk.length - indexBytes + 1;
  for (let i = 0; i < frames; i++) {
    let size = 0;
    for (let j = 0; j < sizeBytes; j++) size += chunk[at++]! * 2 ** (8 * j);
    if (size > chunk.length - offset) return 'a VP9 superframe index gives a frame past the chunk';
    result.push(chunk.subarray(offset, offset + size));
    offset += size;
  }
  return result;
}

/**
 * `frames` as one chunk with a superframe index (4-byte sizes): libvpx then decodes exactly
 * these frames, one per entry, and nothing that may hide after the end of one of them.
 */
export function withSuperframeIndex(frames: readonly Uint8Array[]): Buffer {
  if (frames.length === 0 || frames.length > MAX_SUPERFRAME_FRAMES) throw new Error(`a VP9 superframe holds 1 to 8 frames, not ${frames.length}`);
  const marker = 0xc0 | (3 << 3) | (frames.length - 1);
  const index = Buffer.alloc(2 + 4 * frames.length);
  index[0] = marker;
  frames.forEach((frame, i) => index.writeUInt32LE(frame.length, 1 + 4 * i));
  index[index.length - 1] = marker;
  return Buffer.concat([...frames, index]);
}

/**
 * The picture sizes a VP9 chunk declares (VP9 spec 6.2, uncompressed header, read as libvpx
 * reads it): those of its key frames and intra-only frames, and of inter frames that give a
 * size instead of taking a reference's (frame_size_with_refs with no found_ref). A frame that
 * shows an existing one, or takes a reference's size, declares none.
 */
export function vp9PictureSizes(chunk: Uint8Array): PictureSizes {
  const frames = vp9Frames(chunk);
  if (typeof frames === 'string') return unreadable(frames);
  const sizes: PictureSize[] = [];
  for (const frame of frames) {
    // An empty frame in a superframe tells libvpx of a missing frame; it declares nothing.
    if (frame.length === 0) continue;
    const read = readingBits(() => frameSize(frame));
    if ('unreadable' in read) return read;
    sizes.push(...read.sizes);
  }
  return { sizes };
}

function frameSize(frame: Uint8Array): PictureSizes {
  const reader = new BitReader(frame);
  if (reader.bits(2) !== FRAME_MARKER) return unreadable('a VP9 frame has no frame marker');
  let profile = reader.bits(1) | (reader.bits(1) << 1);
  if (profile === 3) profile += reader.bits(1);
  if (profile > 3) return unreadable('a VP9 frame has an unknown profile');
  if (reader.flag()) return { sizes: [] }; // show_existing_frame
  const keyFrame = reader.bits(1) === 0;
  const showFrame = reader.flag();
  const errorResilient = reader.flag();
  if (keyFrame) {
    if (reader.bits(24) !== SYNC_CODE) return unreadable('a VP9 key frame has no sync code');
    colourConfig(reader, profile);
    return { sizes: [explicitSize(reader)] };
  }
  const intraOnly = showFrame ? false : reader.flag();
  if (!errorResilient) reader.bits(2); // reset_frame_context
  if (intraOnly) {
    if (reader.bits(24) !== SYNC_CODE) return unreadable('a VP9 intra-only frame has no sync code');
    if (profile > 0) colourConfig(reader, profile);
    reader.bits(8); // refresh_frame_flags
    return { sizes: [explicitSize(reader)] };
  }
  reader.bits(8); // refresh_frame_flags
  for (let i = 0; i < 3; i++) reader.bits(4); // ref_frame_idx, ref_frame_sign_bias
  for (let i = 0; i < 3; i++) {
    if (reader.flag()) return { sizes: [] }; // found_ref: a reference's size, checked when it came
  }
  return { sizes: [explicitSize(reader)] };
}

/** color_config(): its length depends on the profile and colour space. */
function colourConfig(reader: BitReader, profile: number): void {
  if (profile >= 2) reader.bits(1); // ten_or_twelve_bit
  const colourSpace = reader.bits(3);
  if (colourSpace !== CS_RGB) {
    reader.bits(1); // color_range
    if (profile === 1 || profile === 3) reader.bits(3); // subsampling_x, subsampling_y, reserved_zero
  } else if (profile === 1 || profile === 3) {
    reader.bits(1); // reserved_zero
  }
}

function explicitSize(reader: BitReader): PictureSize {
  const width = reader.bits(16) + 1;
  const height = reader.bits(16) + 1;
  return { width, height };
}
