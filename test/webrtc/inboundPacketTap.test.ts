import type { RTCDtlsTransport } from 'werift';
import { rtcpProblem, rtpProblem, tapInboundPackets, type MediaPacketKind } from '../../src/webrtc/inboundPacketTap';
import { serializeBye } from '../../src/webrtc/rtcpBye';

const rtpHeader = (firstByte = 0x80) => Buffer.from([firstByte, 96, 0, 1, 0, 0, 0, 10, 0, 0, 0, 42]);
const receiverReport = Buffer.from([0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]);

describe('rtpProblem', () => {
  it('accepts RTP packets with and without CSRCs, extension and padding', () => {
    expect(rtpProblem(Buffer.concat([rtpHeader(), Buffer.alloc(20)]))).toBeNull();
    expect(rtpProblem(Buffer.concat([rtpHeader(0x81), Buffer.alloc(4), Buffer.alloc(3)]))).toBeNull();
    const extension = Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00]);
    expect(rtpProblem(Buffer.concat([rtpHeader(0x90), extension, Buffer.alloc(10)]))).toBeNull();
    expect(rtpProblem(Buffer.concat([rtpHeader(0xa0), Buffer.from([1, 2, 3, 3])]))).toBeNull();
  });

  it('names what is wrong with a packet that is not RTP', () => {
    expect(rtpProblem(Buffer.alloc(5))).toBe('5 bytes is shorter than an RTP header');
    expect(rtpProblem(Buffer.concat([rtpHeader(0x40), Buffer.alloc(4)]))).toBe('RTP version 1, expected 2');
    expect(rtpProblem(rtpHeader(0x8f))).toBe('the header or padding is longer than the packet');
    expect(rtpProblem(Buffer.concat([rtpHeader(0x90), Buffer.from([0xbe, 0xde])]))).toBe('the header extension is cut off');
    expect(rtpProblem(Buffer.concat([rtpHeader(0x90), Buffer.from([0xbe, 0xde, 0x00, 0x09])]))).toBe(
      'the header or padding is longer than the packet',
    );
    expect(rtpProblem(Buffer.concat([rtpHeader(0xa0), Buffer.from([1, 200])]))).toBe('the header or padding is longer than the packet');
  });
});

describe('rtcpProblem', () => {
  it('accepts single and compound RTCP packets', () => {
    expect(rtcpProblem(receiverReport)).toBeNull();
    expect(rtcpProblem(Buffer.concat([receiverReport, serializeBye([1, 2])]))).toBeNull();
  });

  it('names what is wrong with a packet that is not RTCP', () => {
    expect(rtcpProblem(Buffer.alloc(2))).toBe('2 bytes is shorter than an RTCP header');
    expect(rtcpProblem(Buffer.from([0x40, 201, 0, 0]))).toBe('RTCP version 1, expected 2');
    expect(rtcpProblem(Buffer.from([0x80, 201, 0, 5, 0, 0, 0, 0]))).toBe('an RTCP length runs past the end of the packet');
    expect(rtcpProblem(Buffer.concat([receiverReport, Buffer.from([0x80, 203])]))).toBe('trailing bytes after the last RTCP packet');
  });
});

/** A transport whose SRTP sessions "decrypt" by passing the data through, or throw when told. */
function fakeTransport() {
  const decryptor = () => ({
    decrypt(data: Buffer): Buffer {
      if (data[0] === 0xff) throw new Error('authentication failed');
      return data;
    },
  });
  return { srtp: decryptor(), srtcp: decryptor() };
}

describe('tapInboundPackets', () => {
  it('reports decrypted RTCP, rejects bad packets with their kind and keeps werift behaviour (the throw)', () => {
    const transport = fakeTransport();
    const rtcp: Buffer[] = [];
    const rejected: Array<[MediaPacketKind, string]> = [];
    tapInboundPackets(transport as unknown as RTCDtlsTransport, {
      rtcp: (plain) => rtcp.push(plain),
      rejected: (kind, problem) => rejected.push([kind, problem]),
    });

    const good = Buffer.concat([rtpHeader(), Buffer.alloc(8)]);
    expect(transport.srtp.decrypt(good)).toBe(good);
    expect(transport.srtcp.decrypt(receiverReport)).toBe(receiverReport);
    expect(() => transport.srtp.decrypt(Buffer.from([0xff, 0, 0]))).toThrow('authentication failed');
    transport.srtcp.decrypt(Buffer.from([0x80, 201, 0, 9]));

    expect(rtcp).toEqual([receiverReport]);
    expect(rejected).toEqual([
      ['rtp', 'cannot be decrypted: authentication failed'],
      ['rtcp', 'an RTCP length runs past the end of the packet'],
    ]);
  });

  it('undo restores the original decryptors', () => {
    const transport = fakeTransport();
    const originals = [transport.srtp.decrypt, transport.srtcp.decrypt];
    const undo = tapInboundPackets(transport as unknown as RTCDtlsTransport, {});
    expect([transport.srtp.decrypt, transport.srtcp.decrypt]).not.toEqual(originals);
    undo();
    expect([transport.srtp.decrypt, transport.srtcp.decrypt]).toEqual(originals);
  });
});
