/**
 * Properties of the checks the inbound packet tap makes on every decrypted RTP and RTCP packet a
 * peer sends (fast-check over arbitrary bytes and over RTCP compounds cut or corrupted anywhere):
 * they never throw, accept what is well formed, and a packet they reject is counted as a
 * refused udp_datagram while werift still gets it to drop.
 */
import fc from 'fast-check';
import type { RTCDtlsTransport } from 'werift';
import { refusals } from '../../src/limits/refusals';
import { rtcpProblem, rtpProblem, tapInboundPackets } from '../../src/webrtc/inboundPacketTap';
import { byeSsrcs, serializeBye } from '../../src/webrtc/rtcpBye';

const RUNS = 500;
const bytes = fc.uint8Array({ maxLength: 1500 }).map((array) => Buffer.from(array));

/** One RTCP packet (RFC 3550 6.4): version 2, a count, a type, a body of whole 32-bit words. */
const rtcpPacket = fc
  .tuple(fc.nat(31), fc.integer({ min: 192, max: 223 }), fc.uint8Array({ maxLength: 64 }))
  .map(([count, type, body]) => {
    const words = Buffer.concat([Buffer.from(body), Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const header = Buffer.from([0x80 | count, type, 0, 0]);
    header.writeUInt16BE(words.length / 4, 2);
    return Buffer.concat([header, words]);
  });
const compound = fc.array(rtcpPacket, { minLength: 1, maxLength: 6 }).map((packets) => Buffer.concat(packets));

describe('inbound packet checks over arbitrary input', () => {
  beforeEach(() => refusals.take());

  it('rtpProblem, rtcpProblem and byeSsrcs never throw', () => {
    fc.assert(
      fc.property(bytes, (packet) => {
        const checks = [rtpProblem(packet), rtcpProblem(packet)];
        byeSsrcs(packet);
        return checks.every((problem) => problem === null || typeof problem === 'string');
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every well-formed compound, and every compound cut inside a packet is refused', () => {
    fc.assert(fc.property(compound, (packet) => rtcpProblem(packet) === null), { numRuns: RUNS });
    fc.assert(
      fc.property(compound, fc.nat(), (packet, cut) => {
        const at = cut % packet.length;
        const ends: number[] = [];
        for (let offset = 0; offset < packet.length; offset += (packet.readUInt16BE(offset + 2) + 1) * 4) ends.push(offset);
        fc.pre(at > 0 && !ends.includes(at));
        return rtcpProblem(packet.subarray(0, at)) !== null;
      }),
      { numRuns: RUNS },
    );
  });

  it('finds the BYE of a compound wherever it is', () => {
    fc.assert(
      fc.property(compound, fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 31 }), (before, ssrcs) => {
        return JSON.stringify(byeSsrcs(Buffer.concat([before, serializeBye(ssrcs)])).slice(-ssrcs.length)) === JSON.stringify(ssrcs);
      }),
      { numRuns: RUNS },
    );
  });

  it('the tap never throws on what a decryptor returns, counts each rejected packet, and passes every packet on', () => {
    let next = Buffer.alloc(0);
    const decryptor = { decrypt: (_: Buffer) => next };
    const transport = { srtp: decryptor, srtcp: { decrypt: (_: Buffer) => next } } as unknown as RTCDtlsTransport;
    let rejected = 0;
    const undo = tapInboundPackets(transport, {
      rejected: () => rejected++,
      rtcp: () => {
        throw new Error('a listener defect');
      },
    });
    const tapped = transport as unknown as { srtp: typeof decryptor; srtcp: typeof decryptor };
    try {
      fc.assert(
        fc.property(fc.oneof(bytes, compound), fc.boolean(), (packet, asRtcp) => {
          next = packet;
          return (asRtcp ? tapped.srtcp : tapped.srtp).decrypt(Buffer.alloc(0)) === packet;
        }),
        { numRuns: RUNS },
      );
    } finally {
      undo();
    }
    expect(rejected).toBeGreaterThan(0);
    expect(refusals.take()?.udp_datagram).toBe(rejected);
  });
});
