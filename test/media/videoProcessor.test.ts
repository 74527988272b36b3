import { createLogger } from '../../src/logger';
import { analyzedWith, type FrameAnalyzer } from '../../src/media/analyzer';
import { VideoProcessor } from '../../src/media/videoProcessor';
import { Session } from '../../src/counters/session';
import { expectCountInvariant } from '../helpers/countInvariant';
import { FrameDropped } from '../../src/errors';

const logger = createLogger({ level: 'error', format: 'json', silent: true });

const vp8 = () => 'VP8' as const;

/** A VP8 frame header (RFC 6386 9.1): a keyframe (P=0) carries its start code and size. */
const vp8Header = (keyframe: boolean, width = 320, height = 240) =>
  keyframe ? Buffer.from([0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8]) : Buffer.from([0x01, 0x00, 0x00]);

/** A one-packet VP8 frame: payload descriptor with S=1, then a VP8 header. */
const framePacket = (frame: number, { sequenceNumber = frame, keyframe = true, payloadType = 96 } = {}) => ({
  header: { timestamp: frame * 3000, marker: true, sequenceNumber, payloadType },
  payload: Buffer.concat([Buffer.from([0x10]), vp8Header(keyframe), Buffer.alloc(89)]),
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
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]) }, bufferSize: 4, logger, codecOf: vp8 });
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
    const analyzer: FrameAnalyzer = { analyze: async () => (await stall.opened, analyzedWith([])) };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 10, logger, codecOf: vp8 });

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
        return analyzedWith([{ label: 'wound', score: 0.9, bbox: [1, 2, 3, 4] }]);
      },
    };
    const seen: number[] = [];
    const processor = new VideoProcessor({
      trackId: 'v',
      session,
      analyzer,
      bufferSize: 4,
      logger,
      codecOf: vp8,
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
      analyzer: { analyze: () => analyzedWith([]) },
      bufferSize: 1,
      logger,
      codecOf: vp8,
    });
    const first = processor.stop();
    expect(processor.stop()).toBe(first);
    await first;
    expect(processor.stopped).toBe(true);
  });

  it('reorders packets, counts an incomplete frame and tells the analyzer frames were lost', async () => {
    const session = new Session('s');
    let lost = 0;
    const analyzed: number[] = [];
    const analyzer: FrameAnalyzer = {
      analyze: (frame) => (analyzed.push(frame.rtpTimestamp), analyzedWith([])),
      framesLost: () => lost++,
    };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 8, logger, codecOf: vp8 });
    // VP8 interframes (P=1): no picture size to check.
    const twoPacketFrame = (frame: number, firstSequence: number) => [
      { header: { timestamp: frame * 3000, marker: false, sequenceNumber: firstSequence, payloadType: 96 }, payload: Buffer.from([0x10, 1, 1, 2]) },
      { header: { timestamp: frame * 3000, marker: true, sequenceNumber: firstSequence + 1, payloadType: 96 }, payload: Buffer.from([0x00, 1, 3, 4]) },
    ];
    const [a1, a2] = twoPacketFrame(1, 10);
    const [b1, b2] = twoPacketFrame(2, 12);
    const [c1, c2] = twoPacketFrame(3, 14);
    const [d1, d2] = twoPacketFrame(40, 16);
    const e = { header: { timestamp: 140_000, marker: true, sequenceNumber: 18, payloadType: 96 }, payload: Buffer.from([0x10, 1, 2, 3]) };
    // c2 is lost: the jitter buffer holds what follows until a packet newer than its latency comes.
    for (const packet of [a2!, a1!, b1!, b2!, c1!, d1!, d2!, e]) processor.handleRtp(packet);
    void c2;
    await flush();
    await processor.stop();

    expect(analyzed).toEqual([3000, 6000, 120_000, 140_000]);
    expect(lost).toBeGreaterThanOrEqual(1);
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_received: 5,
      total_frames_processed: 4,
      dropped_by_reason: { incomplete_frame: 1 },
    });
  });

  it("passes the analyzer's decode and detect times to the session's summary", async () => {
    const session = new Session('s');
    const analyzer: FrameAnalyzer = {
      analyze: (frame) =>
        frame.rtpTimestamp === 3000
          ? { detections: [], analyzed: false, decodeMs: 4, detectMs: 0 }
          : { detections: [], analyzed: true, decodeMs: 2, detectMs: 6 },
    };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 8, logger, codecOf: vp8 });
    for (const frame of [1, 2, 3]) processor.handleRtp(framePacket(frame));
    await flush();
    await processor.stop();
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_processed: 3,
      total_frames_analyzed: 2,
      avg_decode_time_ms: round2((4 + 2 + 2) / 3),
      avg_detect_time_ms: 6,
      p95_detect_time_ms: 6,
    });
  });

  it('counts frames of an unknown payload type as decode errors, and drops an analyzer reports by their reason', async () => {
    const session = new Session('s');
    const analyzer: FrameAnalyzer = {
      analyze: (frame) => {
        if (!frame.keyframe) throw new FrameDropped('waiting_for_keyframe', 'needs a keyframe');
        return { detections: [], analyzed: frame.rtpTimestamp !== 3000 };
      },
    };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 8, logger, codecOf: (type) => (type === 96 ? 'VP8' : undefined) });
    processor.handleRtp(framePacket(1));
    processor.handleRtp(framePacket(2, { keyframe: false }));
    processor.handleRtp(framePacket(3, { payloadType: 100 }));
    processor.handleRtp(framePacket(4));
    await flush();
    await processor.stop();
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_received: 4,
      total_frames_processed: 2,
      total_frames_analyzed: 1,
      keyframes: 2,
      dropped_by_reason: { waiting_for_keyframe: 1, decode_error: 1 },
    });
  });

  it('counts frames the analyzer decoded but did not sample as processed and not sampled, not as drops', async () => {
    const session = new Session('s');
    const analyzer: FrameAnalyzer = {
      analyze: (frame) =>
        frame.rtpTimestamp % 9000 === 0
          ? { detections: [{ label: 'wound', score: 1, bbox: [0, 0, 1, 1] }], analyzed: true }
          : { detections: [], analyzed: false, notSampled: true },
    };
    const processor = new VideoProcessor({ trackId: 'v', session, analyzer, bufferSize: 8, logger, codecOf: vp8 });
    for (let frame = 0; frame < 9; frame++) {
      processor.handleRtp(framePacket(frame));
      await flush();
    }
    await processor.stop();
    const { summary } = session.close('tracks_ended', {});
    expect(summary.dropped_by_reason).toEqual({});
    expect(summary).toMatchObject({
      total_frames_received: 9,
      total_frames_processed: 9,
      total_frames_analyzed: 3,
      total_frames_not_sampled: 6,
      total_detections: 3,
      total_frames_dropped: 0,
    });
  });

  describe('at stop', () => {
    it('counts the packets still held behind a loss as frames received, then processed or dropped', async () => {
      const session = new Session('s');
      const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]) }, bufferSize: 8, logger, codecOf: vp8 });
      // Frame 2 is lost: frames 3 and 4 wait behind it (9,000 ticks of wait not reached) when the track stops.
      for (const frame of [1, 3, 4]) {
        processor.handleRtp(framePacket(frame));
        await flush();
      }
      expect(session.counters()).toMatchObject({ frames_received: 1, frames_processed: 1 });
      await processor.stop();
      const { summary } = session.close('tracks_ended', {});
      expect(summary).toMatchObject({ total_frames_received: 3, total_frames_processed: 2, dropped_by_reason: { queued_at_stop: 1 } });
      expectCountInvariant(summary);
    });

    it('counts a last frame left without its marker bit as received and dropped as incomplete', async () => {
      const session = new Session('s');
      const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]) }, bufferSize: 8, logger, codecOf: vp8 });
      processor.handleRtp(framePacket(1));
      await flush();
      const unfinished = framePacket(2, { keyframe: false });
      processor.handleRtp({ ...unfinished, header: { ...unfinished.header, marker: false } });
      await flush();
      await processor.stop();
      const { summary } = session.close('tracks_ended', {});
      expect(summary).toMatchObject({ total_frames_received: 2, total_frames_processed: 1, dropped_by_reason: { incomplete_frame: 1 } });
      expectCountInvariant(summary);
    });
  });

  describe('a sender that restarts', () => {
    const restarted = (frame: number, sequenceNumber: number, ssrc: number) => {
      const packet = framePacket(frame, { sequenceNumber });
      return { ...packet, header: { ...packet.header, ssrc } };
    };

    it.each([
      ['its sequence numbers by 2^15 or more', (frame: number) => restarted(frame, frame < 10 ? 100 + frame : 40_000 + frame, 7)],
      ['its sequence numbers by just under 2^15, backwards', (frame: number) => restarted(frame, frame < 10 ? 40_000 + frame : 40_000 - 0x7fff + frame, 7)],
      ['with a new SSRC and sequence numbers the old one already used', (frame: number) => restarted(frame, 100 + (frame % 10), frame < 10 ? 7 : 8)],
    ])('%s: every frame is counted, and the first of the new run comes after a loss', async (_, packetOf) => {
      const session = new Session('s');
      let lost = 0;
      const processor = new VideoProcessor({ trackId: 'v', session, analyzer: { analyze: () => analyzedWith([]), framesLost: () => lost++ }, bufferSize: 32, logger, codecOf: vp8 });
      for (let frame = 0; frame < 20; frame++) {
        processor.handleRtp(packetOf(frame));
        await flush();
      }
      await processor.stop();
      const { summary } = session.close('tracks_ended', {});
      expect(summary).toMatchObject({ total_frames_received: 20, total_frames_processed: 20, total_frames_dropped: 0 });
      expect(lost).toBe(1);
    });
  });
});

const round2 = (value: number): number => Math.round(value * 100) / 100;
