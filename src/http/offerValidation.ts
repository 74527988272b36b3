import { HttpProblem } from './problem';

/** Checks the parsed body of POST /offer and returns the offer SDP. */
export function readOffer(body: unknown): string {
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
  return checkOfferSdp(sdp);
}

/** Rejects what is clearly not an SDP offer with media before werift sees it. */
export function checkOfferSdp(sdp: string): string {
  if (!sdp.startsWith('v=0')) {
    throw new HttpProblem(400, 'Invalid SDP', 'the SDP must start with "v=0"');
  }
  if (!/^m=(audio|video) /m.test(sdp)) {
    throw new HttpProblem(400, 'Invalid SDP', 'the offer has no audio or video m-section: nothing to analyse');
  }
  return sdp;
}
