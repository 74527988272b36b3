import type { VideoCodecName } from '../webrtc/negotiatedCodecs';
import { offeredMedia } from '../webrtc/offeredCodecOrder';
import { receivedCodecNames } from '../webrtc/peerConnectionFactory';
import { HttpProblem } from './problem';

/** Checks the parsed body of POST /offer and returns the offer SDP. */
export function readOffer(body: unknown, videoCodecs: readonly VideoCodecName[]): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'Invalid offer', 'the body must be a JSON object {"sdp": "...", "type": "offer"}');
  }
  const { sdp, type } = body as { sdp?: unknown; type?: unknown };
  if (type !== 'offer') {
    throw new HttpProblem(400, 'Invalid offer', `"type" must be "offer", got ${JSON.stringify(type ?? null)}`);
  }
  if (typeof sdp !== 'string' || sdp.trim() === '') {
    throw new HttpProblem(400, 'Invalid offer', '"sdp" must be a non-empty string');
  }
  return checkOfferSdp(sdp, videoCodecs);
}

/** Rejects what is clearly not an SDP offer with media, or one with no codec of `videoCodecs` nor Opus, before werift sees it. */
export function checkOfferSdp(sdp: string, videoCodecs: readonly VideoCodecName[]): string {
  if (!sdp.startsWith('v=0')) {
    throw new HttpProblem(400, 'Invalid SDP', 'the SDP must start with "v=0"');
  }
  if (!/^m=(audio|video) /m.test(sdp)) {
    throw new HttpProblem(400, 'Invalid SDP', 'the offer has no audio or video m-section: nothing to analyse');
  }
  checkOfferedCodecs(sdp, videoCodecs);
  return sdp;
}

/** An offer none of whose audio or video sections has a codec we receive gets a 400 naming them. */
function checkOfferedCodecs(sdp: string, videoCodecs: readonly VideoCodecName[]): void {
  const media = offeredMedia(sdp);
  const receivable = media.some(({ kind, codecs }) => {
    const names = receivedCodecNames(kind, videoCodecs);
    return codecs.some((codec) => names.includes(codec.toUpperCase()));
  });
  if (receivable) return;
  const offered = media.map(({ kind, codecs }) => `${kind} ${codecs.join(', ') || 'without codecs'}`).join('; ');
  const received = (['video', 'audio'] as const).map((kind) => `${kind} ${receivedCodecNames(kind, videoCodecs).join(', ')}`).join('; ');
  throw new HttpProblem(400, 'Unsupported codecs', `no offered codec can be received: the offer has ${offered}; this server receives ${received}`);
}
