import { CandidatePairState, type RTCPeerConnection } from 'werift';

/** What is read of werift's candidate pairs (ice/src/iceBase.js CandidatePair). */
interface PairView {
  state?: number;
  nominated?: boolean;
  requestsSent?: number;
  requestsReceived?: number;
  responsesReceived?: number;
  remoteCandidate?: { host?: unknown; port?: unknown };
}

/**
 * The remote transport addresses of a connection that were sent connectivity checks and gave no
 * sign of life, over all its ICE transports: every pair to the address failed, none got a
 * success response, and no check came from it. (An error response does not count as an answer,
 * but a peer that answers 401 before it has our answer, as WHIP clients do, also sends checks.) werift keeps no such list and exposes its check
 * list only on its ICE agent (`iceTransport.connection.checkList`, not in its typings): read
 * here, in src/webrtc/, so nothing else depends on werift's internals. Not a werift patch: it
 * only reads, and werift has no defect here; a patch would have to add this list to its API.
 */
export function unansweredRemoteAddresses(pc: RTCPeerConnection): Array<{ address: string; port: number }> {
  const sent = new Map<string, { address: string; port: number; answered: boolean }>();
  for (const transport of pc.iceTransports) {
    const pairs = (transport.connection as unknown as { checkList?: PairView[] }).checkList ?? [];
    for (const pair of pairs) {
      const { host, port } = pair.remoteCandidate ?? {};
      if (typeof host !== 'string' || typeof port !== 'number' || !(pair.requestsSent ?? 0)) continue;
      const key = `${host} ${port}`;
      const entry = sent.get(key) ?? { address: host, port, answered: false };
      entry.answered ||=
        pair.state !== CandidatePairState.FAILED || Boolean(pair.nominated) || (pair.responsesReceived ?? 0) > 0 || (pair.requestsReceived ?? 0) > 0;
      sent.set(key, entry);
    }
  }
  return [...sent.values()].filter(({ answered }) => !answered).map(({ address, port }) => ({ address, port }));
}
