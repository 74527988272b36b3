/**
 * Asynchronous detectors end to end: werift clients stream the fixture clips (a red square) to
 * the real server, whose worker pool runs `delayed-colour-region`, a detector answering through
 * a Promise after a random delay (or, for the deadline, holding every third answer until it is late). Each track's results come back in frame order, answers past
 * DETECT_TIMEOUT_MS are counted as `analysis_timeout` without costing the decoder its state, and
 * the summary adds up.
 */
import { join } from 'node:path';
import type { AnalyzerFactory } from '../src/media/analyzer';
import { FrameWorkerPool } from '../src/media/decode/frameWorkerPool';
import { DecodingAnalyzerFactory } from '../src/media/decodingAnalyzer';
import { createLogger } from '../src/logger';
import type { DetectionEvent, StreamSummary } from '../src/protocol';
import type { PeerSession } from '../src/sessions/peerSession';
import { eventually, finishTestServer, startTestServer, type TestServer } from './helpers/testServer';
import { isError } from '../src/errors';

const FIXTURES = join(__dirname, 'fixtures', 'video');
const CLIPS = { VP8: join(FIXTURES, 'vp8_red_square.ivf'), H264: join(FIXTURES, 'h264_red_square.h264') };
const FRAMES = 60;

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

/** RTP timestamps are 32-bit and wrap: b comes after a when it is less than half the range ahead. */
const isAfter = (a: number, b: number): boolean => b !== a && ((b - a) >>> 0) < 2 ** 31;

function expectIncreasing(timestamps: number[]): void {
  timestamps.slice(1).forEach((timestamp, i) => {
    if (!isAfter(timestamps[i]!, timestamp)) throw new Error(`frame ${timestamp} came after ${timestamps[i]}: ${timestamps.join(', ')}`);
  });
}

const detectionEvents = (events: readonly { event_type: string }[]): DetectionEvent[] =>
  events.filter((event): event is DetectionEvent => event.event_type === 'detection');

/**
 * Waits until the session has processed or dropped every frame sent: a track that ends (RTCP
 * BYE) drops what is still queued, and one frame of a track is analysed at a time.
 */
async function drained(peer: PeerSession): Promise<void> {
  await eventually(() => {
    const { frames_received, frames_processed, frames_dropped } = peer.view().counters;
    return frames_received === FRAMES && frames_processed + frames_dropped === FRAMES;
  }, 10_000, 'every frame processed or dropped');
}

function expectAddsUp(summary: StreamSummary): void {
  expect(summary.total_frames_received).toBe(FRAMES);
  expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
  // The square is in every frame: every analysed frame has one detection.
  expect(summary.total_detections).toBe(summary.total_frames_analyzed);
}

describe('an asynchronous detector', () => {
  it("two tracks share one worker's slots, answers come in random order, yet each track gets its detections in frame order", async () => {
    // Two tracks on one worker; answers after 5 to 35 ms, four pending at once; a deadline no
    // answer misses, and a buffer that holds every frame however far analysis falls behind.
    server = await startTestServer({
      frameBufferSize: FRAMES,
      detector: 'delayed-colour-region',
      detectorOptions: { delayMs: 20, jitterMs: 15, concurrency: 4 },
      decodeWorkers: 1,
      frameTimeoutMs: 5000,
      detectTimeoutMs: 2000,
    });
    const sessions = await Promise.all(
      (['VP8', 'H264'] as const).map((codec) => server!.connect({ audio: false, videoFile: CLIPS[codec] })),
    );
    await Promise.all(sessions.map(({ client }) => client.sendVideoFrames(FRAMES)));
    await Promise.all(sessions.map(({ peer }) => drained(peer)));
    for (const { client } of sessions) client.stopVideo();
    const closed = await Promise.all(sessions.map(({ client }) => client.waitForStreamClosed(5000)));

    closed.forEach(({ summary }, i) => {
      expectAddsUp(summary);
      expect(summary).toMatchObject({ total_frames_processed: FRAMES, total_frames_analyzed: FRAMES });
      expect(summary.dropped_by_reason).toEqual({});
      // The detection time is the detector's answer, at least its shortest delay; decoding is apart.
      expect(summary.avg_detect_time_ms).toBeGreaterThanOrEqual(5);
      expect(summary.avg_decode_time_ms).toBeGreaterThan(0);
      const events = detectionEvents(sessions[i]!.client.events);
      expect(events.length).toBeGreaterThan(1);
      expect(summary.detection_events).toBe(events.length);
      expectIncreasing(events.map((event) => event.frame_timestamp));
    });
  }, 30_000);

  it('drops answers past DETECT_TIMEOUT_MS as analysis_timeout, keeps decoding, and results stay in frame order', async () => {
    // Every third answer is held until the next frame's detection starts, which comes only once
    // the held frame was dropped (a track's frames are analysed one at a time): those miss the
    // 30 ms deadline whatever the machine's speed. The others are answered synchronously, which
    // no deadline applies to.
    const pool = new FrameWorkerPool({
      size: 1,
      detector: 'delayed-colour-region',
      detectorOptions: { holdEvery: 3, concurrency: 2 },
      jobTimeoutMs: 2000,
      detectTimeoutMs: 30,
      logger: createLogger({ level: 'error', format: 'json', silent: true }),
    });
    // What each analysis of the track came to, in the order the analyzer settled them.
    const settled: Array<{ timestamp: number; outcome: string }> = [];
    const real = new DecodingAnalyzerFactory(pool);
    const recording: AnalyzerFactory = {
      forTrack(track) {
        const analyzer = real.forTrack(track);
        return {
          analyze: async (frame) => {
            try {
              const result = await analyzer.analyze(frame);
              settled.push({ timestamp: frame.rtpTimestamp, outcome: 'analysed' });
              return result;
            } catch (error) {
              settled.push({ timestamp: frame.rtpTimestamp, outcome: isError(error, 'FrameDropped') ? error.reason : 'error' });
              throw error;
            }
          },
          framesLost: () => analyzer.framesLost?.(),
          close: () => analyzer.close?.(),
        };
      },
    };
    try {
      // A buffer that leaves nothing to drop but late answers.
      server = await startTestServer({ decodeWorkers: 1, frameBufferSize: FRAMES }, recording);
      const { client, peer } = await server.connect({ audio: false, videoFile: CLIPS.H264 });
      await client.sendVideoFrames(FRAMES);
      await drained(peer);
      client.stopVideo();
      const { summary } = await client.waitForStreamClosed(8000);
      await peer.released;

      expectAddsUp(summary);
      const timeouts = settled.filter((entry) => entry.outcome === 'analysis_timeout').length;
      const analysed = settled.filter((entry) => entry.outcome === 'analysed').length;
      expect({ timeouts, analysed }).toEqual({ timeouts: FRAMES / 3, analysed: FRAMES - FRAMES / 3 });
      // Late answers cost only their own frame: the decoder saw it, so no frame waits for a keyframe.
      expect(summary.dropped_by_reason).toEqual({ analysis_timeout: timeouts });
      expect(summary.total_frames_processed).toBe(analysed);
      expect(summary.keyframe_requests).toBe(0);
      expect(settled).toHaveLength(FRAMES);
      expectIncreasing(settled.map((entry) => entry.timestamp));
      expectIncreasing(detectionEvents(client.events).map((event) => event.frame_timestamp));
      expect(peer.view()).toMatchObject({ state: 'Released', reason: 'tracks_ended' });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
