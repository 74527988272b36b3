import type { Logger } from '../logger';
import type { PeerSession } from './peerSession';

/**
 * Ends a session when the maximum duration its credential allows is over (a JWT's
 * `max_duration`), as a DELETE would: CLOSE_REQUESTED, reason client_request. The timer goes
 * with the session's release and never keeps the process alive.
 */
export function endAtCredentialDeadline(peer: PeerSession, afterMs: number, logger: Logger): void {
  const timer = setTimeout(() => {
    logger.info('Session reached the maximum duration of its credential', { session_id: peer.id, max_duration_ms: afterMs });
    void peer.close('CLOSE_REQUESTED');
  }, afterMs);
  timer.unref();
  void peer.released.then(() => clearTimeout(timer));
}
