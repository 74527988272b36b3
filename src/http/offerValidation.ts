import { describeH264Format } from '../webrtc/h264Profiles';
import { offeredMedia, type OfferedMedia } from '../webrtc/offeredCodecOrder';
import { receivedTrackCounts } from '../webrtc/receivedTracks';
import { describeReceivedVideo, RECEIVED_AUDIO_CODEC, receivesVideoFormat, type ReceivedVideo } from '../webrtc/receivedVideo';
import { HttpProblem } from './problem';

/** What an offer must fit (the session manager has both). */
export interface OfferRules {
  /** The video formats the decoders take; audio is Opus. */
  receivedVideo: ReceivedVideo;
  /** Video tracks, and audio tracks, one session may send (MAX_TRACKS_PER_KIND). */
  maxTracksPerKind: number;
}

/** Checks the parsed body of POST /offer and returns the offer SDP. */
export function readOffer(body: unknown, rules: OfferRules): string {
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
  return checkOfferSdp(sdp, rules);
}

/**
 * Rejects what is clearly not an SDP offer with media, one sending more tracks of a kind than
 * the rules allow, or one with no video format the rules receive nor Opus, before werift sees it.
 */
export function checkOfferSdp(sdp: string, rules: OfferRules): string {
  if (!sdp.startsWith('v=0')) {
    throw new HttpProblem(400, 'Invalid SDP', 'the SDP must start with "v=0"');
  }
  if (!/^m=(audio|video) /m.test(sdp)) {
    throw new HttpProblem(400, 'Invalid SDP', 'the offer has no audio or video m-section: nothing to analyse');
  }
  checkTrackCounts(sdp, rules.maxTracksPerKind);
  checkOfferedCodecs(sdp, rules.receivedVideo);
  return sdp;
}

/** An offer sending more than `max` video tracks, or more than `max` audio tracks, gets a 400 naming the limit. */
export function checkTrackCounts(sdp: string, max: number): void {
  const counts = receivedTrackCounts(sdp);
  const over = (['video', 'audio'] as const).filter((kind) => counts[kind] > max);
  if (over.length === 0) return;
  const offered = over.map((kind) => `${counts[kind]} ${kind} tracks`).join(' and ');
  throw new HttpProblem(400, 'Too many tracks', `the offer has ${offered}; this server takes at most ${max} per kind (MAX_TRACKS_PER_KIND)`);
}

/** An offer none of whose audio or video sections has a format we receive gets a 400 naming them. */
function checkOfferedCodecs(sdp: string, received: ReceivedVideo): void {
  const media = offeredMedia(sdp);
  const receivable = media.some(({ kind, formats }) =>
    formats.some((format) => (kind === 'video' ? receivesVideoFormat(received, format) : format.name.toUpperCase() === RECEIVED_AUDIO_CODEC)),
  );
  if (receivable) return;
  const offered = media.map((section) => `${section.kind} ${describeOffered(section) || 'without codecs'}`).join('; ');
  throw new HttpProblem(
    400,
    'Unsupported codecs',
    `no offered codec can be received: the offer has ${offered}; this server receives video ${describeReceivedVideo(received)}; audio ${RECEIVED_AUDIO_CODEC}`,
  );
}

/** The section's codecs, H264 with its formats' profiles: `H264 (high, main packetization-mode 0), rtx`. */
function describeOffered({ codecs, formats }: OfferedMedia): string {
  return codecs
    .map((codec) => {
      if (codec.toUpperCase() !== 'H264') return codec;
      const profiles = formats.filter((format) => format.name === codec).map((format) => describeH264Format(format.fmtp));
      return `${codec} (${[...new Set(profiles)].join(', ')})`;
    })
    .join(', ');
}
