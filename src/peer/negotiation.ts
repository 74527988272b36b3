import type { RTCPeerConnection } from 'werift';
import { answerAsDtlsServer } from '../webrtc/dtlsRole';
import { answerInOfferedCodecOrder } from '../webrtc/offeredCodecOrder';
import type { PeerConnectionOptions } from '../webrtc/peerConnectionFactory';
import { withReceivableVideoFormats } from '../webrtc/receivableOffer';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import type { CandidateIntake } from './candidateIntake';
import type { FingerprintPin } from './fingerprintPin';
import { SessionClosedError, NoCandidateError } from '../errors';

export interface OfferContext {
  pc: RTCPeerConnection;
  peerOptions: PeerConnectionOptions;
  /** What the decoders decode: werift sees only the offered video formats of it. */
  receivedVideo: ReceivedVideo;
  /** The session's remote candidates: werift sees only the offer's candidates it admits. */
  candidates: CandidateIntake;
  /** The session's DTLS fingerprints: a later offer must carry the first one's. */
  fingerprints: FingerprintPin;
}

/** Applies the client's offer to the connection and returns the answer with all ICE candidates. */
export async function answerOffer({ pc, peerOptions, receivedVideo, candidates, fingerprints }: OfferContext, offerSdp: string): Promise<string> {
  // Before anything is spent on the offer, and again on the text werift is given.
  fingerprints.check(offerSdp);
  const receivable = withReceivableVideoFormats(candidates.offer(offerSdp), receivedVideo);
  fingerprints.check(receivable);
  await pc.setRemoteDescription({ type: 'offer', sdp: receivable });
  answerAsDtlsServer(pc);
  answerInOfferedCodecOrder(pc, receivable);
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('no local description after negotiation');
  // werift gathers nothing, silently, when every port of its range is taken.
  if (!/^a=candidate:/m.test(sdp)) {
    throw new NoCandidateError(`no ICE candidate could be gathered${peerOptions.portRange ? ` (ICE_PORT_RANGE ${peerOptions.portRange.join('-')} may be exhausted)` : ''}`);
  }
  return sdp;
}

/**
 * The answer, or SessionClosedError when the session is released first or the negotiation
 * failed because it was closing: werift's own error says nothing useful to the client, and a
 * close during ICE gathering leaves werift's setLocalDescription pending forever.
 */
export function unlessClosedMeanwhile<T>(negotiation: Promise<T>, released: Promise<unknown>, isActive: () => boolean): Promise<T> {
  const closedMeanwhile = released.then(() => {
    throw new SessionClosedError('session closed during negotiation');
  });
  return Promise.race([negotiation, closedMeanwhile]).catch((error: unknown) => {
    if (!isActive()) throw new SessionClosedError('session closed during negotiation');
    throw error;
  });
}
