/**
 * The frame pipeline end to end: a werift client streams real encoded VP8, VP9, H264 (constrained
 * baseline, main, high) and AV1 (fixture files with a red square on grey, or plain grey) to the
 * real server, which decodes the frames
 * in its worker pool and runs the colour-region detector. The client gets `detection` events at
 * the square and a summary that adds up; plain video gives none.
 */
import { join } from 'node:path';
import type { ReceivedEvent } from '../src/protocol/eventGuards';
import type { AnalyzerFactory, FrameAnalyzer } from '../src/media/analyzer';
import { FrameWorkerPool } from '../src/media/decode/frameWorkerPool';
import { DecodingAnalyzerFactory } from '../src/media/decodingAnalyzer';
import { createLogger } from '../src/logger';
import { encodeOpusTone } from './helpers/opusTone';
import { eventually, finishTestServer, startTestServer, type TestServer } from './helpers/testServer';
import type { PeerSession } from '../src/sessions/peerSession';

const FIXTURES = join(__dirname, 'fixtures', 'video');
/** Where the fixtures' red square is (test/fixtures/video/README.md). */
const SQUARE = { x: 384, y: 96, width: 160, height: 160 };
const commonConfig = { detector: 'colour-region', decodeWorkers: 2, videoInactivityMs: 500, audioInactivityMs: 500 };

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

interface DetectionEventShape {
  detections: Array<{ label: string; score: number; bbox: [number, number, number, number] }>;
  frame_width: number;
  frame_height: number;
}

function detectionEvents(events: readonly ReceivedEvent[]): DetectionEventShape[] {
  return events.filter((event) => event.event_type === 'detection') as unknown as DetectionEventShape[];
}

/** A detection event with one box: the square, in a 640x480 picture. */
function expectSquare(event: DetectionEventShape): void {
  expect(event).toMatchObject({ frame_width: 640, frame_height: 480 });
  expect(event.detections).toHaveLength(1);
  const [x, y, width, height] = event.detections[0]!.bbox;
  expect(Math.abs(x - SQUARE.x)).toBeLessThanOrEqual(4);
  expect(Math.abs(y - SQUARE.y)).toBeLessThanOrEqual(4);
  expect(Math.abs(width - SQUARE.width)).toBeLessThanOrEqual(8);
  expect(Math.abs(height - SQUARE.height)).toBeLessThanOrEqual(8);
  expect(event.detections[0]).toMatchObject({ label: 'wound', score: expect.any(Number) });
}

/**
 * Waits until every frame the server received is processed or dropped, so that stopping the
 * track cannot find frames still queued (\`queued_at_stop\`) on a machine slower than this one.
 */
async function settled(peer: PeerSession, frames: number): Promise<void> {
  await eventually(() => {
    const { frames_received, frames_processed, frames_dropped } = peer.view().counters;
    return frames_received === frames && frames_processed + frames_dropped === frames;
  }, 20_000, `${frames} frames processed or dropped`);
}

function expectInvariant(summary: Record<string, number>): void {
  expect(summary.total_frames_received).toBe(summary.total_frames_processed! + summary.total_frames_dropped!);
}

