import type { InstanceInfo } from '../cluster/instanceRegistry';
import { HttpProblem, isError } from '../errors';

/** The problem a client gets when its offer (first or renegotiating) is refused; other errors pass through. */
function offerProblem(error: unknown): unknown {
  if (isError(error, 'NotAcceptingError')) {
    return new HttpProblem(503, 'Not accepting sessions', error.message, { 'Retry-After': '5' });
  }
  if (isError(error, 'NegotiationError')) {
    return new HttpProblem(400, 'Offer rejected', `the offer could not be negotiated: ${error.message}`);
  }
  if (isError(error, 'SessionClosedError')) return new HttpProblem(409, 'Session closing', error.message);
  // 409: the offer is well formed (as a new session's it would be taken) but conflicts with the
  // session's state, the certificate it was created with; 403 would speak of the caller's rights.
  if (isError(error, 'FingerprintChangedError')) return new HttpProblem(409, 'DTLS fingerprint changed', error.message);
  return error;
}

/** Runs `work`; an error it throws is replaced by the problem `problemOf` makes of it. */
function answeringWith(problemOf: (error: unknown) => unknown) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw problemOf(error);
    }
  };
}

/** Runs a negotiation (a first offer or a renegotiation); a refused offer becomes its problem. */
export const negotiate = answeringWith(offerProblem);

/** The problem for a question about the cluster's sessions that could not be answered; other errors pass through. */
function clusterProblem(error: unknown): unknown {
  if (isError(error, 'ClusterUnavailableError')) return new HttpProblem(503, 'Cluster unavailable', error.message, { 'Retry-After': '2' });
  if (isError(error, 'InstanceUnreachableError')) {
    return new HttpProblem(503, 'Instance unreachable', `the instance holding this session did not answer: ${error.message}`, { 'Retry-After': '2' });
  }
  return error;
}

/** Asks the cluster (GET, DELETE of a session another instance may hold); an unanswerable question becomes its problem. */
export const askCluster = answeringWith(clusterProblem);

/** The problem for a WHIP PATCH that was refused (RFC 9725 section 4.3); other errors pass through. */
function iceUpdateProblem(error: unknown): unknown {
  // The fragment is applied where the connection lives, maybe a media worker: isError knows its errors too.
  if (isError(error, 'IceFragmentError')) return new HttpProblem(400, 'Invalid ICE fragment', error.message);
  if (isError(error, 'IcePreconditionError')) return new HttpProblem(412, 'Precondition failed', error.message);
  if (isError(error, 'NoCandidateError')) {
    return new HttpProblem(503, 'ICE restart refused', `${error.message}; the current ICE session is kept`, { 'Retry-After': '5' });
  }
  if (isError(error, 'SessionClosedError')) return new HttpProblem(409, 'Session closing', error.message);
  // An ICE restart is applied as the last offer with new credentials: its fingerprint is the session's, unless that check is broken.
  if (isError(error, 'FingerprintChangedError')) return new HttpProblem(409, 'DTLS fingerprint changed', error.message);
  return error;
}

/** Runs a WHIP PATCH; a refused one becomes its problem. */
export const updatingIce = answeringWith(iceUpdateProblem);

/** A request for a session's connection sent to an instance that does not hold it: the media lives on its owner. */
export function misdirected(id: string, owner: InstanceInfo, what: string): HttpProblem {
  const where = owner.url ? ` (${owner.url})` : '';
  return new HttpProblem(421, 'Session held by another instance', `session "${id}" lives on instance ${owner.instance_id}${where}: send its ${what} there`);
}
