/** The NAL units of an H264 Annex-B buffer, without their start codes (views, of the input's type). */
export function splitAnnexB<T extends Uint8Array>(buffer: T): T[] {
  const units: T[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < buffer.length) {
    if (buffer[i] === 0 && buffer[i + 1] === 0 && buffer[i + 2] === 1) {
      if (start >= 0) units.push(buffer.subarray(start, trimTrailingZeros(buffer, start, i)) as T);
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < buffer.length) units.push(buffer.subarray(start, trimTrailingZeros(buffer, start, buffer.length)) as T);
  return units;
}

/** Zero bytes before a start code (a 4-byte code's first byte, trailing zeros) belong to no NAL unit. */
function trimTrailingZeros(buffer: Uint8Array, start: number, end: number): number {
  while (end > start && buffer[end - 1] === 0) end--;
  return end;
}

export const NAL_TYPE = { IDR: 5, SPS: 7, PPS: 8 } as const;

export function nalType(unit: Uint8Array): number {
  return (unit[0] ?? 0) & 0x1f;
}
