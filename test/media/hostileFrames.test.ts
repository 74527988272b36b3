import { join } from 'node:path';
import { VideoRtpPacketizer } from '../../client/rtpPacketizers';
import { readVideoFile } from '../../client/videoFile';
import { Session } from '../../src/counters/session';
import { refusals } from '../../src/limits/refusals';
import { LogBudget } from '../../src/limits/logBudget';
import { createLogger } from '../../src/logger';
import { analyzedWith, type FrameAnalyzer } from '../../src/media/analyzer';
import type { VideoCodecName } from '../../src/media/decode/videoDecoder';
import { VideoProcessor } from '../../src/media/videoProcessor';
import { AV1_BOMB, H264_BOMB, VP8_BOMB, VP9_BOMB } from '../fixtures/video/hostileFrames';

const logger = createLogger({ level: 'error', format: 'json', silent: true });
const FIXTURES = join(__dirname, '..', 'fixtures', 'video');
const flush = () => new Promise((resolve) => setImmediate(resolve));

const STREAMS: Array<[VideoCodecName, string, Buffer]> = [
  ['VP8', 'vp8_red_square.ivf', VP8_BOMB],
  ['VP9', 'vp9_red_square.ivf', VP9_BOMB],
  ['H264', 'h264_red_square.h264', H264_BOMB],
  ['AV1', 'av1_red_square.ivf', AV1_BOMB],
];

/** A processor over a recording analyzer: what reached it, and how often it was told frames were lost. */
function processorFor(codec: VideoCodecName, limits = { maxPicturePixels: 4096 * 2304, maxFrameBytes: 4 * 1024 * 1024, maxFramePackets: 4096 }) {
  const session = new Session('s');
  const seen: Buffer[] = [];
  let lost = 0;
  const analyzer: FrameAnalyzer = { analyze: (frame) => (seen.push(frame.data), analyzedWith([])), framesLost: () => lost++ };
  const warnings: string[] = [];
  const watched = { ...logger, warn: (message: string) => (warnings.push(message), watched) } as unknown as typeof logger;
  const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 256, logger: watched, codecOf: () => codec, limits, logBudget: new LogBudget() });
  return { session, seen, lost: () => lost, processor, warnings };
}

describe('hostile frames (issue 23, findings 2 and 6)', () => {
  beforeEach(() => refusals.take());

  it.each(STREAMS)('%s: a small frame claiming a huge picture is dropped before any decoder, and the stream goes on', async (codec, file, bomb) => {
    const { session, seen, lost, processor, warnings } = processorFor(codec);
    const frames = readVideoFile(join(FIXTURES, file)).frames;
    const packetizer = new VideoRtpPacketizer(codec, () => 96, { sequenceNumber: 100, timestamp: 0 });
    const send = (data: Buffer) => {
      for (const packet of packetizer.packetize(data, 3000)) processor.handleRtp(packet);
    };
    for (const frame of frames.slice(0, 10)) send(frame.data);
    for (let i = 0; i < 3; i++) send(bomb);
    // The sender's next keyframe (frame 30) and what follows decode as before.
    for (const frame of frames.slice(30)) send(frame.data);
    await flush();
    await processor.stop();

    expect(seen.some((data) => data.includes(bomb.subarray(-16)))).toBe(false);
    expect(seen).toHaveLength(10 + frames.length - 30);
    expect(lost()).toBeGreaterThanOrEqual(1);
    expect(refusals.take()).toEqual({ picture_pixels: 3, log_line: 2 });
    expect(warnings).toHaveLength(1);
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_received: 10 + 3 + frames.length - 30,
      total_frames_processed: 10 + frames.length - 30,
      dropped_by_reason: { picture_too_large: 3 },
      keyframes: 1 + 1,
    });
  });

  it('an endless frame (one timestamp, no marker) is dropped at MAX_FRAME_PACKETS, its packets kept nowhere, and the next frame decodes', async () => {
    const { session, seen, processor, warnings } = processorFor('VP8', { maxPicturePixels: 4096 * 2304, maxFrameBytes: 4 * 1024 * 1024, maxFramePackets: 64 });
    const frames = readVideoFile(join(FIXTURES, 'vp8_red_square.ivf')).frames;
    const packetizer = new VideoRtpPacketizer('VP8', () => 96, { sequenceNumber: 0, timestamp: 0 });
    for (const packet of packetizer.packetize(frames[0]!.data, 3000)) processor.handleRtp(packet);
    const endless = packetizer.packetize(Buffer.alloc(1000, 0x5a), 3000)[0]!;
    for (let i = 1; i <= 20_000; i++) {
      endless.header.sequenceNumber = (endless.header.sequenceNumber + 1) & 0xffff;
      endless.header.marker = false;
      processor.handleRtp(endless.clone());
    }
    let sequence = endless.header.sequenceNumber;
    for (const frame of frames.slice(30, 40)) {
      for (const packet of packetizer.packetize(frame.data, 3000)) {
        packet.header.sequenceNumber = sequence = (sequence + 1) & 0xffff;
        processor.handleRtp(packet);
      }
    }
    await flush();
    await processor.stop();

    expect(seen).toHaveLength(1 + 10);
    expect(refusals.take()).toMatchObject({ frame_packets: 1 });
    expect(warnings).toEqual([expect.stringContaining('MAX_FRAME_PACKETS (64)')]);
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_received: 1 + 1 + 10,
      total_frames_processed: 11,
      total_frames_dropped: 1,
      dropped_by_reason: { frame_too_large: 1 },
    });
  });

  it('a frame over MAX_FRAME_BYTES is dropped as frame_too_large and counted as frame_bytes', async () => {
    const { session, seen, processor } = processorFor('VP8', { maxPicturePixels: 4096 * 2304, maxFrameBytes: 16 * 1024, maxFramePackets: 4096 });
    const frames = readVideoFile(join(FIXTURES, 'vp8_red_square.ivf')).frames;
    const packetizer = new VideoRtpPacketizer('VP8', () => 96, { sequenceNumber: 0, timestamp: 0 });
    for (const data of [frames[0]!.data, Buffer.concat([frames[30]!.data, Buffer.alloc(20 * 1024)]), frames[30]!.data]) {
      for (const packet of packetizer.packetize(data, 3000)) processor.handleRtp(packet);
    }
    await flush();
    await processor.stop();
    expect(seen).toHaveLength(2);
    expect(refusals.take()).toMatchObject({ frame_bytes: 1 });
    expect(session.close('tracks_ended', {}).summary.dropped_by_reason).toEqual({ frame_too_large: 1 });
  });
});
