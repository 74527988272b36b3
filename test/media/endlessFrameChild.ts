/**
 * Run by endlessFrame.test.ts in a process of its own (node --expose-gc --import tsx): the
 * finding's endless frame (100,000 RTP packets of 1,000 bytes, one timestamp, no marker bit)
 * into a VideoProcessor with the default limits; prints the memory held before and after, once
 * garbage is collected, as one JSON line.
 */
import { Session } from '../../src/counters/session';
import { inputLimits } from '../../src/limitsConfig';
import { createLogger } from '../../src/logger';
import { analyzedWith } from '../../src/media/analyzer';
import { VideoProcessor } from '../../src/media/videoProcessor';

async function heldMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return Math.round((heapUsed + arrayBuffers) / 1024 / 1024);
}

async function main(): Promise<void> {
  const session = new Session('endless');
  const processor = new VideoProcessor({
    trackId: 'v',
    session,
    codecOf: () => 'VP8',
    bufferSize: 8,
    limits: inputLimits({}),
    logger: createLogger({ level: 'error', format: 'json', silent: true }),
    analyzer: { analyze: () => analyzedWith([]) },
  });
  const before = await heldMb();
  for (let i = 0; i < 100_000; i++) {
    processor.handleRtp({ header: { timestamp: 12345, marker: false, sequenceNumber: i & 0xffff, payloadType: 96 }, payload: Buffer.alloc(1000, i & 0xff) });
  }
  const after = await heldMb();
  const counters = session.counters();
  await processor.stop();
  console.log(JSON.stringify({ beforeMb: before, afterMb: after, dropped: session.close('tracks_ended', {}).summary.dropped_by_reason, framesReceived: counters.frames_received }));
}

void main();
