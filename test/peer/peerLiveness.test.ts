import type { RTCPeerConnection } from 'werift';
import { Session } from '../../src/counters/session';
import { createLogger } from '../../src/logger';
import { PeerLiveness } from '../../src/peer/peerLiveness';

/** A werift-like event: subscribe, and fire. */
function event<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    subscribe: (listener: (value: T) => void) => {
      listeners.add(listener);
      return { unSubscribe: () => listeners.delete(listener) };
    },
    fire: (value: T) => listeners.forEach((listener) => listener(value)),
    count: () => listeners.size,
  };
}

/** Decrypts by copying: the watch sees what a real SRTCP session would give. */
const plainSession = () => ({ decrypt: (data: Buffer) => Buffer.from(data) });

/** A DTLS transport before its handshake: no SRTP sessions yet (werift makes them once connected). */
function transport() {
  return { state: 'connecting', onStateChange: event<string>(), srtp: undefined as unknown, srtcp: undefined as { decrypt(data: Buffer): Buffer } | undefined };
}

/** RTCP BYE (RFC 3550 6.6) for one SSRC. */
function bye(ssrc: number): Buffer {
  const packet = Buffer.alloc(8);
  packet.writeUInt8(0x81, 0);
  packet.writeUInt8(203, 1);
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(ssrc, 4);
  return packet;
}

describe('PeerLiveness', () => {
  const log = createLogger({ level: 'error', format: 'json', silent: true });

  it('watches a transport that completes its DTLS handshake after the watch began (before werift says connected)', () => {
    const dtls = transport();
    const ice = { connection: { onData: event<unknown>() } };
    const pc = { dtlsTransports: [dtls], iceTransports: [ice], sctpTransport: undefined } as unknown as RTCPeerConnection;
    const byes: number[][] = [];
    let closed = 0;
    const liveness = new PeerLiveness(pc, new Session('s'), log, { bye: (ssrcs) => byes.push(ssrcs), closed: () => closed++ });

    dtls.srtcp = plainSession();
    dtls.state = 'connected';
    dtls.onStateChange.fire('connected');
    dtls.srtcp.decrypt(bye(0x1234));
    expect(byes).toEqual([[0x1234]]);

    dtls.onStateChange.fire('closed');
    expect(closed).toBe(1);

    // close() undoes every watch: the decryption is werift's own again, and no listener is left.
    const watched = dtls.srtcp.decrypt;
    liveness.close();
    expect(dtls.srtcp.decrypt).not.toBe(watched);
    dtls.srtcp.decrypt(bye(0x5678));
    expect(byes).toHaveLength(1);
    expect(dtls.onStateChange.count()).toBe(0);
    expect(ice.connection.onData.count()).toBe(0);
  });

  it('watches at once a transport already connected', () => {
    const dtls = transport();
    dtls.state = 'connected';
    dtls.srtcp = plainSession();
    const pc = { dtlsTransports: [dtls], iceTransports: [], sctpTransport: undefined } as unknown as RTCPeerConnection;
    const byes: number[][] = [];
    const liveness = new PeerLiveness(pc, new Session('s'), log, { bye: (ssrcs) => byes.push(ssrcs), closed: () => {} });
    dtls.srtcp.decrypt(bye(7));
    expect(byes).toEqual([[7]]);
    liveness.close();
  });
});
