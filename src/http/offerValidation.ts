import { refusals } from '../limits/refusals';
import type { InputLimits } from '../limitsConfig';
import { describeH264Format } from '../webrtc/h264Profiles';
import { offeredMedia, type OfferedMedia } from '../webrtc/offeredCodecOrder';
import { offerShape, type OfferShape } from '../webrtc/offerShape';
import { describeReceivedVideo, RECEIVED_AUDIO_CODEC, receivesVideoFormat, type ReceivedVideo } from '../webrtc/receivedVideo';
import { HttpProblem, isError } from '../errors';

/** What an offer must fit (the session manager has both). */
export interface OfferRules {
  /** The video formats the decoders take; audio is Opus. */
  receivedVideo: ReceivedVideo;
  /** Video tracks, and audio tracks, one session may send (MAX_TRACKS_PER_KIND). */
  maxTracksPerKind: number;
  /** m-sections one offer may have (MAX_MEDIA_SECTIONS). */
  maxMediaSections: number;
  /** ICE transports one offer may need (MAX_ICE_TRANSPORTS; 1: BUNDLE required). */
  maxIceTransports: number;
}

/** The rules of the server's offers: the manager's codecs and track limit, and the input limits. */
export function offerRules(
  manager: Pick<OfferRules, 'receivedVideo' | 'maxTracksPerKind'>,
  { maxMediaSections, maxIceTransports }: Pick<InputLimits, 'maxMediaSections' | 'maxIceTransports'>,
): OfferRules {
  return { receivedVideo: manager.receivedVideo, maxTracksPerKind: manager.maxTracksPerKind, maxMediaSections, maxIceTransports };
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
 * Rejects what is clearly not an SDP offer with media, one whose lines werift would read
 * otherwise than our checks, one over a budget (m-sections, ICE transports, tracks of a kind),
 * or one with no video format the rules receive nor Opus, before werift sees it. Every check of
 * its structure reads werift's own parse of it (offerShape). Refusals of the budgets and of the
 * lines count as `input_refused_total{resource="sdp_offer"}`.
 */
export function checkOfferSdp(sdp: string, rules: OfferRules): string {
  if (!sdp.startsWith('v=0')) {
    throw new HttpProblem(400, 'Invalid SDP', 'the SDP must start with "v=0"');
  }
  const shape = refusedAsSdpOffer(() => shapeOf(sdp));
  if (!/^m=(audio|video) /m.test(sdp)) {
    throw new HttpProblem(400, 'Invalid SDP', 'the offer has no audio or video m-section: nothing to analyse');
  }
  refusedAsSdpOffer(() => checkSectionCount(shape, rules.maxMediaSections));
  checkOfferedCodecs(sdp, rules.receivedVideo);
  refusedAsSdpOffer(() => {
    checkTransports(shape, rules.maxIceTransports);
    checkTrackCounts(shape, rules.maxTracksPerKind);
  });
  return sdp;
}

function refusedAsSdpOffer<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isError(error, 'HttpProblem')) refusals.count('sdp_offer');
    throw error;
  }
}

function shapeOf(sdp: string): OfferShape {
  try {
    return offerShape(sdp);
  } catch (error) {
    if (isError(error, 'OfferShapeError')) throw new HttpProblem(400, 'Invalid SDP', error.message);
    throw error;
  }
}

/** Too many m-sections: each costs werift a transceiver, and parsing, whatever its port. */
function checkSectionCount(shape: OfferShape, maxMediaSections: number): void {
  if (shape.sections > maxMediaSections) {
    throw new HttpProblem(400, 'Too many media sections', `the offer has ${shape.sections} m-sections; this server takes at most ${maxMediaSections} (MAX_MEDIA_SECTIONS)`);
  }
}

/** Sections needing more ICE transports, each a UDP socket per local address, than one session may open. */
function checkTransports(shape: OfferShape, maxIceTransports: number): void {
  if (shape.transports <= maxIceTransports) return;
  const needs = maxIceTransports === 1 ? 'every m-section in one BUNDLE group' : `at most ${maxIceTransports} ICE transports`;
  throw new HttpProblem(
    400,
    'Too many ICE transports',
    `the offer needs ${shape.transports} ICE transports (an m-section outside a BUNDLE group takes one of its own); this server takes ${needs} (MAX_ICE_TRANSPORTS)`,
  );
}

/** An offer sending more than `max` video tracks, or more than `max` audio tracks, gets a 400 naming the limit. */
export function checkTrackCounts(offer: string | OfferShape, max: number): void {
  const counts = typeof offer === 'string' ? shapeOf(offer).tracks : offer.tracks;
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
