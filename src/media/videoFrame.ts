import { dePacketizeRtpPackets, type RtpPacket } from 'werift';
import type { VideoCodecName } from './decode/videoDecoder';
import type { AssembledFrame } from './frameAssembler';

/** A whole encoded video frame, as a decoder takes it. */
export interface VideoFrame extends AssembledFrame {
  codec: VideoCodecName;
  /** The VP8 or VP9 frame, or the H264 access unit in Annex-B form. */
  data: Buffer;
  keyframe: boolean;
}

/** werift's depacketizer names H264 by its MP4 codec name. */
const DEPACKETIZER_CODEC: Record<VideoCodecName, 'VP8' | 'VP9' | 'MPEG4/ISO/AVC'> = { VP8: 'VP8', VP9: 'VP9', H264: 'MPEG4/ISO/AVC' };

/** Strips the RTP payload formats (RFC 7741, RFC 9628, RFC 6184) off a frame's payloads; throws on a malformed one. */
export function depacketize(frame: AssembledFrame, codec: VideoCodecName): VideoFrame {
  const packets = frame.payloads.map((payload) => ({ payload, header: { sequenceNumber: 0, timestamp: frame.rtpTimestamp } }));
  const { data, isKeyframe } = dePacketizeRtpPackets(DEPACKETIZER_CODEC[codec], packets as unknown as RtpPacket[]);
  if (data.length === 0) throw new Error(`the ${codec} frame at RTP time ${frame.rtpTimestamp} has no payload`);
  return { ...frame, codec, data, keyframe: isKeyframe };
}
