import type { RTCPeerConnection } from 'werift';
import { keepCandidatesOn } from '../../client/sdpCandidates';
import { createPeerConnection, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';

export const LOOPBACK: PeerConnectionOptions = {
  iceServers: [],
  additionalHostAddresses: ['127.0.0.1'],
  interfaceAddress: '127.0.0.1',
  bundlePolicy: 'max-bundle',
};

/** Steps of an offer/answer between two werift peers in this process, where a test may step in. */
export interface NegotiationHooks {
  /** The answerer has applied the offer and has its transports; its answer is not made yet. */
  beforeAnswer?: (answerer: RTCPeerConnection) => void;
  /** The offerer has gathered; applying the answer will start its ICE. */
  beforeApplyingAnswer?: (offerer: RTCPeerConnection) => void;
}

/**
 * An offerer (video sendonly and a data channel, like the repo's client) and an answerer, both
 * on loopback only, negotiated without a server: the answer is werift's own unless a hook
 * changes it. Both start connecting; close them with closePeers().
 */
export async function negotiatePeers(hooks: NegotiationHooks = {}): Promise<{ offerer: RTCPeerConnection; answerer: RTCPeerConnection }> {
  const offerer = createPeerConnection(LOOPBACK);
  const answerer = createPeerConnection({ ...LOOPBACK, bundlePolicy: 'max-compat' });
  offerer.addTransceiver('video', { direction: 'sendonly' });
  offerer.createDataChannel('events');
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription({ type: 'offer', sdp: keepCandidatesOn(offerer.localDescription!.sdp, '127.0.0.1') });
  hooks.beforeAnswer?.(answerer);
  await answerer.setLocalDescription(await answerer.createAnswer());
  hooks.beforeApplyingAnswer?.(offerer);
  await offerer.setRemoteDescription({ type: 'answer', sdp: keepCandidatesOn(answerer.localDescription!.sdp, '127.0.0.1') });
  return { offerer, answerer };
}

export function connected(pc: RTCPeerConnection, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    const timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms (${pc.connectionState})`)), timeoutMs);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export async function closePeers(...peers: RTCPeerConnection[]): Promise<void> {
  await Promise.all(peers.map((pc) => pc.close()));
}

/** The `a=setup:` values of an SDP, one per m-section. */
export function setupAttributes(sdp: string): string[] {
  return [...sdp.matchAll(/^a=setup:(\S+)/gm)].map((match) => match[1]!);
}
