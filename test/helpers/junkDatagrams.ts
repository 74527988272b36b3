import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { seededRandom } from './seededRandom';

/**
 * Datagrams an attacker on the network sends to a session's ICE port: random bytes, DTLS
 * records cut short (a single 0x16 byte among them) or whole but forged (a close_notify alert),
 * STUN requests with wrong credentials, wrong lengths or cut attributes, RTP- and RTCP-shaped
 * bytes. Deterministic for a seed.
 */
export type JunkKind =
  | 'random'
  | 'dtls_one_byte'
  | 'dtls_truncated'
  | 'dtls_handshake'
  | 'dtls_alert'
  | 'stun_wrong_password'
  | 'stun_no_integrity'
  | 'stun_bad_length'
  | 'stun_truncated_attribute'
  | 'rtp'
  | 'rtcp';

export const JUNK_KINDS: readonly JunkKind[] = [
  'random',
  'dtls_one_byte',
  'dtls_truncated',
  'dtls_handshake',
  'dtls_alert',
  'stun_wrong_password',
  'stun_no_integrity',
  'stun_bad_length',
  'stun_truncated_attribute',
  'rtp',
  'rtcp',
];

/** The seeded generator the junk is drawn from: the same seed sends the same junk. */
export const prng = seededRandom;

function bytes(random: () => number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = Math.floor(random() * 256);
  return buffer;
}

function int(random: () => number, max: number): number {
  return Math.floor(random() * max);
}

/** A DTLS record header (RFC 6347 4.1): type, version 0xfefd, epoch, sequence number, length. */
function dtlsHeader(type: number, epoch: number, length: number, random: () => number): Buffer {
  const header = Buffer.alloc(13);
  header[0] = type;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUIntBE(int(random, 2 ** 32), 5, 6);
  header.writeUInt16BE(length, 11);
  return header;
}

const STUN_COOKIE = 0x2112a442;

/** A STUN Binding request (RFC 5389) with these attributes (type, value), each padded to 4 bytes. */
export function stunRequest(attributes: Array<[number, Buffer]>, random: () => number): Buffer {
  const body = Buffer.concat(
    attributes.map(([type, value]) => {
      const header = Buffer.alloc(4);
      header.writeUInt16BE(type, 0);
      header.writeUInt16BE(value.length, 2);
      return Buffer.concat([header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    }),
  );
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(body.length, 2);
  header.writeUInt32BE(STUN_COOKIE, 4);
  bytes(random, 12).copy(header, 8);
  return Buffer.concat([header, body]);
}

const USERNAME = 0x0006;
const MESSAGE_INTEGRITY = 0x0008;
const ICE_CONTROLLING = 0x802a;
const USE_CANDIDATE = 0x0025;

/** A request naming the server's ufrag, signed with a password that is not the server's. */
function wronglySigned(serverUfrag: string, random: () => number): Buffer {
  const username: [number, Buffer] = [USERNAME, Buffer.from(`${serverUfrag}:evil`)];
  const controlling: [number, Buffer] = [ICE_CONTROLLING, bytes(random, 8)];
  const unsigned = stunRequest([username, controlling, [USE_CANDIDATE, Buffer.alloc(0)]], random);
  // MESSAGE-INTEGRITY over the message with its length already counting the attribute (RFC 5389 15.4).
  unsigned.writeUInt16BE(unsigned.readUInt16BE(2) + 24, 2);
  const mac = createHmac('sha1', 'not-the-password').update(unsigned).digest();
  const attribute = Buffer.alloc(4);
  attribute.writeUInt16BE(MESSAGE_INTEGRITY, 0);
  attribute.writeUInt16BE(20, 2);
  return Buffer.concat([unsigned, attribute, mac]);
}

/** One junk datagram of `kind`; `serverUfrag` makes STUN requests look addressed to the server. */
export function junkDatagram(kind: JunkKind, random: () => number, serverUfrag = 'ufrag'): Buffer {
  switch (kind) {
    case 'random':
      return bytes(random, int(random, 1200));
    case 'dtls_one_byte':
      return Buffer.from([0x16]);
    case 'dtls_truncated': {
      // A header cut anywhere, or a whole header whose length runs past the datagram.
      const record = Buffer.concat([dtlsHeader(22, 0, 200 + int(random, 1000), random), bytes(random, int(random, 150))]);
      return record.subarray(0, 1 + int(random, record.length));
    }
    case 'dtls_handshake': {
      const fragment = bytes(random, 12 + int(random, 300));
      fragment[0] = 1; // ClientHello
      return Buffer.concat([dtlsHeader(22, 0, fragment.length, random), fragment]);
    }
    case 'dtls_alert':
      // close_notify, warning level, in the clear: it closed a werift DTLS transport from anyone.
      return Buffer.concat([dtlsHeader(21, 0, 2, random), Buffer.from([1, 0])]);
    case 'stun_wrong_password':
      return wronglySigned(serverUfrag, random);
    case 'stun_no_integrity':
      return stunRequest([[USERNAME, Buffer.from(`${serverUfrag}:evil`)]], random);
    case 'stun_bad_length': {
      const request = stunRequest([[USERNAME, Buffer.from(`${serverUfrag}:evil`)]], random);
      request.writeUInt16BE(int(random, 0x10000) & ~3, 2);
      return request;
    }
    case 'stun_truncated_attribute': {
      const request = stunRequest([[USERNAME, Buffer.from(`${serverUfrag}:evil`)], [MESSAGE_INTEGRITY, bytes(random, 20)]], random);
      return request.subarray(0, 20 + 1 + int(random, request.length - 21));
    }
    case 'rtp': {
      const packet = bytes(random, 12 + int(random, 1100));
      packet[0] = 0x80 | (packet[0]! & 0x3f);
      packet[1] = 96 + int(random, 32);
      return packet;
    }
    case 'rtcp': {
      const packet = bytes(random, 4 + int(random, 200));
      packet[0] = 0x80 | (packet[0]! & 0x3f);
      packet[1] = 200 + int(random, 5);
      return packet;
    }
  }
}

export interface Spray {
  /** Datagrams sent so far, by kind. */
  readonly sent: Record<JunkKind, number>;
  readonly total: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * Sends junk from a socket of its own to 127.0.0.1:`ports`, `perTick` datagrams (kinds in turn)
 * every `intervalMs`, until stopped. Send errors are ignored (the port may close meanwhile).
 */
export async function sprayJunk(ports: number[], options: { seed: number; perTick: number; intervalMs: number; serverUfrag?: string }): Promise<Spray> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const random = prng(options.seed);
  const sent = Object.fromEntries(JUNK_KINDS.map((kind) => [kind, 0])) as Record<JunkKind, number>;
  let total = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < options.perTick; i++) {
      const kind = JUNK_KINDS[total % JUNK_KINDS.length]!;
      const port = ports[total % ports.length]!;
      socket.send(junkDatagram(kind, random, options.serverUfrag), port, '127.0.0.1', () => {});
      sent[kind]++;
      total++;
    }
  }, options.intervalMs);
  let stopped: Promise<void> | undefined;
  return {
    sent,
    get total() {
      return total;
    },
    stop: () =>
      (stopped ??= new Promise((resolve) => {
        clearInterval(timer);
        socket.close(() => resolve());
      })),
  };
}

/** The UDP ports of the host candidates in an SDP, and its first ice-ufrag. */
export function sdpIcePorts(sdp: string): { ports: number[]; ufrag: string | undefined } {
  const ports = new Set<number>();
  for (const match of sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host/gim)) ports.add(Number(match[1]));
  return { ports: [...ports], ufrag: /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1] };
}
