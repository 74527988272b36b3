import { NAL_TYPE, nalType, splitAnnexB } from '../../../src/media/decode/annexB';
import { h264AccessUnits } from '../../fixtures/decode/encodedFixtures';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const hex = (units: Uint8Array[]): string[] => units.map((unit) => Buffer.from(unit).toString('hex'));

describe('splitAnnexB', () => {
  it('splits NAL units behind 4-byte start codes, leaving the start codes out', () => {
    const buffer = bytes(0, 0, 0, 1, 0x67, 0x42, 0xc0, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0x84);
    expect(hex(splitAnnexB(buffer))).toEqual(['6742c0', '68ce', '658884']);
  });

  it('splits NAL units behind 3-byte start codes', () => {
    const buffer = bytes(0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x41, 0x9a);
    expect(hex(splitAnnexB(buffer))).toEqual(['6742', '68ce', '419a']);
  });

  it('splits a mix of 3- and 4-byte start codes', () => {
    const buffer = bytes(0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x65, 0x11);
    expect(hex(splitAnnexB(buffer))).toEqual(['6742', '68ce', '6588', '6511']);
  });

  it('keeps a NAL unit whose payload ends in bytes other than zero, and the last unit whole', () => {
    const buffer = bytes(0, 0, 1, 0x06, 0x05, 0x80, 0, 0, 1, 0x41, 0, 0, 3, 0, 0x80);
    // 00 00 03 is emulation prevention inside a unit, not a start code.
    expect(hex(splitAnnexB(buffer))).toEqual(['060580', '4100000300' + '80']);
  });

  it('finds nothing in a buffer without a start code, or an empty one', () => {
    expect(splitAnnexB(bytes(0x67, 0x42, 0, 0, 2, 0x68))).toEqual([]);
    expect(splitAnnexB(bytes())).toEqual([]);
    expect(splitAnnexB(bytes(0, 0, 1))).toEqual([]);
  });

  it('returns views of the buffer, not copies', () => {
    const buffer = bytes(0, 0, 1, 0x67, 0x42);
    const [unit] = splitAnnexB(buffer);
    expect(unit!.buffer).toBe(buffer.buffer);
    expect(unit!.byteOffset).toBe(3);
  });

  it('splits the fixture keyframe into SPS, PPS, SEI and 4 IDR slices', () => {
    const units = splitAnnexB(h264AccessUnits()[0]!.data);
    expect(units.map(nalType)).toEqual([NAL_TYPE.SPS, NAL_TYPE.PPS, 6, NAL_TYPE.IDR, NAL_TYPE.IDR, NAL_TYPE.IDR, NAL_TYPE.IDR]);
  });
});

describe('nalType', () => {
  it('is the low 5 bits of the header byte, 0 for an empty unit', () => {
    expect(nalType(bytes(0x67))).toBe(7);
    expect(nalType(bytes(0x68))).toBe(8);
    expect(nalType(bytes(0x65, 0x88))).toBe(5);
    expect(nalType(bytes(0x41))).toBe(1);
    expect(nalType(bytes())).toBe(0);
  });
});
