import type { RTCPeerConnection } from 'werift';

type DtlsTransport = RTCPeerConnection['dtlsTransports'][number];

/** Past every flight of the handshake, so each retransmission loop sees itself finished. */
const HANDSHAKE_OVER = Number.MAX_SAFE_INTEGER;

/**
 * werift retransmits each DTLS handshake flight up to ten times on plain awaited timers (about
 * 33 s in all) and nothing stops the loop when the connection closes, so a session closed during
 * the handshake would stay reachable, and keep the process alive, until the loop gave up.
 * Pinning the handshake's flight counter past the last flight ends each loop at its next
 * wake-up (0.5 s early in a handshake). It is pinned, not set, because a flight that has yet to
 * start (the next one starts when the peer's flight arrives) writes its own number first.
 *
 * A transport whose ICE connects while the connection is closing starts its handshake after
 * this call, during `pc.close()`: its DTLS socket is pinned as soon as it exists.
 */
export function endDtlsHandshakes(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    if (transport.dtls) {
      pinFlight(transport);
      continue;
    }
    const { unSubscribe } = transport.onStateChange.subscribe((state) => {
      if (state === 'connecting') {
        // werift creates the DTLS socket right after announcing "connecting", in the same turn.
        queueMicrotask(() => pinFlight(transport));
      }
      if (state !== 'new') unSubscribe();
    });
  }
}

function pinFlight(transport: DtlsTransport): void {
  const context = transport.dtls?.dtls;
  if (!context) return;
  Object.defineProperty(context, 'flight', { get: () => HANDSHAKE_OVER, set: () => {}, configurable: true });
}
