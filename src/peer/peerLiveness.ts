import type { RTCPeerConnection } from 'werift';
import type { Session } from '../counters/session';
import type { Logger } from '../logger';
import { tapInboundPackets, type MediaPacketKind } from '../webrtc/inboundPacketTap';
import { byeSsrcs } from '../webrtc/rtcpBye';
import { guardCallback } from './guardCallback';

export interface PeerLivenessHandlers {
  /** An RTCP BYE named these SSRCs. */
  bye(ssrcs: number[]): void;
  /** A DTLS close_notify, or an SCTP ABORT or SHUTDOWN: the peer is gone. */
  closed(): void;
}

/**
 * Watches a peer's transports for the ways a peer says goodbye that werift does not turn into a
 * track end or a timely connection state: an RTCP BYE for a track's SSRC, a DTLS close_notify,
 * an SCTP ABORT or SHUTDOWN (a remote pc.close() sends one; werift's connection state only
 * fails ~30 s later). Also remembers when the peer last sent anything (media, RTCP, SCTP, STUN):
 * is anyone still there? `close()` is the one undo of every watch.
 *
 * Made once the answer is set, not once werift says `connected`: werift says that only when the
 * SCTP association is up too, and a lost SCTP packet (a COOKIE ECHO in a burst that overflowed
 * the UDP receive buffer) delays it by the peer's retransmission, 3 s for aiortc, while media,
 * and an RTCP BYE, already flow. Each transport's SRTCP is watched from the moment its DTLS
 * handshake is done (werift makes the SRTP sessions then).
 */
export class PeerLiveness {
  private readonly undo: Array<() => void> = [];
  private lastHeardAt: number;

  constructor(
    pc: RTCPeerConnection,
    private readonly session: Session,
    private readonly log: Logger,
    handlers: PeerLivenessHandlers,
    private readonly now: () => number = Date.now,
  ) {
    this.lastHeardAt = now();
    for (const transport of pc.dtlsTransports) {
      const tap = () =>
        this.undo.push(
          tapInboundPackets(transport, {
            rtcp: (plain) => {
              const ssrcs = byeSsrcs(plain);
              if (ssrcs.length > 0) guardCallback(log, 'rtcpBye', () => handlers.bye(ssrcs));
            },
            rejected: (kind, problem) => this.badPacket(kind, problem),
          }),
        );
      if (transport.state === 'connected') tap();
      const dtls = transport.onStateChange.subscribe((state) => {
        if (state === 'connected') tap();
        else if (state === 'closed') handlers.closed();
      });
      this.undo.push(() => dtls.unSubscribe());
    }
    for (const iceTransport of pc.iceTransports) {
      const heard = iceTransport.connection.onData.subscribe(() => {
        this.lastHeardAt = this.now();
      });
      this.undo.push(() => heard.unSubscribe());
    }
    const sctp = pc.sctpTransport?.sctp;
    if (sctp) {
      const closed = sctp.stateChanged.closed.subscribe(() => handlers.closed());
      this.undo.push(() => closed.unSubscribe());
    }
  }

  /** Milliseconds since the peer last sent anything. */
  get silentForMs(): number {
    return this.now() - this.lastHeardAt;
  }

  /** A media packet failed authentication or parsing: counted always, logged at 1, 10, 100, ... */
  private badPacket(kind: MediaPacketKind, problem: string): void {
    const count = this.session.mediaPacketIgnored(kind);
    if (/^10*$/.test(String(count))) {
      this.log.warn(`Ignored bad ${kind.toUpperCase()} packet`, { problem, ignored_so_far: count });
    }
  }

  close(): void {
    for (const undo of this.undo.splice(0)) undo();
  }
}
