/**
 * Datagrams an attacker on the network can send to a session's ICE port without any credential:
 * random bytes and the shapes the server's demultiplexer (RFC 7983) sorts by their first byte,
 * each broken in its own way: a lone DTLS content type, truncated or lying DTLS record headers,
 * STUN headers with wrong lengths and attributes, RTP and RTCP headers with junk behind them.
 */
import { randomBytes, randomInt } from 'node:crypto';

export const JUNK_SHAPES = ['random', 'dtls_byte', 'dtls_truncated', 'dtls_lying_length', 'stun', 'rtp', 'rtcp'] as const;
export type JunkShape = (typeof JUNK_SHAPES)[number];

const STUN_MAGIC = 0x2112a442;

/** One datagram of the given shape. */
export function junkDatagram(shape: JunkShape): Buffer {
  switch (shape) {
    case 'random':
      return randomBytes(randomInt(1, 1400));
    case 'dtls_byte':
      return Buffer.from([0x16]);
    case 'dtls_truncated':
      // A handshake record header cut short: content type, version, part of epoch/sequence.
      return Buffer.from([0x16, 0xfe, 0xfd, ...randomBytes(randomInt(0, 10))]);
    case 'dtls_lying_length': {
      // A whole record header whose length claims more than follows.
      const body = randomBytes(randomInt(0, 40));
      const header = Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
      header.writeUInt16BE(randomInt(body.length + 1, 0x10000), 11);
      return Buffer.concat([header, body]);
    }
    case 'stun': {
      // A binding request whose header length and attributes are junk (no valid credentials).
      const attributes = randomBytes(randomInt(0, 200));
      const header = Buffer.alloc(20);
      header.writeUInt16BE(0x0001, 0);
      header.writeUInt16BE(randomInt(0, 0x10000) & ~3, 2);
      header.writeUInt32BE(STUN_MAGIC, 4);
      randomBytes(12).copy(header, 8);
      return Buffer.concat([header, attributes]);
    }
    case 'rtp':
      return Buffer.concat([Buffer.from([0x80, randomInt(0, 128)]), randomBytes(randomInt(0, 1200))]);
    case 'rtcp':
      return Buffer.concat([Buffer.from([0x80 | randomInt(0, 32), randomInt(192, 224)]), randomBytes(randomInt(0, 200))]);
  }
}

/** Datagrams of every shape in turn, `count` in all. */
export function* junkDatagrams(count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield junkDatagram(JUNK_SHAPES[i % JUNK_SHAPES.length]!);
}
