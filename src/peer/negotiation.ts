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
  /** Settles when the session is released. */
  released: Promise<unknown>;
  /** Whether the session is still in Active (a close has not begun). */
  isActive: () => boolean;
}

/**
 * Applies the client's offer and returns the answer with all ICE candidates. A session closed
 * meanwhile fails with SessionClosedError rather than werift's own error, which says nothing
 * useful to the client.
 */
export async function answerOffer({ pc, peerOptions, receivedVideo, released, isActive }: OfferContext, offerSdp: string): Promise<string> {
  const negotiation = (async () => {
    const receivable = withReceivableVideoFormats(offerSdp, receivedVideo);
    await pc.setRemoteDescription({ type: 'offer', sdp: receivable });
    answerAsDtlsServer(pc);
    answerInOfferedCodecOrder(pc, receivable);
    const answer = await pc.createAnswer();
    await setLocalDescriptionQuietly(pc, answer, peerOptions);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description after negotiation');
    return sdp;
  })();
  // A close during ICE gathering leaves werift's setLocalDescription pending forever.
  const closedMeanwhile = released.then(() => {
    throw new SessionClosedError('session closed during negotiation');
  });
  return Promise.race([negotiation, closedMeanwhile]).catch((error: unknown) => {
    if (!isActive()) throw new SessionClosedError('session closed during negotiation');
    throw error;
  });
}
