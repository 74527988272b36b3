import { randomInt } from 'node:crypto';
import { RtpHeader, RtpPacket } from 'werift';
import { packetizeAv1 } from './av1Packetizer';
import { H264_NAL, h264NalType, splitAnnexBNalUnits } from './h264File';
import { isVp9Keyframe } from './ivfFile';
import type { VideoFileCodec } from './videoFile';

/** RTP payload bytes per packet, payload headers included; leaves room for RTP, extensions and SRTP. */
export const MAX_RTP_PAYLOAD_BYTES = 1100;
const MIN_RTP_PAYLOAD_BYTES = 16;

/** X=1, I=1 with a 15-bit PictureID (M=1): the 4-byte form libwebrtc sends. */
export const VP8_DESCRIPTOR_BYTES = 4;
const PICTURE_ID_MASK = 0x7fff;

const STAP_A = 24;
const FU_A = 28;
const FU_HEADER_BYTES = 2;
const STAP_A_SIZE_BYTES = 2;

/**
 * RFC 7741 payloads of one VP8 frame (a single partition): each is a payload descriptor
 * (X=1, S=1 on the first packet only, PID 0, I=1, M=1 PictureID) and the next slice of the frame.
 */
export function packetizeVp8(frame: Buffer, pictureId: number, maxPayloadBytes = MAX_RTP_PAYLOAD_BYTES): Buffer[] {
  checkMaxPayload(maxPayloadBytes);
  if (frame.length === 0) throw new Error('Cannot packetize an empty VP8 frame');
  const id = pictureId & PICTURE_ID_MASK;
  return splitEvenly(frame, maxPayloadBytes - VP8_DESCRIPTOR_BYTES).map((chunk, index) =>
    Buffer.concat([Buffer.from([index === 0 ? 0x90 : 0x80, 0x80, 0x80 | (id >> 8), id & 0xff]), chunk]),
  );
}

/** I=1 with a 15-bit picture ID (M=1), as libwebrtc sends; no layer indices, no scalability structure. */
export const VP9_DESCRIPTOR_BYTES = 3;
const VP9_I = 0x80;
const VP9_P = 0x40;
const VP9_B = 0x08;
const VP9_E = 0x04;

/**
 * RFC 9628 payloads of one VP9 frame (one spatial layer, non-flexible mode): each is a payload
 * descriptor (I=1 with the 15-bit picture ID; P=0 on key frames; B on the first packet, E on
 * the last) and the next slice of the frame.
 */
export function packetizeVp9(frame: Buffer, pictureId: number, maxPayloadBytes = MAX_RTP_PAYLOAD_BYTES): Buffer[] {
  checkMaxPayload(maxPayloadBytes);
  if (frame.length === 0) throw new Error('Cannot packetize an empty VP9 frame');
  const id = pictureId & PICTURE_ID_MASK;
  const predicted = isVp9Keyframe(frame) ? 0 : VP9_P;
  const chunks = splitEvenly(frame, maxPayloadBytes - VP9_DESCRIPTOR_BYTES);
  return chunks.map((chunk, index) => {
    const flags = VP9_I | predicted | (index === 0 ? VP9_B : 0) | (index === chunks.length - 1 ? VP9_E : 0);
    return Buffer.concat([Buffer.from([flags, 0x80 | (id >> 8), id & 0xff]), chunk]);
  });
}

export interface H264PacketizeOptions {
  maxPayloadBytes?: number;
  /** Carry consecutive SPS and PPS in one STAP-A packet when they fit. Default true. */
  stapA?: boolean;
}

/**
 * RFC 6184 packetization-mode 1 payloads of one Annex-B access unit: a NAL unit that fits is
 * sent whole (single NAL unit packet), a larger one in FU-A fragments; SPS and PPS may share
 * a STAP-A packet.
 */
export function packetizeH264(accessUnit: Buffer, options: H264PacketizeOptions = {}): Buffer[] {
  const maxPayloadBytes = options.maxPayloadBytes ?? MAX_RTP_PAYLOAD_BYTES;
  checkMaxPayload(maxPayloadBytes);
  const units = splitAnnexBNalUnits(accessUnit);
  const payloads: Buffer[] = [];
  for (let index = 0; index < units.length; ) {
    const aggregated = options.stapA === false ? [] : parameterSetRun(units, index, maxPayloadBytes);
    if (aggregated.length >= 2) {
      payloads.push(stapA(aggregated));
      index += aggregated.length;
      continue;
    }
    const unit = units[index++]!;
    if (unit.length <= maxPayloadBytes) payloads.push(unit);
    else payloads.push(...fuA(unit, maxPayloadBytes));
  }
  if (payloads.length === 0) throw new Error('Cannot packetize an H264 access unit without NAL units');
  return payloads;
}

