import { dePacketizeRtpPackets, type RtpPacket } from 'werift';
import { isAv1Keyframe, splitObus, temporalUnit } from './av1Obus';
import type { VideoCodecName } from './decode/videoDecoder';
import type { AssembledFrame } from './frameAssembler';

/** A whole encoded video frame, as a decoder takes it. */
export interface VideoFrame extends AssembledFrame {
  codec: VideoCodecName;
  /** The VP8 or VP9 frame, the H264 access unit in Annex-B form, or the AV1 temporal unit. */
  data: Buffer;
  keyframe: boolean;
}

/** werift's depacketizer names H264 by its MP4 codec name. */
const DEPACKETIZER_CODEC: Record<VideoCodecName, 'VP8' | 'VP9' | 'MPEG4/ISO/AVC' | 'AV1'> = {
  VP8: 'VP8',
  VP9: 'VP9',
  H264: 'MPEG4/ISO/AVC',
  AV1: 'AV1',
};

/** Strips the RTP payload formats (RFC 7741, RFC 9628, RFC 6184, AV1 RTP) off a frame's payloads; throws on a malformed one. */
export function depacketize(frame: AssembledFrame, codec: VideoCodecName): VideoFrame {
  const packets = frame.payloads.map((payload) => ({ payload, header: { sequenceNumber: 0, timestamp: frame.rtpTimestamp } }));
  const { data, isKeyframe } = dePacketizeRtpPackets(DEPACKETIZER_CODEC[codec], packets as unknown as RtpPacket[]);
  if (data.length === 0) throw new Error(`the ${codec} frame at RTP time ${frame.rtpTimestamp} has no payload`);
  if (codec === 'AV1') return { ...frame, codec, ...av1TemporalUnit(data) };
  return { ...frame, codec, data, keyframe: isKeyframe };
}

/**
 * werift's AV1 depacketizer gives the frame's OBUs with a size field on all but the last, which
 * keeps its RTP form (none), and no temporal delimiter (senders drop it). The decoder takes
 * whole temporal units in low-overhead form (each OBU sized), as in IVF files. A keyframe is
 * one the decoder can start at (a sequence header and a key frame), read from the OBUs: the
 * packets' N bit only says a new coded video sequence starts, and not every sender sets it.
 */
function av1TemporalUnit(data: Buffer): { data: Buffer; keyframe: boolean } {
  const obus = splitObus(data);
  return { data: temporalUnit(obus), keyframe: isAv1Keyframe(obus) };
}
