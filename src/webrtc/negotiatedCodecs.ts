import type { MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver } from 'werift';

/** The video codecs the server can receive and decode, as werift names them in the negotiated codec. */
export type VideoCodecName = 'VP8' | 'VP9' | 'H264';

const DECODED: Record<string, VideoCodecName> = { 'video/vp8': 'VP8', 'video/vp9': 'VP9', 'video/h264': 'H264' };

/** The transceiver whose receiver delivers `track`. */
export function transceiverOf(pc: RTCPeerConnection, track: MediaStreamTrack): RTCRtpTransceiver | undefined {
  return pc.getTransceivers().find((transceiver) => transceiver.receiver.tracks.includes(track));
}

/** Maps a payload type of the track's transceiver to the video codec negotiated for it, if decoded here. */
export function videoCodecLookup(transceiver: RTCRtpTransceiver | undefined): (payloadType: number) => VideoCodecName | undefined {
  return (payloadType) => {
    const codec = transceiver?.codecs.find((candidate) => candidate.payloadType === payloadType);
    return codec ? DECODED[codec.mimeType.toLowerCase()] : undefined;
  };
}
