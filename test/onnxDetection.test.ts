/**
 * DETECTOR=onnx end to end: a werift client streams the red-square clip (VP8, 640x480) to the
 * real server, whose frame workers run a model the suite built (test/helpers/onnxModels.ts) on
 * ONNX Runtime. The client gets `detection` events at the square and a summary counting them;
 * a model that throws or misses its deadline drops its frames and the session goes on; a model
 * that does not fit its options stops the server at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../bench/serverProcess';
import type { DetectorOptions } from '../src/media/detectors/detector';
import { convStackModel, fixedBoxesModel, redMaskModel, throwingModel } from './helpers/onnxModels';
import { finishTestServer, startTestServer, type TestServer } from './helpers/testServer';

const CLIP = join(__dirname, 'fixtures', 'video', 'vp8_red_square.ivf');
/** Where the clip's red square is (test/fixtures/video/README.md). */
const SQUARE = { x: 384, y: 96, width: 160, height: 160 };

let dir: string;
let server: TestServer | undefined;
const file = (name: string, bytes: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onnx-e2e-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

type Summary = { [name: string]: number } & { total_frames_processed: number; total_frames_dropped: number; dropped_by_reason: Record<string, number> };
type DetectionEvent = { detections: Array<{ label: string; score: number; bbox: [number, number, number, number] }>; frame_width: number; frame_height: number };

async function stream(detectorOptions: DetectorOptions, extra: Record<string, unknown> = {}): Promise<{ summary: Summary; events: DetectionEvent[] }> {
  server = await startTestServer({ detector: 'onnx', detectorOptions, decodeWorkers: 2, videoInactivityMs: 500, audioInactivityMs: 500, ...extra });
  const { client } = await server.connect({ audio: false, videoFile: CLIP });
  await client.sendVideoFrames(60);
  client.stopVideo();
  const closed = await client.waitForStreamClosed(10_000);
  const events = client.events.filter((event) => event.event_type === 'detection') as unknown as DetectionEvent[];
  return { summary: closed.summary as unknown as Summary, events };
}

function expectNearSquare([x, y, width, height]: [number, number, number, number], tolerance: number): void {
  expect(Math.abs(x - SQUARE.x)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(y - SQUARE.y)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(width - SQUARE.width)).toBeLessThanOrEqual(2 * tolerance);
  expect(Math.abs(height - SQUARE.height)).toBeLessThanOrEqual(2 * tolerance);
}

describe('DETECTOR=onnx through a real connection', () => {
  it('a segmentation model (mask convention) finds the red square: detection events at it and total_detections in the summary', async () => {
    const model = file('mask.onnx', redMaskModel({ width: 320, height: 240 }));
    const { summary, events } = await stream({ model, output: 'mask', resize: 'stretch', labels: file('labels.txt', 'wound\n') });
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event).toMatchObject({ frame_width: 640, frame_height: 480 });
      expect(event.detections).toHaveLength(1);
      expect(event.detections[0]).toMatchObject({ label: 'wound' });
      expectNearSquare(event.detections[0]!.bbox, 4);
    }
    expect(summary.total_frames_received).toBe(60);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
    // Every analysed frame shows the square once.
    expect(summary.total_detections).toBe(summary.total_frames_analyzed);
    expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
    expect(summary.avg_detect_time_ms).toBeGreaterThan(0);
  });

  it('a detection model (boxes convention, letterboxed 640x640) gives its boxes in the picture’s pixels', async () => {
    // The 640x480 picture lies at y 80..560 of the letterboxed input: the square is at input (384,176)-(544,336).
    const model = file('boxes.onnx', fixedBoxesModel({ width: 640, height: 640, boxes: [[384, 176, 544, 336, 0.8, 0]] }));
    const { summary, events } = await stream({ model, output: 'boxes' });
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]!.detections).toEqual([{ label: 'class_0', score: expect.closeTo(0.8, 5), bbox: [384, 96, 160, 160] }]);
    expect(summary.total_detections).toBe(summary.total_frames_analyzed);
  });

  it('a model that throws on every frame: the frames are dropped as analysis_error, the session ends with its summary', async () => {
    const model = file('throwing.onnx', throwingModel({ width: 64, height: 64 }));
    const { summary, events } = await stream({ model, output: 'mask' });
    expect(events).toEqual([]);
    expect(summary.total_detections).toBe(0);
    expect(summary.dropped_by_reason.analysis_error).toBeGreaterThan(0);
    expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
  });

  it('a model past its deadline (DETECT_TIMEOUT_MS=1): its frames are dropped as analysis_timeout', async () => {
    // A stack of 3x3 convolutions over a 640x480 input: milliseconds per frame, far past 1 ms.
    const model = file('slow.onnx', convStackModel({ width: 640, height: 480, channels: 8, layers: 3 }));
    const { summary } = await stream({ model, output: 'mask' }, { detectTimeoutMs: 1, frameTimeoutMs: 2000 });
    expect(summary.dropped_by_reason).toMatchObject({ analysis_timeout: expect.any(Number) });
    expect(summary.dropped_by_reason.analysis_timeout).toBeGreaterThan(0);
    expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
  });

  it('a model that does not fit its options stops the server at start, naming the problem', async () => {
    const model = file('mask-for-boxes.onnx', redMaskModel({ width: 64, height: 64 }));
    await expect(startTestServer({ detector: 'onnx', detectorOptions: { model, output: 'boxes' } })).rejects.toThrow(
      /DETECTOR_MODEL .*mask-for-boxes.onnx: output 'mask' has shape \[1,1,64,64\]/,
    );
    // The process itself: exit code 1 and the reason on its output.
    const started = startServerProcess('this', { env: { DETECTOR: 'onnx', DETECTOR_MODEL: file('garbage.onnx', 'not a model'), DETECTOR_OPTIONS: 'output=mask' } });
    await expect(started).rejects.toThrow(/exited \(code 1.*Failed to start: DETECTOR_MODEL .*garbage.onnx is not a model ONNX Runtime can load/s);
  });
});
