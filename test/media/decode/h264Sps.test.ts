import { NAL_TYPE, nalType, splitAnnexB } from '../../../src/media/decode/annexB';
import { NO_CROP, spsCrop } from '../../../src/media/decode/h264Sps';
import { h264AccessUnits, readAnnexB } from '../../fixtures/decode/encodedFixtures';
import { escapeRbsp } from '../../fixtures/video/hostileFrames';

/** Writes bits and Exp-Golomb codes, as an SPS is coded (H.264 7.3.2.1.1). */
class BitWriter {
  private readonly bitsWritten: number[] = [];

  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.bitsWritten.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code)) + 1;
    return this.u(length - 1, 0).u(length, code);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** The RBSP with its stop bit, padded to whole bytes. */
  rbsp(): Uint8Array {
    const bits = [...this.bitsWritten, 1];
    while (bits.length % 8) bits.push(0);
    const out = new Uint8Array(bits.length / 8);
    bits.forEach((bit, i) => (out[i >> 3]! |= bit << (7 - (i & 7))));
    return out;
  }
}

/** A NAL unit: header byte, then the RBSP with emulation prevention (00 00 0x, x <= 3, becomes 00 00 03 0x). */
function nalUnit(header: number, rbsp: Uint8Array): Uint8Array {
  return Uint8Array.from([header, ...escapeRbsp(rbsp)]);
}

interface SpsFields {
  profile: number;
  /** Constraint flags byte and level_idc; default 0xc0 and 31 (constrained, level 3.1). */
  constraintFlags?: number;
  level?: number;
  spsId?: number;
  chromaFormat?: number;
  scalingLists?: boolean;
  pictureOrderCountType?: 0 | 1 | 2;
  widthInMbs: number;
  heightInMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [left: number, right: number, top: number, bottom: number];
}

