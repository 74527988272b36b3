import { FingerprintChangedError } from '../errors';
import { refusals } from '../limits/refusals';
import type { Logger } from '../logger';
import { dtlsFingerprints, sameFingerprints } from '../webrtc/dtlsFingerprints';

/**
 * The DTLS fingerprints of a session's first offer, which every later offer of the session (a
 * renegotiation, an ICE restart) must carry unchanged: the certificate that may complete the
 * session's DTLS handshake is the first offerer's, whoever sends the next offer.
 *
 * Why here, before werift: werift checks the peer's certificate against every fingerprint it was
 * ever given on the transport (RTCDtlsTransport.setRemoteParams keeps the union), so a second
 * offer carrying another party's fingerprint, sent before the client's handshake completed, let
 * that party's certificate in and the session was taken over. A changed fingerprint would be a
 * new DTLS association (RFC 8842 section 5), which a live session here never makes.
 */
export class FingerprintPin {
  private first: string[] | null = null;

  constructor(private readonly log: Logger) {}

  /** Pins the first offer's fingerprints; throws FingerprintChangedError for a later offer with others. */
  check(offerSdp: string): void {
    const offered = dtlsFingerprints(offerSdp);
    if (this.first === null) {
      this.first = offered;
      return;
    }
    if (sameFingerprints(this.first, offered)) return;
    refusals.count('dtls_fingerprint');
    // Renegotiations are budgeted (RENEGOTIATIONS_PER_MINUTE) before they get here: one line each is bounded.
    this.log.warn('Offer refused: its DTLS fingerprint is not the session\'s', { offered: offered.length, session_fingerprints: this.first.length });
    throw new FingerprintChangedError(
      'the offer\'s DTLS fingerprint (a=fingerprint) is not the one this session was created with; a renegotiation must come from the same certificate, the session goes on',
    );
  }
}
