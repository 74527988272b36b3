import { byeSsrcs, serializeBye } from '../../src/webrtc/rtcpBye';

describe('RTCP BYE', () => {
  it('round-trips the SSRCs of a BYE', () => {
    expect(byeSsrcs(serializeBye([0x11223344, 0xfffffffe]))).toEqual([0x11223344, 0xfffffffe]);
  });

  it('finds a BYE inside a compound packet after a receiver report', () => {
    const receiverReport = Buffer.from([0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]);
    expect(byeSsrcs(Buffer.concat([receiverReport, serializeBye([42])]))).toEqual([42]);
  });

  it('finds nothing in other packets or in malformed data', () => {
    expect(byeSsrcs(Buffer.from([0x80, 201, 0x00, 0x01, 0, 0, 0, 7]))).toEqual([]);
    expect(byeSsrcs(Buffer.from([0x81, 203, 0x00, 0x09, 0, 0, 0, 7]))).toEqual([]);
    expect(byeSsrcs(Buffer.from([0x01, 203, 0x00, 0x01, 0, 0, 0, 7]))).toEqual([]);
    expect(byeSsrcs(Buffer.alloc(0))).toEqual([]);
  });
});
