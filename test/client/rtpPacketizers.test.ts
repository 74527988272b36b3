import { join } from 'node:path';
import { dePacketizeRtpPackets, type RtpPacket } from 'werift';
import {
  MAX_RTP_PAYLOAD_BYTES,
  packetizeH264,
  packetizeVp8,
  VideoRtpPacketizer,
} from '../../client/rtpPacketizers';
import { packetizeAv1 } from '../../client/av1Packetizer';
import { joinAnnexB, readVideoFile, type VideoFileCodec } from '../../client/videoFile';
import { vp9Frames } from '../../src/media/bitstream/vp9Header';
import { depacketize } from '../../src/media/videoFrame';

const FIXTURES = join(__dirname, '..', 'fixtures', 'video');
const FRAME_TICKS = 3000;
const PAYLOAD_TYPE = 101;

/** One frame's packets through the server's depacketizer (werift's, and for AV1 the temporal unit made whole). */
function depacketized(codec: VideoFileCodec, packets: RtpPacket[]): { data: Buffer; keyframe: boolean } {
  const payloads = packets.map((packet) => packet.payload);
  const frame = { rtpTimestamp: packets[0]!.header.timestamp, payloadType: PAYLOAD_TYPE, packets: packets.length, bytes: 0, payloads };
  return depacketize({ ...frame, receivedAt: 0, incomplete: false, afterLoss: false }, codec);
}

/**
 * The frames of `data`: the server hands VP9 to libvpx with a superframe index of its own
 * (src/media/videoFrame.ts), so VP9 chunks compare by the frames they list.
 */
function framesOf(codec: VideoFileCodec, data: Buffer): Buffer {
  if (codec !== 'VP9') return data;
  const frames = vp9Frames(data);
  if (typeof frames === 'string') throw new Error(frames);
  return Buffer.concat(frames);
}

/** A NAL unit of `size` bytes: header byte, then a byte pattern. */
function nalUnit(header: number, size: number): Buffer {
  const unit = Buffer.alloc(size);
  unit[0] = header;
  for (let i = 1; i < size; i++) unit[i] = (i * 7) & 0xff;
  return unit;
}

const uint16Step = (from: number, to: number): number => (to - from) & 0xffff;

