import { createLogger } from '../../src/logger';
import type { FrameAnalyzer } from '../../src/media/analyzer';
import { VideoProcessor } from '../../src/media/videoProcessor';
import { Session } from '../../src/session/session';

const logger = createLogger({ level: 'error', format: 'json', silent: true });

const framePacket = (frame: number) => ({
  header: { timestamp: frame * 3000, marker: true, sequenceNumber: frame, payloadType: 96 },
  payload: Buffer.alloc(100),
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('VideoProcessor', () => {
  it('processes every frame when analysis keeps up', async () => {
    const session = new Session('s');
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => [] }, bufferSize: 4, logger });
    for (let frame = 0; frame < 50; frame++) {
      processor.handleRtp(framePacket(frame));
      await flush();
    }
    await processor.stop();
    expect(session.counters()).toMatchObject({ frames_received: 50, frames_processed: 50, frames_dropped: 0 });
  });

  it('drops and counts frames while analysis is stalled, and counts frames queued at stop', async () => {
    const session = new Session('s');
    const stall = gate();
    const analyzer: FrameAnalyzer = { analyze: async () => (await stall.opened, []) };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 10, logger });

    for (let frame = 0; frame < 31; frame++) processor.handleRtp(framePacket(frame));
    await flush();
    // One frame in analysis, ten queued, twenty dropped.
    expect(session.counters()).toMatchObject({ frames_received: 31, frames_processed: 0, frames_dropped: 20 });

    const stopping = processor.stop();
    stall.open();
    await stopping;
    processor.handleRtp(framePacket(99));

    const { summary } = session.close('tracks_ended', {});
    expect(summary).toMatchObject({
      total_frames_received: 31,
      total_frames_processed: 1,
      total_frames_dropped: 30,
      dropped_by_reason: { buffer_full: 20, queued_at_stop: 10 },
    });
  });

  it('counts a frame whose analysis throws as dropped and keeps going', async () => {
    const session = new Session('s');
    let calls = 0;
    const analyzer: FrameAnalyzer = {
      analyze: () => {
        calls++;
        if (calls === 2) throw new Error('detector crashed');
        return [{ label: 'wound', score: 0.9, bbox: [1, 2, 3, 4] }];
      },
    };
    const seen: number[] = [];
    const processor = new VideoProcessor({
      trackId: 'v',
      session,
      analyzer,
      bufferSize: 4,
      logger,
      onDetections: (frame) => seen.push(frame.rtpTimestamp),
    });
    for (let frame = 1; frame <= 3; frame++) {
      processor.handleRtp(framePacket(frame));
      await flush();
    }
    await processor.stop();
    expect(session.counters()).toMatchObject({ frames_received: 3, frames_processed: 2, frames_dropped: 1, detections: 2 });
    expect(seen).toEqual([3000, 9000]);
  });

  it('stop() is idempotent and returns the same promise', async () => {
    const processor = new VideoProcessor({
      trackId: 'v',
      session: new Session('s'),
      analyzer: { analyze: () => [] },
      bufferSize: 1,
      logger,
    });
    const first = processor.stop();
    expect(processor.stop()).toBe(first);
    await first;
    expect(processor.stopped).toBe(true);
  });
});
