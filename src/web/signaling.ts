/// <reference lib="dom" />
import type { OfferAnswer } from '../protocol';
import { authorizedFetch, problemDetail } from './pageAuth';

/** Resolves once ICE gathering is complete, so the offer carries every candidate. */
export function iceGatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const onChange = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

/** Non-trickle offer/answer over POST /offer; returns the server's session id. */
export async function negotiate(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  const offer = pc.localDescription;
  if (!offer) throw new Error('no local description after gathering');

  const response = await authorizedFetch('/offer', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp: offer.sdp, type: 'offer' }),
  });
  if (!response.ok) throw new Error(`offer refused (${response.status}): ${await problemDetail(response)}`);
  const answer = (await response.json()) as OfferAnswer;
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  return answer.session_id;
}
