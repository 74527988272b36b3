import type { MediaStreamTrack, RTCPeerConnection, RTCRtpTransceiver } from 'werift';

/** The video codecs the server can receive and decode, as werift names them in the negotiated codec. */
export type VideoCodecName = 'VP8' | 'VP9' | 'H264' | 'AV1';

/** By lower-case MIME type; AV1X is AV1's name in early implementations, which werift also matches. */
const DECODED: Record<string, VideoCodecName> = {
  'video/vp8': 'VP8',
  'video/vp9': 'VP9',
  'video/h264': 'H264',
  'video/av1': 'AV1',
  'video/av1x': 'AV1',
};

/** The codec an SDP codec name (`VP8`, `h264`, `AV1X`) stands for, if one decoded here. */
export function videoCodecNamed(name: string): VideoCodecName | undefined {
  return DECODED[`video/${name.toLowerCase()}`];
}

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
