import { nalType, splitAnnexB } from '../src/media/decode/annexB';
import { requireKeyframeFirst, type EncodedVideoFrame } from './encodedFrame';

/** NAL unit types (H.264 table 7-1) the client looks at. */
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

/**
 * The SDP profile-level-id (RFC 6184 8.1) of the stream whose access unit this is: profile_idc,
 * the constraint flags byte and level_idc, the SPS's first three bytes after its header, in hex.
 */
export function h264ProfileLevelId(accessUnit: Buffer): string {
  const sps = splitAnnexBNalUnits(accessUnit).find((unit) => h264NalType(unit) === H264_NAL.SPS);
  if (!sps || sps.length < 4) throw new Error('the access unit has no sequence parameter set');
  return sps.subarray(1, 4).toString('hex');
}
