import { BitstreamEnded } from '../../errors';

/**
 * Reads bits most significant first, and the variable-length codes of the video bitstreams
 * (H.264 Exp-Golomb, AV1 uvlc). Throws BitstreamEnded past the end of its bytes: the header
 * readers catch it and call the header unreadable; nothing reads outside the buffer.
 */
export class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bits read so far. */
  get position(): number {
    return this.bit;
  }

  /** Up to 32 bits, as an unsigned number. */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++, this.bit++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new BitstreamEnded('the header ended early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
    }
    return value;
  }

  flag(): boolean {
    return this.bits(1) === 1;
  }

  /** ue(v) of H.264 9.1: at most 31 leading zeros (values up to 2^32 - 2). */
  unsignedExpGolomb(): number {
    let leadingZeros = 0;
    while (this.bits(1) === 0) {
      if (++leadingZeros > 31) throw new BitstreamEnded('an Exp-Golomb code is longer than 32 bits');
    }
    return 2 ** leadingZeros - 1 + this.bits(leadingZeros);
  }

  signedExpGolomb(): number {
    const code = this.unsignedExpGolomb();
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }

  /** uvlc() of AV1 4.10.3, as dav1d reads it: 32 zeros mean 2^32 - 1, with no further bits read. */
  uvlc(): number {
    let leadingZeros = 0;
    while (this.bits(1) === 0) {
      if (++leadingZeros === 32) return 2 ** 32 - 1;
    }
    return 2 ** leadingZeros - 1 + this.bits(leadingZeros);
  }
}
