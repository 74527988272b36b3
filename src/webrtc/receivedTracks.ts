import { offerShape } from './offerShape';

export interface TrackCounts {
  audio: number;
  video: number;
}

/**
 * How many audio and video tracks an offer would send us, read by werift's own parser
 * (offerShape): its audio and video m-sections whose port is not 0 (a bundle-only section of
 * the BUNDLE group, port 0 as GStreamer offers it, is received and counts) and whose own
 * direction is not recvonly or inactive. Throws OfferShapeError for an offer werift would read
 * differently from us.
 */
export function receivedTrackCounts(sdp: string): TrackCounts {
  return offerShape(sdp).tracks;
}