describe.each([
  ['vp8_red_square.ivf'],
  ['vp8_grey.ivf'],
  ['vp9_red_square.ivf'],
  ['h264_red_square.h264'],
  ['h264_grey.h264'],
  ['h264_main_red_square.h264'],
  ['h264_high_red_square.h264'],
  ['av1_red_square.ivf'],
])('%s through the server\'s depacketizer', (name) => {
  const file = readVideoFile(join(FIXTURES, name));
  // Start near the wrap-arounds of the sequence number, timestamp and PictureID.
  const packetizer = new VideoRtpPacketizer(file.codec, () => PAYLOAD_TYPE, {
    sequenceNumber: 0xffff - 20,
    timestamp: 0xffff_ffff - 2 * FRAME_TICKS,
    pictureId: 0x7fff - 1,
  });
  const framesOfPackets = file.frames.map((frame) => packetizer.packetize(frame.data, FRAME_TICKS));

  it('gives back every frame byte for byte, keyframes as keyframes', () => {
    framesOfPackets.forEach((packets, index) => {
      const frame = file.frames[index]!;
      const { data, keyframe } = depacketized(file.codec, packets);
      expect({ index, equal: framesOf(file.codec, data).equals(framesOf(file.codec, frame.data)) }).toEqual({ index, equal: true });
      expect({ index, keyframe }).toEqual({ index, keyframe: frame.keyframe });
    });
  });

  it('keeps payloads within the limit, and the file holds frames that need several packets', () => {
    const payloadSizes = framesOfPackets.flat().map((packet) => packet.payload.length);
    expect(Math.max(...payloadSizes)).toBeLessThanOrEqual(MAX_RTP_PAYLOAD_BYTES);
    expect(Math.max(...framesOfPackets.map((packets) => packets.length))).toBeGreaterThan(5);
  });

  it('marks the last packet of each frame only; one timestamp per frame, 3000 ticks apart', () => {
    framesOfPackets.forEach((packets, index) => {
      expect(packets.map((packet) => packet.header.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
      const timestamps = new Set(packets.map((packet) => packet.header.timestamp));
      expect(timestamps).toEqual(new Set([(0xffff_ffff - 2 * FRAME_TICKS + index * FRAME_TICKS) >>> 0]));
      expect(packets.every((packet) => packet.header.payloadType === PAYLOAD_TYPE)).toBe(true);
    });
  });

  it('numbers the packets consecutively across frames, wrapping at 65535', () => {
    const sequenceNumbers = framesOfPackets.flat().map((packet) => packet.header.sequenceNumber);
    expect(sequenceNumbers[0]).toBe(0xffff - 20);
    expect(sequenceNumbers.slice(1).every((sequence, i) => uint16Step(sequenceNumbers[i]!, sequence) === 1)).toBe(true);
    expect(sequenceNumbers).toContain(0);
  });

  it('depacketizes as a stream too: the packets of all frames at once, split at the marker bits', () => {
    const all = framesOfPackets.flat();
    const frames: Buffer[] = [];
    let current: RtpPacket[] = [];
    for (const packet of all) {
      current.push(packet);
      if (packet.header.marker) {
        frames.push(framesOf(file.codec, depacketized(file.codec, current).data));
        current = [];
      }
    }
    expect(frames).toHaveLength(file.frames.length);
    expect(Buffer.concat(frames).equals(Buffer.concat(file.frames.map((f) => framesOf(file.codec, f.data))))).toBe(true);
  });
});

it('the H264 fixture needs all three packet types: single NAL unit, STAP-A and FU-A', () => {
  const file = readVideoFile(join(FIXTURES, 'h264_red_square.h264'));
  const packetizer = new VideoRtpPacketizer('H264', () => PAYLOAD_TYPE);
  const types = new Set(file.frames.flatMap((frame) => packetizer.packetize(frame.data, FRAME_TICKS)).map((p) => p.payload[0]! & 0x1f));
  expect([...types].sort((a, b) => a - b)).toEqual([1, 5, 6, 24, 28]);
});

describe('VP8 (RFC 7741)', () => {
  it('a payload descriptor on every packet: S and PID 0 on the first, the same 15-bit PictureID on all', () => {
    const frame = nalUnit(0x10, 2500);
    const payloads = packetizeVp8(frame, 0x1234, 1000);
    expect(payloads.map((payload) => [...payload.subarray(0, 4)])).toEqual([
      [0x90, 0x80, 0x92, 0x34],
      [0x80, 0x80, 0x92, 0x34],
      [0x80, 0x80, 0x92, 0x34],
    ]);
    expect(payloads.map((payload) => payload.length)).toEqual([837, 837, 838]);
    expect(Buffer.concat(payloads.map((payload) => payload.subarray(4))).equals(frame)).toBe(true);
  });

  it('a small frame is one packet', () => {
    expect(packetizeVp8(Buffer.from([1, 2, 3]), 5)).toEqual([Buffer.from([0x90, 0x80, 0x80, 0x05, 1, 2, 3])]);
  });

  it('the PictureID advances per frame and wraps at 15 bits', () => {
    const packetizer = new VideoRtpPacketizer('VP8', () => 96, { pictureId: 0x7ffe });
    const ids = [0, 1, 2].map(() => packetizer.packetize(Buffer.alloc(3000, 1), 3000).map((p) => p.payload.readUInt16BE(2) & 0x7fff));
    expect(ids).toEqual([
      [0x7ffe, 0x7ffe, 0x7ffe],
      [0x7fff, 0x7fff, 0x7fff],
      [0, 0, 0],
    ]);
  });

  it('refuses an empty frame and a payload limit too small for the descriptor', () => {
    expect(() => packetizeVp8(Buffer.alloc(0), 0)).toThrow('Cannot packetize an empty VP8 frame');
    expect(() => packetizeVp8(Buffer.alloc(10), 0, 4)).toThrow('maxPayloadBytes must be an integer >= 16, got 4');
  });
});

describe('H264 (RFC 6184, packetization-mode 1)', () => {
  const sps = nalUnit(0x67, 12);
  const pps = nalUnit(0x68, 4);
  const idr = nalUnit(0x65, 2500);
  const small = nalUnit(0x41, 300);

  it('splits a large NAL unit into FU-A fragments: S on the first, E on the last, NRI kept, marker on the last packet', () => {
    const packetizer = new VideoRtpPacketizer('H264', () => 97, { sequenceNumber: 0xfffe, maxPayloadBytes: 1000 });
    const packets = packetizer.packetize(joinAnnexB([idr]), 3000);
    expect(packets.map((packet) => [packet.payload[0], packet.payload[1]])).toEqual([
      [0x7c, 0x85], // FU indicator F=0 NRI=3 type 28; FU header S=1 type 5
      [0x7c, 0x05],
      [0x7c, 0x45], // E=1
    ]);
    expect(packets.map((packet) => packet.header.sequenceNumber)).toEqual([0xfffe, 0xffff, 0]);
    expect(packets.map((packet) => packet.header.marker)).toEqual([false, false, true]);
    expect(packets.every((packet) => packet.payload.length <= 1000)).toBe(true);
    // The fragments are the unit after its header byte, in order.
    expect(Buffer.concat(packets.map((packet) => packet.payload.subarray(2))).equals(idr.subarray(1))).toBe(true);
    expect(dePacketizeRtpPackets('MPEG4/ISO/AVC', packets).data.equals(joinAnnexB([idr]))).toBe(true);
  });

  it('sends a NAL unit that fits as it is, and SPS + PPS in one STAP-A', () => {
    const payloads = packetizeH264(joinAnnexB([sps, pps, small]));
    expect(payloads).toHaveLength(2);
    expect(payloads[0]).toEqual(Buffer.concat([Buffer.from([0x78, 0, 12]), sps, Buffer.from([0, 4]), pps]));
    expect(payloads[1]).toEqual(small);
  });

  it('without STAP-A, SPS and PPS go as single NAL unit packets', () => {
    expect(packetizeH264(joinAnnexB([sps, pps, small]), { stapA: false })).toEqual([sps, pps, small]);
  });

  it('a lone parameter set is not aggregated (STAP-A needs two units)', () => {
    expect(packetizeH264(joinAnnexB([pps, small]))).toEqual([pps, small]);
  });

  it('a NAL unit of exactly the limit is still a single packet; one byte more needs FU-A', () => {
    expect(packetizeH264(joinAnnexB([nalUnit(0x41, 1000)]), { maxPayloadBytes: 1000 })).toHaveLength(1);
    const fragments = packetizeH264(joinAnnexB([nalUnit(0x41, 1001)]), { maxPayloadBytes: 1000 });
    expect(fragments.map((payload) => payload[0]! & 0x1f)).toEqual([28, 28]);
  });

  it('refuses data with no NAL unit in it', () => {
    expect(() => packetizeH264(Buffer.from([0, 0, 0, 1]))).toThrow('Cannot packetize an H264 access unit without NAL units');
    expect(() => packetizeH264(Buffer.from([1, 2, 3]))).toThrow('not an H264 Annex-B stream');
  });
});

describe('AV1 (AV1 RTP payload format)', () => {
  /** A low-overhead OBU: header with the size flag, LEB128 size (one byte here), payload. */
  const obu = (type: number, size: number, fill = type) => Buffer.concat([Buffer.from([(type << 3) | 0x02, size]), Buffer.alloc(size, fill)]);
  const temporalDelimiter = Buffer.from([0x12, 0x00]);
  const sequenceHeader = obu(1, 10, 0);
  const keyFrame = Buffer.concat([Buffer.from([(6 << 3) | 0x02, 100, 0x10]), Buffer.alloc(99, 6)]);
  const deltaFrame = Buffer.concat([Buffer.from([(6 << 3) | 0x02, 100, 0x30]), Buffer.alloc(99, 6)]);
  const headerBits = (payload: Buffer) => ({ z: payload[0]! >> 7, y: (payload[0]! >> 6) & 1, w: (payload[0]! >> 4) & 3, n: (payload[0]! >> 3) & 1 });

  it('a keyframe that fits is one packet: N set, W counting the OBUs, the temporal delimiter dropped, sizes only between elements', () => {
    const payloads = packetizeAv1(Buffer.concat([temporalDelimiter, sequenceHeader, keyFrame]), 1100);
    expect(payloads).toHaveLength(1);
    expect(headerBits(payloads[0]!)).toEqual({ z: 0, y: 0, w: 2, n: 1 });
    // Element 1: its length (11), the sequence header without its size field; element 2 runs to the end.
    expect(payloads[0]!.subarray(1)).toEqual(Buffer.concat([Buffer.from([11, 1 << 3]), Buffer.alloc(10, 0), Buffer.from([6 << 3]), keyFrame.subarray(2)]));
  });

  it('a delta frame has N clear', () => {
    expect(headerBits(packetizeAv1(Buffer.concat([temporalDelimiter, deltaFrame]), 1100)[0]!)).toEqual({ z: 0, y: 0, w: 1, n: 0 });
  });

  it('splits an OBU across packets with Y on all but its last piece and Z on all but its first; N on the first packet only', () => {
    const payloads = packetizeAv1(Buffer.concat([sequenceHeader, keyFrame]), 40);
    expect(payloads.every((payload) => payload.length <= 40)).toBe(true);
    const bits = payloads.map(headerBits);
    expect(bits[0]).toEqual({ z: 0, y: 1, w: 2, n: 1 });
    expect(bits.slice(1, -1).every((b) => b.z === 1 && b.y === 1 && b.w === 1 && b.n === 0)).toBe(true);
    expect(bits.at(-1)).toEqual({ z: 1, y: 0, w: 1, n: 0 });
  });

  it('packs at most three elements a packet (W has two bits)', () => {
    const small = Array.from({ length: 5 }, (_, i) => obu(5, 3, i));
    const payloads = packetizeAv1(Buffer.concat([temporalDelimiter, ...small, deltaFrame]), 1100);
    expect(payloads.map(headerBits)).toEqual([
      { z: 0, y: 0, w: 3, n: 0 },
      { z: 0, y: 0, w: 3, n: 0 },
    ]);
  });

  it('refuses a unit of nothing but a temporal delimiter, and malformed OBUs', () => {
    expect(() => packetizeAv1(temporalDelimiter, 1100)).toThrow('without OBUs');
    expect(() => packetizeAv1(Buffer.from([0x32, 50, 1]), 1100)).toThrow('runs past the end');
  });
});