// The native decoders (the default) for every codec; the WebAssembly fallback (DECODER=wasm) for
// the codecs it decodes (H264 main/high and AV1 it does not receive: test/http/codecNegotiation).
describe.each([
  ['VP8', 'native', 'vp8_red_square.ivf', 'vp8_grey.ivf'],
  ['VP8', 'wasm', 'vp8_red_square.ivf', 'vp8_grey.ivf'],
  ['VP9', 'native', 'vp9_red_square.ivf', 'vp9_grey.ivf'],
  ['VP9', 'wasm', 'vp9_red_square.ivf', 'vp9_grey.ivf'],
  ['H264', 'native', 'h264_red_square.h264', 'h264_grey.h264'],
  ['H264', 'wasm', 'h264_red_square.h264', 'h264_grey.h264'],
  ['H264', 'native', 'h264_main_red_square.h264', null],
  ['H264', 'native', 'h264_high_red_square.h264', null],
  ['AV1', 'native', 'av1_red_square.ivf', null],
] as const)('%s through the pipeline, %s decoders, %s', (codec, decoder, squareFile, greyFile) => {
  const pipelineConfig = { ...commonConfig, decoder };

  it('a red square gives detection events at its position and a summary with detections', async () => {
    server = await startTestServer(pipelineConfig);
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, squareFile) });
    expect(client.videoCodec?.mimeType.toUpperCase()).toBe(`VIDEO/${codec}`);
    expect(server.logs.some((entry) => entry.message === 'video decoders' && entry.decoder === decoder)).toBe(true);
    await client.sendVideoFrames(60);
    await client.waitForEvent('detection', 3000);
    expect(peer.view().counters.frames_analyzed).toBeGreaterThan(0);
    await settled(peer, 60);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, number>;

    const events = detectionEvents(client.events);
    expect(events.length).toBeGreaterThan(0);
    events.forEach(expectSquare);
    expectInvariant(summary);
    expect(summary).toMatchObject({ total_frames_received: 60, total_frames_dropped: 0, total_frames_processed: 60 });
    expect(summary.total_frames_analyzed).toBe(60);
    expect(summary.total_detections).toBe(60);
    expect(summary.keyframes).toBe(2);
    // Coalesced: 60 frames over 2 s give at most 5 events a second, and at least one.
    expect(summary.detection_events).toBe(events.length);
    expect(summary.detection_events).toBeLessThanOrEqual(12);
    expect(summary.avg_processing_time_ms).toBeGreaterThan(0);
    expect(summary.p95_processing_time_ms).toBeGreaterThanOrEqual(summary.avg_processing_time_ms! / 2);
    // Where the time goes: every frame was decoded and analysed, inside its processing time.
    expect(summary.avg_decode_time_ms).toBeGreaterThan(0);
    expect(summary.avg_detect_time_ms).toBeGreaterThan(0);
    expect(summary.p95_decode_time_ms).toBeGreaterThan(0);
    expect(summary.p95_detect_time_ms).toBeGreaterThan(0);
    expect(summary.avg_decode_time_ms! + summary.avg_detect_time_ms!).toBeLessThanOrEqual(summary.avg_processing_time_ms! + 0.02);
  });

  // Plain grey clips exist of VP8, VP9 and constrained-baseline H264 (test/fixtures/video).
  if (greyFile) it('plain grey video gives no detection', async () => {
    server = await startTestServer(pipelineConfig);
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, greyFile!) });
    await client.sendVideoFrames(60);
    await settled(peer, 60);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, number>;

    expect(detectionEvents(client.events)).toEqual([]);
    expectInvariant(summary);
    expect(summary).toMatchObject({ total_frames_received: 60, total_frames_analyzed: 60, total_detections: 0, detection_events: 0 });
  });

  it('ANALYSIS_FPS=5 analyses one frame in six of the 30 fps clip (by media time), decodes and counts the rest as not sampled', async () => {
    server = await startTestServer({ ...pipelineConfig, analysisFps: 5 });
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, squareFile) });
    await client.sendVideoFrames(60);
    await client.waitForEvent('detection', 3000);
    expect(peer.view().counters.frames_not_sampled).toBeGreaterThan(0);
    await settled(peer, 60);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, number> & { dropped_by_reason: Record<string, number> };

    expectInvariant(summary);
    expect(summary.dropped_by_reason).toEqual({});
    // Frames 0, 6, ..., 54 (RTP timestamps 3000 apart, a slot of 18000): the detector ran on
    // those alone and found the square on each, decoded from the frames before them; the
    // others were decoded only, and are neither analysed nor dropped.
    expect(summary).toMatchObject({
      total_frames_received: 60,
      total_frames_processed: 60,
      total_frames_dropped: 0,
      total_frames_analyzed: 10,
      total_frames_not_sampled: 50,
      total_detections: 10,
      keyframes: 2,
    });
    const events = detectionEvents(client.events);
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBe(summary.detection_events);
    events.forEach(expectSquare);
    await peer.released;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^frames_not_sampled_total 50$/m);
    expect(metrics).toMatch(/^frames_analyzed_total 10$/m);
  });
});

describe('ANALYSIS_FPS with DETECTOR=off', () => {
  it('is ignored, with a warning at start: nothing is decoded, every frame counts as processed', async () => {
    server = await startTestServer({ ...commonConfig, detector: 'off', analysisFps: 5 });
    expect(server.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^ANALYSIS_FPS is ignored with DETECTOR=off/) }));
    const { client } = await server.connect({ audio: false });
    await client.sendVideoFrames(12, { intervalMs: 10 });
    client.stopVideo();
    const summary = (await client.waitForStreamClosed(5000)).summary as unknown as Record<string, number>;

    expectInvariant(summary);
    expect(summary).toMatchObject({ total_frames_received: 12, total_frames_processed: 12, total_frames_not_sampled: 0 });
  });
});

describe('lost frames', () => {
  it.each([
    ['the first keyframe', [0], 29],
    ['a delta frame mid-stream', [10], 19],
  ])('losing %s: the following delta frames wait for the next keyframe, which is requested (PLI)', async (_what, lost, waiting) => {
    server = await startTestServer(commonConfig);
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, 'vp8_red_square.ivf') });
    let pliReceived = 0;
    client.peerConnection.getTransceivers()[0]!.sender.onRtcp.subscribe((packet) => {
      if (packet.type === 206) pliReceived++;
    });
    await client.sendVideoFrames(60, { loseFrames: lost });
    await settled(peer, 59);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, number> & { dropped_by_reason: Record<string, number> };

    expectInvariant(summary);
    expect(summary.total_frames_received).toBe(59);
    expect(summary.dropped_by_reason).toEqual({ waiting_for_keyframe: waiting });
    expect(summary.total_frames_processed).toBe(59 - waiting);
    expect(summary.total_detections).toBe(59 - waiting);
    expect(summary.keyframe_requests).toBeGreaterThanOrEqual(1);
    await eventually(() => pliReceived >= 1, 2000, 'the PLI at the client');
  });
});

