import { BitReader } from '../bitstream/bitReader';
import type { PictureSize } from '../bitstream/pictureSizes';
import { BitstreamEnded } from '../../errors';

/** Luma pixels to remove from each side of the decoded picture (SPS frame cropping). */
export interface FrameCrop {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const NO_CROP: FrameCrop = { left: 0, right: 0, top: 0, bottom: 0 };

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (H.264 7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** The NAL payload with emulation prevention bytes (00 00 03) removed. */
function rbspOf(unit: Uint8Array): Uint8Array {
  const rbsp = new Uint8Array(unit.length);
  let length = 0;
  let zeros = 0;
  for (let i = 1; i < unit.length; i++) {
    const byte = unit[i]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    rbsp[length++] = byte;
  }
  return rbsp.subarray(0, length);
}

function skipScalingList(reader: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + reader.signedExpGolomb() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** What the sequence parameter set says of its pictures (H.264 7.3.2.1.1). */
export interface SpsPictures {
  /** The coded picture size, in whole macroblocks (crop not applied): what a decoder allocates. */
  coded: PictureSize;
  crop: FrameCrop;
}

/**
 * Reads a sequence parameter set NAL unit (header byte included; a subset SPS, NAL type 15,
 * begins the same way) up to its frame cropping. Throws BitstreamEnded on one cut short.
 */
export function readSps(unit: Uint8Array): SpsPictures {
  const reader = new BitReader(rbspOf(unit));
  const profile = reader.bits(8);
  reader.bits(16); // constraint flags, level
  reader.unsignedExpGolomb(); // seq_parameter_set_id
  let chromaFormat = 1;
  let separateColourPlanes = false;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = reader.unsignedExpGolomb();
    if (chromaFormat === 3) separateColourPlanes = reader.bits(1) === 1;
    reader.unsignedExpGolomb(); // bit_depth_luma_minus8
    reader.unsignedExpGolomb(); // bit_depth_chroma_minus8
    reader.bits(1);
    if (reader.bits(1)) {
      for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
        if (reader.bits(1)) skipScalingList(reader, i < 6 ? 16 : 64);
      }
    }
  }
  reader.unsignedExpGolomb(); // log2_max_frame_num_minus4
  const pictureOrderCountType = reader.unsignedExpGolomb();
  if (pictureOrderCountType === 0) {
    reader.unsignedExpGolomb();
  } else if (pictureOrderCountType === 1) {
    reader.bits(1);
    reader.signedExpGolomb();
    reader.signedExpGolomb();
    const cycle = reader.unsignedExpGolomb();
    if (cycle > 255) throw new BitstreamEnded('an SPS has a picture order count cycle over 255 frames');
    for (let i = 0; i < cycle; i++) reader.signedExpGolomb();
  }
  reader.unsignedExpGolomb(); // max_num_ref_frames
  reader.bits(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = reader.unsignedExpGolomb() + 1;
  const heightInMapUnits = reader.unsignedExpGolomb() + 1;
  const frameMbsOnly = reader.bits(1);
  // A picture of two fields counts its map units twice (H.264 7-18).
  const coded = { width: widthInMbs * 16, height: (2 - frameMbsOnly) * heightInMapUnits * 16 };
  if (!frameMbsOnly) reader.bits(1);
  reader.bits(1); // direct_8x8_inference_flag
  if (!reader.bits(1)) return { coded, crop: NO_CROP };
  // Crop units (H.264 7-19, 7-20): whole luma pixels unless chroma is subsampled that way.
  const chromaArrayType = separateColourPlanes ? 0 : chromaFormat;
  const unitX = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const unitY = (chromaArrayType === 1 ? 2 : 1) * (2 - frameMbsOnly);
  const left = reader.unsignedExpGolomb() * unitX;
  const right = reader.unsignedExpGolomb() * unitX;
  const top = reader.unsignedExpGolomb() * unitY;
  const bottom = reader.unsignedExpGolomb() * unitY;
  return { coded, crop: { left, right, top, bottom } };
}

/**
 * The display crop of a sequence parameter set NAL unit (header byte included). Decoders that
 * ignore it return macroblock-aligned pictures, e.g. 640x368 for a 640x360 stream.
 */
export function spsCrop(unit: Uint8Array): FrameCrop {
  return readSps(unit).crop;
}
