/**
 * AV1 open bitstream units (OBUs, AV1 spec 5.3): the low-overhead form decoders take (each OBU
 * with its size), the RTP form (AV1 RTP payload spec 5: no size field) and what makes a
 * temporal unit a keyframe. Shared by the server's depacketizer and the client's files.
 */

/** obu_type values (AV1 spec 6.2.2). */
export const OBU_TYPE = { SEQUENCE_HEADER: 1, TEMPORAL_DELIMITER: 2, FRAME_HEADER: 3, FRAME: 6 } as const;

const EXTENSION_FLAG = 0x04;
const HAS_SIZE_FIELD = 0x02;

export interface Obu {
  type: number;
  /** The OBU header: one byte, two with the extension (temporal and spatial ids); size flag as read. */
  header: Buffer;
  payload: Buffer;
}

/** An unsigned LEB128 number at `offset`, and how many bytes it took (AV1 spec 4.10.5: at most 8). */
export function readLeb128(data: Uint8Array, offset: number): { value: number; bytes: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = data[offset + i];
    if (byte === undefined) throw new Error('AV1: a LEB128 number runs past the end of the data');
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
  }
  throw new Error('AV1: a LEB128 number is longer than 8 bytes');
}

export function leb128(value: number): Buffer {
  const bytes: number[] = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    bytes.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** The OBUs of `data`, back to back; one without a size field runs to the end (AV1 spec 5.2). Throws on a malformed one. */
export function splitObus(data: Buffer): Obu[] {
  const obus: Obu[] = [];
  let offset = 0;
  while (offset < data.length) {
    const first = data[offset]!;
    if (first & 0x80) throw new Error(`AV1: an OBU at byte ${offset} has its forbidden bit set`);
    const headerBytes = first & EXTENSION_FLAG ? 2 : 1;
    if (offset + headerBytes > data.length) throw new Error(`AV1: the OBU header at byte ${offset} is cut short`);
    const header = data.subarray(offset, offset + headerBytes);
    offset += headerBytes;
    let size = data.length - offset;
    if (first & HAS_SIZE_FIELD) {
      const length = readLeb128(data, offset);
      offset += length.bytes;
      size = length.value;
      if (offset + size > data.length) throw new Error(`AV1: an OBU of ${size} bytes at byte ${offset} runs past the end`);
    }
    obus.push({ type: (first >> 3) & 0x0f, header, payload: data.subarray(offset, offset + size) });
    offset += size;
  }
  return obus;
}

/** The OBU in low-overhead form: header with obu_has_size_field set, its size, its payload. */
export function withSizeField(obu: Obu): Buffer {
  const header = Buffer.from(obu.header);
  header[0] = header[0]! | HAS_SIZE_FIELD;
  return Buffer.concat([header, leb128(obu.payload.length), obu.payload]);
}

/** The OBU as an RTP OBU element: header with obu_has_size_field clear, then its payload (AV1 RTP spec 5). */
export function withoutSizeField(obu: Obu): Buffer {
  const header = Buffer.from(obu.header);
  header[0] = header[0]! & ~HAS_SIZE_FIELD;
  return Buffer.concat([header, obu.payload]);
}

const TEMPORAL_DELIMITER = Buffer.from([(OBU_TYPE.TEMPORAL_DELIMITER << 3) | HAS_SIZE_FIELD, 0]);

/**
 * A temporal unit as decoders take it (AV1 spec 7.5): a temporal delimiter, then the OBUs in
 * low-overhead form. Temporal delimiters among `obus` are left out (RTP drops them anyway).
 */
export function temporalUnit(obus: readonly Obu[]): Buffer {
  const kept = obus.filter((obu) => obu.type !== OBU_TYPE.TEMPORAL_DELIMITER);
  return Buffer.concat([TEMPORAL_DELIMITER, ...kept.map(withSizeField)]);
}

/**
 * Whether a decoder can start at this temporal unit (AV1 spec 7.5, random access): it holds a
 * sequence header, and its first frame is a key frame. The sequence header's
 * reduced_still_picture_header (its fifth bit) means every frame is a key frame; otherwise the
 * frame header begins show_existing_frame (1 bit), frame_type (2 bits, 0 is KEY_FRAME).
 */
export function isAv1Keyframe(obus: readonly Obu[]): boolean {
  const sequenceHeader = obus.find((obu) => obu.type === OBU_TYPE.SEQUENCE_HEADER);
  const frame = obus.find((obu) => obu.type === OBU_TYPE.FRAME_HEADER || obu.type === OBU_TYPE.FRAME);
  if (!sequenceHeader || !frame || frame.payload.length === 0) return false;
  const reducedStillPictureHeader = ((sequenceHeader.payload[0] ?? 0) & 0x08) !== 0;
  if (reducedStillPictureHeader) return true;
  const first = frame.payload[0]!;
  const showExistingFrame = first & 0x80;
  const frameType = (first >> 5) & 0x03;
  return !showExistingFrame && frameType === 0;
}