describe('a decoder that hangs', () => {
  it('ends in counted analysis_timeout drops and a replaced worker, not a stuck session', async () => {
    // 5 ms is shorter than a VP8 decode in wasm (about 7 ms, and a new worker's first one loads
    // the wasm decoder): every frame that reaches a worker "hangs". Native decoding takes 1 ms.
    server = await startTestServer({ ...commonConfig, decoder: 'wasm', frameTimeoutMs: 5, decodeWorkers: 1 });
    const { client, peer } = await server.connect({ audio: false, videoFile: join(FIXTURES, 'vp8_red_square.ivf') });
    await client.sendVideoFrames(30);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, number> & { dropped_by_reason: Record<string, number> };
    await peer.released;

    expectInvariant(summary);
    expect(summary.total_frames_received).toBe(30);
    expect(summary.dropped_by_reason.analysis_timeout).toBeGreaterThanOrEqual(1);
    expect(server.logs.some((entry) => entry.message === 'Frame worker replaced')).toBe(true);
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'tracks_ended' });
  });
});

describe('audio', () => {
  it('decodes Opus to measure its level and voice activity: a tone, then silence', async () => {
    const tone = await encodeOpusTone(25, { amplitude: 0.1 });
    server = await startTestServer(commonConfig);
    const { client } = await server.connect({ video: false });
    await client.sendAudioFrames(25, { opusPackets: tone });
    await client.sendAudioFrames(25);
    client.stopAudio();
    const closed = await client.waitForStreamClosed(5000);
    const summary = closed.summary as unknown as Record<string, unknown>;

    // A sine of amplitude 0.1 is -23 dBov RMS; half the packets are digital silence, so the
    // power mean is 3 dB lower. Only the tone is voice.
    expect(summary).toMatchObject({ audio_frames: 50, audio_level_source: 'decoded' });
    expect(summary.audio_level_dbov as number).toBeGreaterThan(-28);
    expect(summary.audio_level_dbov as number).toBeLessThan(-24);
    expect(summary.voice_activity_ratio as number).toBeGreaterThanOrEqual(0.45);
    expect(summary.voice_activity_ratio as number).toBeLessThanOrEqual(0.55);
  });
});

describe('overload', () => {
  /** The real decoding pipeline behind an analysis that takes `delayMs` longer per frame. */
  function slowPipeline(pool: FrameWorkerPool, delayMs: number): AnalyzerFactory {
    const real = new DecodingAnalyzerFactory(pool);
    return {
      forTrack(track) {
        const analyzer = real.forTrack(track);
        const slow: FrameAnalyzer = {
          analyze: async (frame) => {
            const result = await analyzer.analyze(frame);
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            return result;
          },
          framesLost: () => analyzer.framesLost?.(),
          close: () => analyzer.close?.(),
        };
        return slow;
      },
    };
  }

  it('a processor too slow for the stream drops and counts frames, stays live and keeps the summary right', async () => {
    const pool = new FrameWorkerPool({
      detector: 'colour-region',
      detectorOptions: {},
      jobTimeoutMs: 2000,
      size: 1,
      logger: createLogger({ level: 'error', format: 'json', silent: true }),
    });
    try {
      server = await startTestServer({ ...commonConfig, frameBufferSize: 5 }, slowPipeline(pool, 100));
      const { client } = await server.connect({ audio: false, videoFile: join(FIXTURES, 'vp8_red_square.ivf') });
      const heapBefore = process.memoryUsage().heapUsed;
      await client.sendVideoFrames(240);
      const detectionsWhileStreaming = detectionEvents(client.events).length;
      client.stopVideo();
      const closed = await client.waitForStreamClosed(5000);
      const summary = closed.summary as unknown as Record<string, number> & { dropped_by_reason: Record<string, number> };
      const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

      expectInvariant(summary);
      expect(summary.total_frames_received).toBe(240);
      expect(summary.total_frames_dropped).toBeGreaterThan(100);
      expect(summary.dropped_by_reason.buffer_full).toBeGreaterThan(0);
      // Still live: detections kept coming during the 8 s of overload.
      expect(summary.total_frames_processed).toBeGreaterThan(10);
      expect(detectionsWhileStreaming).toBeGreaterThan(5);
      expect(heapGrowthMb).toBeLessThan(50);
      console.log(`overload: ${JSON.stringify({ ...summary, heapGrowthMb: Math.round(heapGrowthMb) })}`);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
