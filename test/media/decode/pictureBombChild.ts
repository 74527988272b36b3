/**
 * Run by pictureBombMemory.test.ts in a process of its own (node --expose-gc --import tsx):
 * real frames and picture bombs of one codec through a VideoProcessor whose analyzer decodes
 * with a real decoder of one backend, in this thread; then, for the native backend, the bombs
 * straight into a decoder (its own limit, the second line). Prints the resident memory around
 * the bombs as one JSON line.
 */
import { join } from 'node:path';
import { VideoRtpPacketizer } from '../../../client/rtpPacketizers';
import { readVideoFile } from '../../../client/videoFile';
import { Session } from '../../../src/counters/session';
import { DEFAULT_MAX_PICTURE_PIXELS, inputLimits } from '../../../src/limitsConfig';
import { createLogger } from '../../../src/logger';
import type { VideoCodecName } from '../../../src/media/decode/videoDecoder';
import { decoderBackend, type DecoderBackendName } from '../../../src/media/decode/videoDecoders';
import { withSuperframeIndex } from '../../../src/media/bitstream/vp9Header';
import { analyzedWith } from '../../../src/media/analyzer';
import { VideoProcessor } from '../../../src/media/videoProcessor';
import { AV1_BOMB, H264_BOMB, VP8_BOMB, VP9_BOMB, av1ClaimingSize, h264ClaimingSize } from '../../fixtures/video/hostileFrames';

const FILES: Record<VideoCodecName, string> = { VP8: 'vp8_red_square.ivf', VP9: 'vp9_red_square.ivf', H264: 'h264_red_square.h264', AV1: 'av1_red_square.ivf' };

async function rssMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

async function main(): Promise<void> {
  const [backendName, codec] = process.argv.slice(2) as [DecoderBackendName, VideoCodecName];
  const frames = readVideoFile(join(__dirname, '..', '..', 'fixtures', 'video', FILES[codec])).frames;
  // The bombs: a small frame claiming a huge picture, and real key frames rewritten to claim one.
  const bombsOf: Record<VideoCodecName, () => Buffer[]> = {
    VP8: () => [VP8_BOMB],
    // The second: a real inter frame with a bomb after its end, where libvpx would look for another frame.
    VP9: () => [VP9_BOMB, Buffer.concat([frames[1]!.data, VP9_BOMB])],
    H264: () => [H264_BOMB, h264ClaimingSize(frames[0]!.data, 4096, 4096)],
    AV1: () => [AV1_BOMB, av1ClaimingSize(frames[0]!.data, 16384, 16384)],
  };
  const bombs = bombsOf[codec]();
  const backend = decoderBackend(backendName);
  const decoder = await backend.create(codec, DEFAULT_MAX_PICTURE_PIXELS);
  let pictures = 0;
  const session = new Session('bomb');
  const processor = new VideoProcessor({
    trackId: 'v',
    session,
    codecOf: () => codec,
    bufferSize: 1024,
    limits: inputLimits({}),
    logger: createLogger({ level: 'error', format: 'json', silent: true }),
    analyzer: {
      analyze: (frame) => {
        const picture = decoder.decode(frame.data, frame.keyframe);
        if (picture) pictures++;
        return analyzedWith([]);
      },
    },
  });
  const packetizer = new VideoRtpPacketizer(codec, () => 96);
  const send = async (data: Buffer) => {
    for (const packet of packetizer.packetize(data, 3000)) processor.handleRtp(packet);
    await new Promise((resolve) => setImmediate(resolve));
  };
  for (const frame of frames.slice(0, 10)) await send(frame.data);
  const before = await rssMb();
  for (let i = 0; i < 5; i++) for (const bomb of bombs) await send(bomb);
  for (const frame of frames.slice(30)) await send(frame.data);
  const afterPipeline = await rssMb();
  await processor.stop();
  const summary = session.close('tracks_ended', {}).summary;
  // The decoder's own limit, with nothing in front of it (native only: the wasm decoders have none).
  let afterDirect: number | null = null;
  if (backendName === 'native') {
    // The plain bomb (libvpx peeks at its size, dav1d and OpenH264 check theirs), and for VP9 a
    // bomb second in a superframe (libvpx peeks at every frame its index lists).
    const direct = codec === 'VP9' ? [bombs[0]!, withSuperframeIndex([frames[1]!.data, VP9_BOMB])] : [bombs[0]!];
    for (let i = 0; i < 5; i++) {
      for (const bomb of direct) {
        try {
          decoder.decode(bomb, true);
        } catch {}
      }
    }
    afterDirect = await rssMb();
  }
  decoder.close();
  console.log(JSON.stringify({ backend: backendName, codec, beforeMb: before, afterPipelineMb: afterPipeline, afterDirectMb: afterDirect, pictures, dropped: summary.dropped_by_reason }));
}

void main();
