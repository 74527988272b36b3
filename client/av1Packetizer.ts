import { isAv1Keyframe, leb128, OBU_TYPE, splitObus, withoutSizeField } from '../src/media/av1Obus';

/** OBU elements one packet's W field can count; more would need W=0 (a length before every element). */
const MAX_ELEMENTS = 3;
const Z_CONTINUES_FRAGMENT = 0x80;
const Y_FRAGMENT_CONTINUES = 0x40;
const N_NEW_CODED_VIDEO_SEQUENCE = 0x08;

/**
 * RTP payloads of one AV1 temporal unit (AV1 RTP payload spec, aomediacodec.github.io/av1-rtp-spec):
 * each is an aggregation header (Z: the first element continues an OBU of the packet before;
 * Y: the last element continues in the next; W: how many elements; N: the first packet of a
 * coded video sequence, i.e. of a keyframe) and up to three OBU elements, every one but the last
 * behind its LEB128 length. OBUs go without their size field; temporal delimiters are dropped.
 * OBUs are packed back to back and split at packet boundaries, as libwebrtc does.
 */
export function packetizeAv1(temporalUnit: Buffer, maxPayloadBytes: number): Buffer[] {
  const obus = splitObus(temporalUnit);
  const keyframe = isAv1Keyframe(obus);
  const elements = obus.filter((obu) => obu.type !== OBU_TYPE.TEMPORAL_DELIMITER).map(withoutSizeField);
  if (elements.length === 0) throw new Error('Cannot packetize an AV1 temporal unit without OBUs');
  const capacity = maxPayloadBytes - 1;
  const payloads: Buffer[] = [];
  let index = 0;
  let offset = 0;
  while (index < elements.length) {
    const startsWithFragment = offset > 0;
    const parts: Buffer[] = [];
    let used = 0;
    let endsWithFragment = false;
    while (index < elements.length && parts.length < MAX_ELEMENTS) {
      // Another element puts the length of the one before it in front of that one.
      const lengthOfPrevious = parts.length > 0 ? leb128(parts.at(-1)!.length).length : 0;
      const available = capacity - used - lengthOfPrevious;
      if (available <= 0) break;
      const rest = elements[index]!.subarray(offset);
      used += lengthOfPrevious;
      if (rest.length <= available) {
        parts.push(rest);
        used += rest.length;
        index++;
        offset = 0;
        continue;
      }
      parts.push(rest.subarray(0, available));
      offset += available;
      endsWithFragment = true;
      break;
    }
    const header =
      (startsWithFragment ? Z_CONTINUES_FRAGMENT : 0) |
      (endsWithFragment ? Y_FRAGMENT_CONTINUES : 0) |
      (parts.length << 4) |
      (payloads.length === 0 && keyframe ? N_NEW_CODED_VIDEO_SEQUENCE : 0);
    const body = parts.flatMap((part, i) => (i < parts.length - 1 ? [leb128(part.length), part] : [part]));
    payloads.push(Buffer.concat([Buffer.from([header]), ...body]));
  }
  return payloads;
}