/** The SPS and PPS from `start` on that fit together in one STAP-A packet. */
function parameterSetRun(units: Buffer[], start: number, maxPayloadBytes: number): Buffer[] {
  const run: Buffer[] = [];
  let size = 1;
  for (const unit of units.slice(start)) {
    const type = h264NalType(unit);
    if (type !== H264_NAL.SPS && type !== H264_NAL.PPS) break;
    if (size + STAP_A_SIZE_BYTES + unit.length > maxPayloadBytes) break;
    size += STAP_A_SIZE_BYTES + unit.length;
    run.push(unit);
  }
  return run;
}

/** STAP-A (RFC 6184 5.7.1): F is the OR and NRI the maximum of the aggregated units'. */
function stapA(units: Buffer[]): Buffer {
  const forbidden = units.reduce((bit, unit) => bit | (unit[0]! & 0x80), 0);
  const nri = units.reduce((max, unit) => Math.max(max, unit[0]! & 0x60), 0);
  const parts: Buffer[] = [Buffer.from([forbidden | nri | STAP_A])];
  for (const unit of units) {
    const size = Buffer.alloc(STAP_A_SIZE_BYTES);
    size.writeUInt16BE(unit.length);
    parts.push(size, unit);
  }
  return Buffer.concat(parts);
}

/** FU-A (RFC 6184 5.8): indicator F|NRI|28, header S|E|R|type, then a slice of the unit after its header. */
function fuA(unit: Buffer, maxPayloadBytes: number): Buffer[] {
  const header = unit[0]!;
  const chunks = splitEvenly(unit.subarray(1), maxPayloadBytes - FU_HEADER_BYTES);
  return chunks.map((chunk, index) => {
    const start = index === 0 ? 0x80 : 0;
    const end = index === chunks.length - 1 ? 0x40 : 0;
    return Buffer.concat([Buffer.from([(header & 0xe0) | FU_A, start | end | (header & 0x1f)]), chunk]);
  });
}

/** As few chunks of at most `maxChunk` bytes as possible, of nearly equal sizes. */
function splitEvenly(data: Buffer, maxChunk: number): Buffer[] {
  const count = Math.max(1, Math.ceil(data.length / maxChunk));
  const chunks: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    chunks.push(data.subarray(Math.floor((index * data.length) / count), Math.floor(((index + 1) * data.length) / count)));
  }
  return chunks;
}

function checkMaxPayload(maxPayloadBytes: number): void {
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < MIN_RTP_PAYLOAD_BYTES) {
    throw new Error(`maxPayloadBytes must be an integer >= ${MIN_RTP_PAYLOAD_BYTES}, got ${maxPayloadBytes}`);
  }
}

export interface VideoRtpPacketizerOptions {
  maxPayloadBytes?: number;
  /** First values; random by default (RFC 3550). */
  sequenceNumber?: number;
  timestamp?: number;
  pictureId?: number;
}

/**
 * One RTP video stream of encoded frames: each frame's packets share a 90 kHz timestamp, the
 * last carries the marker bit, sequence numbers run on across frames.
 */
export class VideoRtpPacketizer {
  private sequenceNumber: number;
  private timestamp: number;
  private pictureId: number;
  private readonly maxPayloadBytes: number;

  constructor(
    readonly codec: VideoFileCodec,
    private readonly payloadType: () => number,
    options: VideoRtpPacketizerOptions = {},
  ) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? MAX_RTP_PAYLOAD_BYTES;
    checkMaxPayload(this.maxPayloadBytes);
    this.sequenceNumber = (options.sequenceNumber ?? randomInt(0, 0x1_0000)) & 0xffff;
    this.timestamp = (options.timestamp ?? randomInt(0, 0x1_0000_0000)) >>> 0;
    this.pictureId = (options.pictureId ?? randomInt(0, PICTURE_ID_MASK + 1)) & PICTURE_ID_MASK;
  }

  /** The packets of `frame` (VP8 or VP9 frame, Annex-B access unit, AV1 temporal unit); the next frame comes `timestampStep` ticks later. */
  packetize(frame: Buffer, timestampStep: number): RtpPacket[] {
    const payloads = this.payloadsOf(frame);
    const packets = payloads.map((payload, index) => {
      const header = new RtpHeader({
        payloadType: this.payloadType(),
        sequenceNumber: this.sequenceNumber,
        timestamp: this.timestamp,
        marker: index === payloads.length - 1,
      });
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      return new RtpPacket(header, payload);
    });
    this.timestamp = (this.timestamp + timestampStep) >>> 0;
    this.pictureId = (this.pictureId + 1) & PICTURE_ID_MASK;
    return packets;
  }

  private payloadsOf(frame: Buffer): Buffer[] {
    switch (this.codec) {
      case 'VP8':
        return packetizeVp8(frame, this.pictureId, this.maxPayloadBytes);
      case 'VP9':
        return packetizeVp9(frame, this.pictureId, this.maxPayloadBytes);
      case 'H264':
        return packetizeH264(frame, { maxPayloadBytes: this.maxPayloadBytes });
      case 'AV1':
        return packetizeAv1(frame, this.maxPayloadBytes);
    }
  }
}
