import { randomInt } from 'node:crypto';
import { RtpHeader, RtpPacket } from 'werift';

export const VIDEO_CLOCK_RATE = 90_000;
export const OPUS_CLOCK_RATE = 48_000;
export const OPUS_FRAME_MS = 20;
/** RTP timestamp ticks per 20 ms Opus frame at 48 kHz. */
export const OPUS_FRAME_TICKS = (OPUS_CLOCK_RATE * OPUS_FRAME_MS) / 1000;

/** Payload bytes of each video RTP packet, VP8 payload descriptor included. */
export const VP8_PACKET_PAYLOAD_BYTES = 1000;
const VP8_DESCRIPTOR_BYTES = 4;
const VP8_KEYFRAME_INTERVAL = 30;
const VP8_FRAME_WIDTH = 320;
const VP8_FRAME_HEIGHT = 240;
/** A first-partition size that fits in the first packet; decoders never see this data. */
const VP8_FIRST_PARTITION_BYTES = 100;

/** The common Opus "silence" frame: TOC 0xf8 (CELT fullband 20 ms, mono, one frame) + 2 bytes. */
const OPUS_SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

/** Sequence number and timestamp of one RTP stream, starting at random values (RFC 3550). */
class RtpClock {
  private sequenceNumber = randomInt(0, 0x1_0000);
  private timestamp = randomInt(0, 0x1_0000_0000);

  constructor(private readonly payloadType: () => number) {}

  packet(payload: Buffer, marker: boolean): RtpPacket {
    const header = new RtpHeader({
      payloadType: this.payloadType(),
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      marker,
    });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    return new RtpPacket(header, payload);
  }

  advance(ticks: number): void {
    this.timestamp = (this.timestamp + ticks) >>> 0;
  }
}

/**
 * Frames that look like VP8 at the RTP level (RFC 7741): a payload descriptor on every
 * packet, a VP8 payload header on each frame's first packet (a keyframe header every
 * 30 frames, starting with the first), filler after that. Not decodable.
 */
export class SyntheticVp8Source {
  private readonly clock: RtpClock;
  private pictureId = randomInt(0, 0x8000);
  private framesMade = 0;

  constructor(payloadType: () => number) {
    this.clock = new RtpClock(payloadType);
  }

  /** The packets of the next frame; all share one timestamp, the last carries the marker bit. */
  nextFrame(packetsPerFrame: number, timestampStep: number): RtpPacket[] {
    const keyframe = this.framesMade % VP8_KEYFRAME_INTERVAL === 0;
    const packets: RtpPacket[] = [];
    for (let index = 0; index < packetsPerFrame; index++) {
      const first = index === 0;
      const payload = Buffer.alloc(VP8_PACKET_PAYLOAD_BYTES, this.framesMade & 0xff);
      this.writeDescriptor(payload, first);
      if (first) writeVp8PayloadHeader(payload, VP8_DESCRIPTOR_BYTES, keyframe);
      packets.push(this.clock.packet(payload, index === packetsPerFrame - 1));
    }
    this.clock.advance(timestampStep);
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    this.framesMade++;
    return packets;
  }

  /** X=1, S on a frame's first packet, PID 0; I=1; 15-bit PictureID (M=1), as libwebrtc sends. */
  private writeDescriptor(payload: Buffer, startOfFrame: boolean): void {
    payload[0] = 0x80 | (startOfFrame ? 0x10 : 0);
    payload[1] = 0x80;
    payload.writeUInt16BE(0x8000 | this.pictureId, 2);
  }
}

/** VP8 frame tag (RFC 6386 9.1): P bit 0 = keyframe, version 0, show_frame 1. */
function writeVp8PayloadHeader(payload: Buffer, offset: number, keyframe: boolean): void {
  const size = VP8_FIRST_PARTITION_BYTES;
  payload[offset] = (keyframe ? 0 : 1) | (1 << 4) | ((size & 0x7) << 5);
  payload[offset + 1] = (size >> 3) & 0xff;
  payload[offset + 2] = (size >> 11) & 0xff;
  if (!keyframe) return;
  payload.set([0x9d, 0x01, 0x2a], offset + 3);
  payload.writeUInt16LE(VP8_FRAME_WIDTH, offset + 6);
  payload.writeUInt16LE(VP8_FRAME_HEIGHT, offset + 8);
}

/** One Opus silence frame per 20 ms of audio; the first packet marks the talkspurt start. */
export class SyntheticOpusSource {
  private readonly clock: RtpClock;
  private framesMade = 0;

  constructor(payloadType: () => number) {
    this.clock = new RtpClock(payloadType);
  }

  /** The next 20 ms packet: silence, or the given Opus payload. */
  nextFrame(payload: Buffer = Buffer.from(OPUS_SILENCE_FRAME)): RtpPacket {
    const packet = this.clock.packet(payload, this.framesMade === 0);
    this.clock.advance(OPUS_FRAME_TICKS);
    this.framesMade++;
    return packet;
  }
}

/**
 * RTP ticks between video frames sent every `intervalMs`: 90000 / fps, with fps rounded to
 * an integer when it is at least 1 (33 ms -> 30 fps -> 3000). Unpaced sending (0 ms) is
 * stamped as 30 fps so frames keep distinct timestamps.
 */
export function videoTimestampStep(intervalMs: number): number {
  if (intervalMs <= 0) return videoTimestampStepForFps(30);
  const fps = Math.round(1000 / intervalMs);
  return fps >= 1 ? videoTimestampStepForFps(fps) : Math.round((VIDEO_CLOCK_RATE * intervalMs) / 1000);
}

export function videoTimestampStepForFps(fps: number): number {
  return Math.round(VIDEO_CLOCK_RATE / fps);
}
