import { dePacketizeRtpPackets, Vp9RtpPayload, type RtpPacket } from 'werift';
import { isAv1Keyframe, splitObus, temporalUnit } from './av1Obus';
import { vp9Frames, withSuperframeIndex } from './bitstream/vp9Header';
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
  if (codec === 'VP9') return { ...frame, codec, ...vp9Chunk(frame.payloads) };
  const packets = frame.payloads.map((payload) => ({ payload, header: { sequenceNumber: 0, timestamp: frame.rtpTimestamp } }));
  const { data, isKeyframe } = dePacketizeRtpPackets(DEPACKETIZER_CODEC[codec], packets as unknown as RtpPacket[]);
  if (data.length === 0) throw new Error(`the ${codec} frame at RTP time ${frame.rtpTimestamp} has no payload`);
  if (codec === 'AV1') return { ...frame, codec, ...av1TemporalUnit(data) };
  return { ...frame, codec, data, keyframe: isKeyframe };
}

/**
 * A VP9 picture as one chunk with a superframe index listing each of its frames: a frame per
 * spatial layer (each begins at a packet with the B bit, RFC 9628), or the frames of a
 * superframe a sender packed whole. libvpx decodes exactly the frames the index lists, each of
 * whose headers the size check reads; without an index it would decode anything that follows
 * the first frame's end as another frame, unseen by the check (a picture bomb behind a small frame).
 */
function vp9Chunk(payloads: readonly Buffer[]): { data: Buffer; keyframe: boolean } {
  const layers: Buffer[][] = [];
  let keyframe = false;
  for (const payload of payloads) {
    const packet = Vp9RtpPayload.deSerialize(payload);
    if (packet.isKeyframe) keyframe = true;
    if (packet.bBit || layers.length === 0) layers.push([]);
    if (packet.payload) layers.at(-1)!.push(packet.payload);
  }
  const frames = layers.flatMap((layer) => {
    const split = vp9Frames(Buffer.concat(layer));
    if (typeof split === 'string') throw new Error(split);
    return split;
  });
  const nonEmpty = frames.filter((data) => data.length > 0);
  if (nonEmpty.length === 0) throw new Error('the VP9 frame has no payload');
  return { data: withSuperframeIndex(nonEmpty), keyframe };
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
