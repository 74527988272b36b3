import type { RTCPeerConnection } from 'werift';

/** Past every flight of the handshake, so each retransmission loop sees itself finished. */
const HANDSHAKE_OVER = Number.MAX_SAFE_INTEGER;

/**
 * werift retransmits each DTLS handshake flight up to ten times on plain awaited timers (about
 * 33 s in all) and nothing stops the loop when the connection closes, so a session closed during
 * the handshake would stay reachable, and keep the process alive, until the loop gave up.
 * Pinning the handshake's flight counter past the last flight ends each loop at its next
 * wake-up (0.5 s early in a handshake). It is pinned, not set, because a flight that has yet to
 * start (werift starts the first one 100 ms after the transport) writes its own number first.
 */
export function endDtlsHandshakes(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    const context = transport.dtls?.dtls;
    if (!context) continue;
    Object.defineProperty(context, 'flight', { get: () => HANDSHAKE_OVER, set: () => {}, configurable: true });
  }
}
