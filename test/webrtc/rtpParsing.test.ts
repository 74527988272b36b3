/**
 * werift's packet parsing as patched (patches/werift+0.25.2+011+rtp-parsing.patch): bit fields read with bit
 * operations instead of strings, RTP headers built with plain assignments. The results must be
 * those of werift 0.25.2's own code, reproduced here as the reference.
 */
import { getBit, RtpPacket, Vp8RtpPayload, Vp9RtpPayload } from 'werift';

/** werift 0.25.2's getBit, unpatched. */
function referenceGetBit(bits: number, startIndex: number, length = 1): number {
  let bin = bits.toString(2).split('');
  bin = [...Array<string>(8 - bin.length).fill('0'), ...bin];
  return Number.parseInt(bin.slice(startIndex, startIndex + length).join(''), 2);
}

describe('werift packet parsing (patch 011 rtp-parsing)', () => {
  it('getBit gives the unpatched result for every byte, start and length', () => {
    const differences: string[] = [];
    for (let byte = 0; byte < 256; byte++) {
      for (let start = 0; start < 8; start++) {
        for (let length = 1; start + length <= 8; length++) {
          if (getBit(byte, start, length) !== referenceGetBit(byte, start, length)) differences.push(`${byte} ${start} ${length}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });

  it('reads an RTP header with a one-byte extension and a CSRC, and a VP8 descriptor with a 15-bit picture id', () => {
    const header = Buffer.from([0x91, 0xe0, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7, 0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0]);
    const vp8 = Buffer.from([0x90, 0x80, 0xc1, 0x23, 0x10, 0x02, 0x00, 1, 2, 3]);
    const packet = RtpPacket.deSerialize(Buffer.concat([header, vp8]));
    expect(packet.header).toMatchObject({
      version: 2,
      padding: false,
      extension: true,
      marker: true,
      payloadType: 96,
      sequenceNumber: 0x1234,
      timestamp: 0x1000,
      ssrc: 0xdeadbeef,
      csrcLength: 1,
      csrc: [7],
      extensionProfile: 0xbede,
    });
    expect(packet.header.extensions).toEqual([{ id: 1, payload: Buffer.from([0x55]) }]);
    expect(Object.keys(packet.header)).toEqual(expect.arrayContaining(['version', 'padding', 'marker', 'sequenceNumber', 'extensions']));

    const descriptor = Vp8RtpPayload.deSerialize(packet.payload);
    expect(descriptor).toMatchObject({ xBit: 1, nBit: 0, sBit: 1, pid: 0, iBit: 1, mBit: 1, pictureId: (0x41 << 8) | 0x23 });
    expect(descriptor.isKeyframe).toBe(true);
    expect([...descriptor.payload]).toEqual([0x10, 0x02, 0x00, 1, 2, 3]);
  });

  it('reads a VP9 descriptor with a 15-bit picture id', () => {
    // I=1 (picture id), B=1 (start of frame); M=1 with the 15-bit id 0x2a17.
    const descriptor = Vp9RtpPayload.deSerialize(Buffer.from([0x88, 0xaa, 0x17, 9, 9]));
    expect(descriptor).toMatchObject({ iBit: 1, bBit: 1, m: 1, pictureId: 0x2a17 });
  });
});
