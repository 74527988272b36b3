import type { RTCDtlsTransport } from 'werift';
import { refusals } from '../limits/refusals';
import { errorMessage } from '../logger';

export type MediaPacketKind = 'rtp' | 'rtcp';

export interface InboundPacketListener {
  /** Each decrypted (compound) RTCP packet. */
  rtcp?(plain: Buffer): void;
  /** A packet werift is about to drop: it failed SRTP authentication or is not well formed. */
  rejected?(kind: MediaPacketKind, problem: string): void;
}

interface SrtpDecryptor {
  decrypt(data: Buffer): Buffer;
}

const RTP_HEADER_BYTES = 12;
const RTCP_HEADER_BYTES = 4;

/**
 * Looks at every SRTP and SRTCP packet one DTLS transport receives, by wrapping that
 * instance's decryptors (nothing global). werift drops bad packets quietly; this is how the
 * session counts them and how it sees the RTCP BYEs werift's parser discards. Install once the
 * transport is connected (SRTP keys exist); returns an undo.
 *
 * Not a werift patch: what werift does with each packet stays as it was (a listener that throws
 * changes nothing); the counting and the BYEs are the server's business, and a patch would have
 * to add a packet hook to werift's API for them.
 */
export function tapInboundPackets(transport: RTCDtlsTransport, listener: InboundPacketListener): () => void {
  const sessions = transport as unknown as { srtp?: SrtpDecryptor; srtcp?: SrtpDecryptor };
  const undo = [
    wrapDecrypt(sessions.srtp, (plain) => rtpProblem(plain), 'rtp', listener),
    wrapDecrypt(sessions.srtcp, (plain) => rtcpProblem(plain), 'rtcp', listener),
  ];
  return () => {
    for (const restore of undo) restore();
  };
}

function wrapDecrypt(
  session: SrtpDecryptor | undefined,
  problemOf: (plain: Buffer) => string | null,
  kind: MediaPacketKind,
  listener: InboundPacketListener,
): () => void {
  if (!session) return () => {};
  const decrypt = session.decrypt;
  // A listener that throws must not change what werift does with the packet (it would drop it).
  const tell = (notify: () => void) => {
    try {
      notify();
    } catch {
      // The listener's defect is its own; the packet goes on.
    }
  };
  const reject = (problem: string) => {
    refusals.count('udp_datagram');
    tell(() => listener.rejected?.(kind, problem));
  };
  session.decrypt = function decryptAndWatch(this: SrtpDecryptor, data: Buffer): Buffer {
    let plain: Buffer;
    try {
      plain = decrypt.call(this, data);
    } catch (error) {
      reject(`cannot be decrypted: ${errorMessage(error)}`);
      throw error;
    }
    const problem = problemOf(plain);
    if (problem) reject(problem);
    else if (kind === 'rtcp') tell(() => listener.rtcp?.(plain));
    return plain;
  };
  return () => {
    session.decrypt = decrypt;
  };
}

/** Why a decrypted buffer is not an RTP packet (RFC 3550 section 5.1), or null. */
export function rtpProblem(packet: Buffer): string | null {
  if (packet.length < RTP_HEADER_BYTES) return `${packet.length} bytes is shorter than an RTP header`;
  if (packet[0]! >> 6 !== 2) return `RTP version ${packet[0]! >> 6}, expected 2`;
  const csrcCount = packet[0]! & 0x0f;
  let headerBytes = RTP_HEADER_BYTES + csrcCount * 4;
  const hasExtension = (packet[0]! & 0x10) !== 0;
  if (hasExtension) {
    if (packet.length < headerBytes + 4) return 'the header extension is cut off';
    headerBytes += 4 + packet.readUInt16BE(headerBytes + 2) * 4;
  }
  const hasPadding = (packet[0]! & 0x20) !== 0;
  const paddingBytes = hasPadding && packet.length > 0 ? packet[packet.length - 1]! : 0;
  if (headerBytes + paddingBytes > packet.length) return 'the header or padding is longer than the packet';
  return null;
}

/** Why a decrypted buffer is not a compound RTCP packet (RFC 3550 section 6.1), or null. */
export function rtcpProblem(packet: Buffer): string | null {
  if (packet.length < RTCP_HEADER_BYTES) return `${packet.length} bytes is shorter than an RTCP header`;
  let offset = 0;
  while (offset < packet.length) {
    if (offset + RTCP_HEADER_BYTES > packet.length) return 'trailing bytes after the last RTCP packet';
    if (packet[offset]! >> 6 !== 2) return `RTCP version ${packet[offset]! >> 6}, expected 2`;
    const length = (packet.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + length > packet.length) return 'an RTCP length runs past the end of the packet';
    offset += length;
  }
  return null;
}
