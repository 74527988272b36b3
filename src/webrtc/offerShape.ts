import { SessionDescription } from 'werift';
import { OfferShapeError } from '../errors';

/**
 * What an offer would make werift build, read with werift's own parser (SessionDescription.parse,
 * the one setRemoteDescription uses): a check that read the text its own way could be shown one
 * thing while werift acts on another (a line `a=x\na=inactive` hid a direction from a check that
 * split on LF while werift splits on CRLF).
 */
export interface OfferShape {
  /** Every m-section, of any kind or port. */
  sections: number;
  /** Sections that may send us a track: audio or video, port not 0, a direction of their own other than recvonly or inactive. */
  tracks: { audio: number; video: number };
  /** ICE transports (each a UDP socket per local address) werift would gather for the offer. */
  transports: number;
}

/**
 * Why the SDP's lines are not read alike by every reader, or undefined. werift splits on CRLF,
 * or on LF when the text has no CRLF at all; the checks here split the same way. A
 * CR or LF that is not part of that line ending, or another control character (which regular
 * expressions and trim() treat as line breaks or spaces where werift does not), is refused.
 */
export function sdpLineProblem(sdp: string): string | undefined {
  const crlf = sdp.includes('\r\n');
  const lines = crlf ? sdp.split('\r\n') : sdp.split('\n');
  for (const [index, line] of lines.entries()) {
    // eslint-disable-next-line no-control-regex
    const bad = /[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]/.exec(line);
    if (!bad) continue;
    const what = bad[0] === '\r' ? 'a bare CR' : bad[0] === '\n' ? 'a bare LF' : `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
    return `line ${index + 1} holds ${what}; every line must end with CRLF${crlf ? '' : ' (or every line with LF)'}`;
  }
  return undefined;
}

/** The shape of an offer as werift would apply it (a bundle-only section of the BUNDLE group on port 0 is accepted: patch 017). */
export function offerShape(sdp: string): OfferShape {
  const problem = sdpLineProblem(sdp);
  if (problem) throw new OfferShapeError(problem);
  let description: SessionDescription;
  try {
    description = SessionDescription.parse(sdp);
  } catch (error) {
    throw new OfferShapeError(`the SDP does not parse: ${(error as Error)?.message || 'malformed line'}`);
  }
  const tracks = { audio: 0, video: 0 };
  for (const media of description.media) {
    // werift (TransceiverManager.setRemoteRTP) takes a section without a direction of its own as
    // inactive; counting it as RFC 3264's sendrecv keeps the count at or above werift's.
    const sending = media.direction !== 'recvonly' && media.direction !== 'inactive';
    if ((media.kind === 'audio' || media.kind === 'video') && media.port !== 0 && sending) tracks[media.kind] += 1;
  }
  return { sections: description.media.length, tracks, transports: transportCount(description) };
}

/**
 * The transports werift's setRemoteDescription gives a remote offer (RTCPeerConnection's
 * "transport ownership"): one per BUNDLE group with a member, one per other section whose port is
 * not 0. An upper bound: a group whose only members are rejected still counts.
 */
function transportCount(description: SessionDescription): number {
  const groups = description.group.filter((group) => group.semantic === 'BUNDLE');
  const groupOf = (mid: string | undefined) => (mid === undefined ? undefined : groups.find((group) => group.items.includes(mid)));
  const used = new Set<unknown>();
  let ungrouped = 0;
  for (const media of description.media) {
    const group = groupOf(media.rtp.muxId);
    if (group) used.add(group);
    else if (media.port !== 0) ungrouped += 1;
  }
  return used.size + ungrouped;
}
