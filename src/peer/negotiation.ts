import type { RTCPeerConnection } from 'werift';
import { answerAsDtlsServer } from '../webrtc/dtlsRole';
import { answerInOfferedCodecOrder } from '../webrtc/offeredCodecOrder';
import { setLocalDescriptionQuietly, type PeerConnectionOptions } from '../webrtc/peerConnectionFactory';
import { withReceivableVideoFormats } from '../webrtc/receivableOffer';
import type { ReceivedVideo } from '../webrtc/receivedVideo';

export class SessionClosedError extends Error {
  override name = 'SessionClosedError';
}

export interface OfferContext {
  pc: RTCPeerConnection;
  peerOptions: PeerConnectionOptions;
  /** What the decoders decode: werift sees only the offered video formats of it. */
  receivedVideo: ReceivedVideo;
}

/** Applies the client's offer to the connection and returns the answer with all ICE candidates. */
export async function answerOffer({ pc, peerOptions, receivedVideo }: OfferContext, offerSdp: string): Promise<string> {
  const receivable = withReceivableVideoFormats(offerSdp, receivedVideo);
  await pc.setRemoteDescription({ type: 'offer', sdp: receivable });
  answerAsDtlsServer(pc);
  answerInOfferedCodecOrder(pc, receivable);
  const answer = await pc.createAnswer();
  await setLocalDescriptionQuietly(pc, answer, peerOptions);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('no local description after negotiation');
  // werift gathers nothing, silently, when every port of its range is taken.
  if (!/^a=candidate:/m.test(sdp)) {
    throw new Error(`${NO_CANDIDATE}${peerOptions.portRange ? ` (ICE_PORT_RANGE ${peerOptions.portRange.join('-')} may be exhausted)` : ''}`);
  }
  return sdp;
}

/**
 * How an answer without any ICE candidate is reported. The error may come back from a media
 * worker as a message only, so the session manager recognises it by this beginning.
 */
export const NO_CANDIDATE = 'no ICE candidate could be gathered';

/**
 * The answer, or SessionClosedError when the session is released first or the negotiation
 * failed because it was closing: werift's own error says nothing useful to the client, and a
 * close during ICE gathering leaves werift's setLocalDescription pending forever.
 */
export function unlessClosedMeanwhile(negotiation: Promise<string>, released: Promise<unknown>, isActive: () => boolean): Promise<string> {
  const closedMeanwhile = released.then(() => {
    throw new SessionClosedError('session closed during negotiation');
  });
  return Promise.race([negotiation, closedMeanwhile]).catch((error: unknown) => {
    if (!isActive()) throw new SessionClosedError('session closed during negotiation');
    throw error;
  });
}