/** A sequence parameter set NAL unit with these fields (the others plausible constants). */
function buildSps(fields: SpsFields): Uint8Array {
  const { profile, chromaFormat = 1, pictureOrderCountType = 2, frameMbsOnly = true, crop } = fields;
  const w = new BitWriter();
  w.u(8, profile).u(8, fields.constraintFlags ?? 0xc0).u(8, fields.level ?? 31).ue(fields.spsId ?? 0);
  if ([100, 110, 122, 244].includes(profile)) {
    w.ue(chromaFormat);
    if (chromaFormat === 3) w.u(1, 0); // separate_colour_plane_flag
    w.ue(0).ue(0).u(1, 0); // bit depths, qpprime_y_zero_transform_bypass_flag
    w.u(1, fields.scalingLists ? 1 : 0);
    if (fields.scalingLists) {
      for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
        const present = i % 2 === 0;
        w.u(1, present ? 1 : 0);
        if (!present) continue;
        const size = i < 6 ? 16 : 64;
        // A few deltas then a jump to 0 (nextScale 0 ends the list's deltas early).
        if (i === 0) for (let j = 0; j < size; j++) w.se(j === 0 ? 8 : 1);
        else w.se(3).se(-5).se(-6); // 8 -> 11 -> 6 -> 0
      }
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(pictureOrderCountType);
  if (pictureOrderCountType === 0) w.ue(2);
  if (pictureOrderCountType === 1) w.u(1, 0).se(-1).se(2).ue(3).se(1).se(-2).se(7);
  w.ue(1).u(1, 0); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
  w.ue(fields.widthInMbs - 1).ue(fields.heightInMapUnits - 1);
  w.u(1, frameMbsOnly ? 1 : 0);
  if (!frameMbsOnly) w.u(1, 0); // mb_adaptive_frame_field_flag
  w.u(1, 1); // direct_8x8_inference_flag
  w.u(1, crop ? 1 : 0);
  if (crop) for (const offset of crop) w.ue(offset);
  w.u(1, 0); // vui_parameters_present_flag
  return nalUnit(0x67, w.rbsp());
}

const spsOf = (accessUnit: Uint8Array): Uint8Array => splitAnnexB(accessUnit).find((unit) => nalType(unit) === NAL_TYPE.SPS)!;

describe('spsCrop', () => {
  it('finds no crop in the 640x480 fixture SPS (40x30 macroblocks)', () => {
    const sps = spsOf(h264AccessUnits()[0]!.data);
    expect(spsCrop(sps)).toEqual(NO_CROP);
  });

  it('reads the crop of a real 640x360 SPS (coded 640x368, 8 rows cropped at the bottom)', () => {
    const sps = spsOf(readAnnexB('h264_640x360.h264')[0]!.data);
    expect(spsCrop(sps)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('reads a hand-built baseline SPS: 640x368 cropped to 640x360 (offsets in 2-pixel units)', () => {
    const sps = buildSps({ profile: 66, widthInMbs: 40, heightInMapUnits: 23, crop: [0, 0, 0, 4] });
    expect(spsCrop(sps)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('reads crops on every side in 4:2:0 chroma units of 2 pixels', () => {
    const sps = buildSps({ profile: 66, pictureOrderCountType: 0, widthInMbs: 120, heightInMapUnits: 68, crop: [1, 2, 3, 4] });
    expect(spsCrop(sps)).toEqual({ left: 2, right: 4, top: 6, bottom: 8 });
  });

  it('doubles the vertical unit for field coding (frame_mbs_only_flag 0)', () => {
    const sps = buildSps({ profile: 77, widthInMbs: 120, heightInMapUnits: 34, frameMbsOnly: false, crop: [0, 0, 0, 2] });
    expect(spsCrop(sps)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('skips picture order count type 1 fields', () => {
    const sps = buildSps({ profile: 66, pictureOrderCountType: 1, widthInMbs: 40, heightInMapUnits: 23, crop: [0, 0, 0, 4] });
    expect(spsCrop(sps)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('skips the High profile fields and scaling lists', () => {
    const withLists = buildSps({ profile: 100, scalingLists: true, widthInMbs: 120, heightInMapUnits: 68, crop: [0, 0, 0, 4] });
    expect(spsCrop(withLists)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
    const without = buildSps({ profile: 100, widthInMbs: 120, heightInMapUnits: 68, crop: [0, 0, 0, 4] });
    expect(spsCrop(without)).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('uses 1-pixel units for monochrome and a 1-row vertical unit for 4:2:2', () => {
    expect(spsCrop(buildSps({ profile: 100, chromaFormat: 0, widthInMbs: 40, heightInMapUnits: 23, crop: [1, 1, 2, 8] }))).toEqual({
      left: 1,
      right: 1,
      top: 2,
      bottom: 8,
    });
    expect(spsCrop(buildSps({ profile: 122, chromaFormat: 2, widthInMbs: 40, heightInMapUnits: 23, crop: [1, 1, 2, 8] }))).toEqual({
      left: 2,
      right: 2,
      top: 2,
      bottom: 8,
    });
  });

  it('uses 1-pixel units both ways for 4:4:4', () => {
    expect(spsCrop(buildSps({ profile: 244, chromaFormat: 3, widthInMbs: 40, heightInMapUnits: 30, crop: [0, 4, 0, 4] }))).toEqual({
      left: 0,
      right: 4,
      top: 0,
      bottom: 4,
    });
  });

  it('removes emulation prevention bytes before reading', () => {
    // Constraint flags and level 0, then an Exp-Golomb code with 6 leading zeros: the RBSP has
    // 00 00 02, which the NAL unit carries as 00 00 03 02. (The parser does not check the id's range.)
    const fields = { profile: 66, constraintFlags: 0, level: 0, spsId: 63, widthInMbs: 40, heightInMapUnits: 23 } as const;
    const sps = buildSps({ ...fields, crop: [1, 0, 0, 4] });
    expect(Buffer.from(sps).toString('hex').startsWith('6742000003')).toBe(true);
    expect(spsCrop(sps)).toEqual({ left: 2, right: 0, top: 0, bottom: 8 });
    expect(spsCrop(buildSps(fields))).toEqual(NO_CROP);
  });

  it('throws on a truncated SPS', () => {
    const sps = buildSps({ profile: 66, widthInMbs: 40, heightInMapUnits: 23, crop: [0, 0, 0, 4] });
    expect(() => spsCrop(sps.subarray(0, 5))).toThrow(/ended early/);
  });
});
