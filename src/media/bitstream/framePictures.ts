import { OBU_TYPE, splitObus } from '../av1Obus';
import { NAL_TYPE, nalType, splitAnnexB } from '../decode/annexB';
import { readSps } from '../decode/h264Sps';
import type { VideoCodecName } from '../decode/videoDecoder';
import { av1SequenceHeaderSize } from './av1SequenceHeader';
import { readingBits, unreadable, type PictureSize, type PictureSizes } from './pictureSizes';
import { vp8PictureSizes } from './vp8Header';
import { vp9PictureSizes } from './vp9Header';

/** A subset SPS (SVC, MVC) starts with the same fields as an SPS. */
const SUBSET_SPS = 15;

/**
 * The picture sizes a whole encoded frame declares, as the decoder will read them: VP8 and VP9
 * frame headers, every (subset) sequence parameter set of an H264 access unit in Annex-B form,
 * every sequence header of an AV1 temporal unit. Never throws.
 */
export function framePictureSizes(codec: VideoCodecName, data: Uint8Array): PictureSizes {
  switch (codec) {
    case 'VP8':
      return vp8PictureSizes(data);
    case 'VP9':
      return vp9PictureSizes(data);
    case 'H264':
      return h264PictureSizes(data);
    case 'AV1':
      return av1PictureSizes(data);
  }
}

function h264PictureSizes(accessUnit: Uint8Array): PictureSizes {
  const sizes: PictureSize[] = [];
  for (const unit of splitAnnexB(accessUnit)) {
    const type = nalType(unit);
    if (type !== NAL_TYPE.SPS && type !== SUBSET_SPS) continue;
    const read = readingBits(() => ({ sizes: [readSps(unit).coded] }));
    if ('unreadable' in read) return unreadable(`an H264 sequence parameter set: ${read.unreadable}`);
    sizes.push(...read.sizes);
  }
  return { sizes };
}

function av1PictureSizes(temporalUnit: Uint8Array): PictureSizes {
  let obus;
  try {
    obus = splitObus(Buffer.from(temporalUnit.buffer, temporalUnit.byteOffset, temporalUnit.byteLength));
  } catch (error) {
    return unreadable((error as Error).message);
  }
  const sizes: PictureSize[] = [];
  for (const obu of obus) {
    if (obu.type !== OBU_TYPE.SEQUENCE_HEADER) continue;
    const read = av1SequenceHeaderSize(obu.payload);
    if ('unreadable' in read) return unreadable(`an AV1 sequence header: ${read.unreadable}`);
    sizes.push(...read.sizes);
  }
  return { sizes };
}

/** Whether a frame may go to a decoder limited to `maxPixels` a picture. */
export type PictureCheck =
  | { ok: true }
  | { ok: false; tooLarge: PictureSize }
  | { ok: false; unreadable: string };

/** Checks every picture size a frame declares against `maxPixels`, before any decoder sees it. */
export function checkPictureSizes(codec: VideoCodecName, data: Uint8Array, maxPixels: number): PictureCheck {
  const read = framePictureSizes(codec, data);
  if ('unreadable' in read) return { ok: false, unreadable: read.unreadable };
  const tooLarge = read.sizes.find((size) => size.width * size.height > maxPixels);
  return tooLarge ? { ok: false, tooLarge } : { ok: true };
}
