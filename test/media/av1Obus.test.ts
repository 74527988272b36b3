import { join } from 'node:path';
import { readVideoFile } from '../../client/videoFile';
import { isAv1Keyframe, leb128, OBU_TYPE, readLeb128, splitObus, temporalUnit, withoutSizeField, type Obu } from '../../src/media/av1Obus';

const AV1_CLIP = join(__dirname, '..', 'fixtures', 'video', 'av1_red_square.ivf');

/** An OBU header byte: type, extension flag, size flag. */
const header = (type: number, { extension = false, sized = true } = {}) => (type << 3) | (extension ? 0x04 : 0) | (sized ? 0x02 : 0);

describe('LEB128', () => {
  it.each([0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 21, 2 ** 32 + 5])('%d round-trips in the fewest bytes', (value) => {
    const bytes = leb128(value);
    expect(readLeb128(bytes, 0)).toEqual({ value, bytes: bytes.length });
    expect(bytes.length).toBe(Math.max(1, Math.ceil(Math.log2(value + 1) / 7)));
  });

  it('reads a padded encoding (a zero high byte), and refuses one cut short or over 8 bytes', () => {
    expect(readLeb128(Buffer.from([0x85, 0x00]), 0)).toEqual({ value: 5, bytes: 2 });
    expect(() => readLeb128(Buffer.from([0x80]), 0)).toThrow('runs past the end');
    expect(() => readLeb128(Buffer.alloc(9, 0x80), 0)).toThrow('longer than 8 bytes');
  });
});

describe('splitObus', () => {
  it('reads sized OBUs, an extension header, and a last OBU without size that runs to the end', () => {
    const data = Buffer.from([
      header(OBU_TYPE.SEQUENCE_HEADER), 2, 0xaa, 0xbb,
      header(OBU_TYPE.FRAME, { extension: true }), 0x28, 1, 0xcc,
      header(OBU_TYPE.FRAME, { sized: false }), 0xdd, 0xee, 0xff,
    ]);
    const obus = splitObus(data);
    expect(obus.map((obu) => [obu.type, [...obu.header], [...obu.payload]])).toEqual([
      [1, [header(1)], [0xaa, 0xbb]],
      [6, [header(6, { extension: true }), 0x28], [0xcc]],
      [6, [header(6, { sized: false })], [0xdd, 0xee, 0xff]],
    ]);
  });

  it('refuses a forbidden bit, a size past the end, a cut extension header', () => {
    expect(() => splitObus(Buffer.from([0x80 | header(6), 0]))).toThrow('forbidden bit');
    expect(() => splitObus(Buffer.from([header(6), 5, 1, 2]))).toThrow('runs past the end');
    expect(() => splitObus(Buffer.from([header(6, { extension: true })]))).toThrow('cut short');
  });
});

describe('temporal units', () => {
  const { frames } = readVideoFile(AV1_CLIP);

  it('the clip\'s temporal units (delimiter, sized OBUs) come back the same from their OBUs in RTP form', () => {
    for (const frame of frames) {
      // As a receiver gets them: no temporal delimiter, no size fields.
      const rtpForm = splitObus(frame.data).filter((obu) => obu.type !== OBU_TYPE.TEMPORAL_DELIMITER).map(withoutSizeField);
      const received = rtpForm.flatMap((element) => splitObus(element));
      expect(temporalUnit(received).equals(frame.data)).toBe(true);
    }
  });

  it('keyframes: the clip\'s temporal units 0 and 30 (sequence header and a KEY_FRAME), no other', () => {
    expect(frames.flatMap((frame, index) => (isAv1Keyframe(splitObus(frame.data)) ? [index] : []))).toEqual([0, 30]);
  });

  const obu = (type: number, ...payload: number[]): Obu => ({ type, header: Buffer.from([header(type)]), payload: Buffer.from(payload) });
  const sequenceHeader = obu(OBU_TYPE.SEQUENCE_HEADER, 0x00, 0x00);

  it('a key frame needs a sequence header in the unit; show_existing_frame and other frame types are not keyframes', () => {
    expect(isAv1Keyframe([sequenceHeader, obu(OBU_TYPE.FRAME, 0b0001_0000)])).toBe(true);
    expect(isAv1Keyframe([sequenceHeader, obu(OBU_TYPE.FRAME_HEADER, 0b0001_0000)])).toBe(true);
    expect(isAv1Keyframe([obu(OBU_TYPE.FRAME, 0b0001_0000)])).toBe(false);
    expect(isAv1Keyframe([sequenceHeader, obu(OBU_TYPE.FRAME, 0b1001_0000)])).toBe(false);
    expect(isAv1Keyframe([sequenceHeader, obu(OBU_TYPE.FRAME, 0b0011_0000)])).toBe(false);
    expect(isAv1Keyframe([sequenceHeader, obu(OBU_TYPE.FRAME, 0b0101_0000)])).toBe(false);
    expect(isAv1Keyframe([sequenceHeader])).toBe(false);
  });

  it('with reduced_still_picture_header every frame is a key frame', () => {
    expect(isAv1Keyframe([obu(OBU_TYPE.SEQUENCE_HEADER, 0b0000_1000), obu(OBU_TYPE.FRAME, 0xff)])).toBe(true);
  });
});
