import type { RTCDtlsTransport } from 'werift';

/** RTCP BYE packet type (RFC 3550 section 6.6). */
const BYE = 203;
const HEADER_BYTES = 4;

/** SSRCs named by the BYE packets inside one (compound) RTCP packet; malformed input yields []. */
export function byeSsrcs(rtcp: Buffer): number[] {
  const ssrcs: number[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= rtcp.length) {
    const first = rtcp[offset]!;
    if (first >> 6 !== 2) break;
    const count = first & 0x1f;
    const type = rtcp[offset + 1]!;
    const length = (rtcp.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + length > rtcp.length) break;
    if (type === BYE) {
      for (let i = 0; i < count && HEADER_BYTES + (i + 1) * 4 <= length; i++) {
        ssrcs.push(rtcp.readUInt32BE(offset + HEADER_BYTES + i * 4));
      }
    }
    offset += length;
  }
  return ssrcs;
}

/** A BYE for the given sources, without a reason. */
export function serializeBye(ssrcs: number[]): Buffer {
  const packet = Buffer.alloc(HEADER_BYTES + ssrcs.length * 4);
  packet[0] = 0x80 | ssrcs.length;
  packet[1] = BYE;
  packet.writeUInt16BE(ssrcs.length, 2);
  ssrcs.forEach((ssrc, i) => packet.writeUInt32BE(ssrc >>> 0, HEADER_BYTES + i * 4));
  return packet;
}

/** Sends a BYE for `ssrcs` on a transport (werift's sendRtcp only needs `serialize()`). */
export async function sendRtcpBye(transport: RTCDtlsTransport, ssrcs: number[]): Promise<void> {
  const packet = serializeBye(ssrcs);
  await transport.sendRtcp([{ serialize: () => packet } as never]);
}
