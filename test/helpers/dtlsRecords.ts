import dgram from 'node:dgram';

/** One DTLS record as it left a UDP socket (RFC 6347 4.1 header). */
export interface DtlsRecord {
  /** Local port of the socket that sent it. */
  port: number;
  contentType: number;
  epoch: number;
  sequenceNumber: number;
  /** The whole record, header and (encrypted) fragment, to tell a retransmitted copy apart. */
  bytes: Buffer;
}

const RECORD_HEADER_BYTES = 13;

/** RFC 7983: a datagram whose first byte is 20-63 is DTLS (STUN is 0-3, SRTP/SRTCP 128-191). */
export function isDtlsDatagram(datagram: Buffer): boolean {
  return datagram.length > 0 && datagram[0]! >= 20 && datagram[0]! <= 63;
}

/** Splits a datagram into its DTLS records (a datagram may carry several). */
export function parseDtlsRecords(port: number, datagram: Buffer): DtlsRecord[] {
  const records: DtlsRecord[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= datagram.length) {
    const length = datagram.readUInt16BE(offset + 11);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > datagram.length) break;
    records.push({
      port,
      contentType: datagram[offset]!,
      epoch: datagram.readUInt16BE(offset + 3),
      sequenceNumber: datagram.readUIntBE(offset + 5, 6),
      bytes: Buffer.from(datagram.subarray(offset, end)),
    });
    offset = end;
  }
  return records;
}

export interface DtlsCapture {
  records: DtlsRecord[];
  /** Records sent from one local port (one ICE socket), in the order they were sent. */
  sentFrom(port: number): DtlsRecord[];
  stop(): void;
}

/**
 * Captures every DTLS record any UDP socket of this process sends, by wrapping
 * dgram.Socket#send for the time of a test: the bytes exactly as they go on the wire.
 */
export function captureDtlsRecords(): DtlsCapture {
  const records: DtlsRecord[] = [];
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function sendAndCapture(this: dgram.Socket, ...args: unknown[]) {
    const [message] = args;
    if (Buffer.isBuffer(message) && isDtlsDatagram(message)) {
      records.push(...parseDtlsRecords(this.address().port, message));
    }
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof send;
  return {
    records,
    sentFrom: (port) => records.filter((record) => record.port === port),
    stop() {
      dgram.Socket.prototype.send = send;
    },
  };
}

/**
 * What RFC 6347 4.1 asks of one sender's records: within an epoch sequence numbers rise, so no
 * (epoch, sequence number) pair is used twice. A byte-identical copy is a retransmitted
 * handshake flight (werift resends a flight as it was), not a second record, and is skipped.
 * Returns one line per violation.
 */
export function recordNumberingProblems(records: readonly DtlsRecord[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, Buffer>();
  const lastInEpoch = new Map<number, number>();
  for (const record of records) {
    const key = `${record.epoch}/${record.sequenceNumber}`;
    const earlier = seen.get(key);
    if (earlier?.equals(record.bytes)) continue;
    if (earlier) problems.push(`(epoch ${record.epoch}, seq ${record.sequenceNumber}) used twice (content type ${record.contentType})`);
    seen.set(key, record.bytes);
    const last = lastInEpoch.get(record.epoch);
    if (last !== undefined && record.sequenceNumber <= last) {
      problems.push(`epoch ${record.epoch}: seq ${record.sequenceNumber} after seq ${last}`);
    }
    lastInEpoch.set(record.epoch, Math.max(last ?? -1, record.sequenceNumber));
  }
  return problems;
}
