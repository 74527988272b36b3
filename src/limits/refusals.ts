/**
 * Input refused or dropped because it broke a budget or did not parse, counted per resource on
 * the thread that saw it. A media worker hands its counts to the main thread with its status
 * report (`take()`), where `/metrics` shows them as `input_refused_total{resource}`.
 */
export const REFUSED_RESOURCES = [
  /** A datagram kept before the DTLS transport started that was not a DTLS record of the ICE peer. */
  'dtls_early_record',
  /** A datagram, RTP or RTCP packet that could not be parsed, or a datagram from an address that passed no ICE check. */
  'udp_datagram',
  /** A STUN request at an ICE port without our ufrag and a valid MESSAGE-INTEGRITY: dropped unanswered. */
  'stun_request',
  /** An SDP offer refused whole (bare CR or LF in a line, too many m-sections, sockets beyond budget). */
  'sdp_offer',
  /** A remote ICE candidate dropped (beyond MAX_REMOTE_CANDIDATES, unspecified, multicast, broadcast, .local). */
  'remote_candidate',
  /** A video frame dropped for its bytes (MAX_FRAME_BYTES). */
  'frame_bytes',
  /** A video frame dropped for its packet count (MAX_FRAME_PACKETS). */
  'frame_packets',
  /** A picture dropped before decoding for its size (MAX_PICTURE_PIXELS). */
  'picture_pixels',
  /** A data-channel message from the client dropped (too large, too many, or not a known message). */
  'client_message',
  /** A renegotiation or ICE restart refused (RENEGOTIATIONS_PER_MINUTE). */
  'renegotiation',
  /** A renegotiation (or ICE restart) refused: its DTLS fingerprints are not the session's first offer's. */
  'dtls_fingerprint',
  /** An offer refused: its address holds MAX_HALF_OPEN_SESSIONS_PER_ADDRESS sessions not yet connected. */
  'half_open_session',
  /** A warning about peer input not written to the log (LogBudget). */
  'log_line',
  /** An exception out of a peer's input handling, caught at the thread's last line of defence. */
  'peer_exception',
] as const;

export type RefusedResource = (typeof REFUSED_RESOURCES)[number];

export type RefusalCounts = Partial<Record<RefusedResource, number>>;

/** One thread's refusal counts: counted here, taken by whoever reports them. */
class Refusals {
  private counts: RefusalCounts = {};
  private pending = false;

  count(resource: RefusedResource, times = 1): void {
    this.counts[resource] = (this.counts[resource] ?? 0) + times;
    this.pending = true;
  }

  /** The counts since the last take, or null when nothing was refused. */
  take(): RefusalCounts | null {
    if (!this.pending) return null;
    const counts = this.counts;
    this.counts = {};
    this.pending = false;
    return counts;
  }
}

/** This thread's refusals. */
export const refusals = new Refusals();
