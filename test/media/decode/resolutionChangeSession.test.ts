/**
 * A client whose video changes resolution mid-stream (320x240, then 640x480, then 320x240, a
 * keyframe at each change; fixtures/decode/README.md), end to end: real server on loopback, real
 * werift client, the frame workers' decoders (native, and the WebAssembly fallback) and the
 * colour-region detector.
 */
import { join } from 'node:path';
import type { StreamSummary } from '../../../src/protocol';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../../helpers/testServer';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'decode');
/** The red square in each size (the same place relative to the picture). */
const SQUARE_AT: Record<number, number[]> = { 320: [192, 48, 80, 80], 640: [384, 96, 160, 160] };

interface DetectionEventSeen {
  event_type: string;
  frame_width?: number;
  frame_height?: number;
  detections?: Array<{ bbox: number[] }>;
}

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

function expectCountsAddUp(summary: StreamSummary): void {
  const byReason = Object.values(summary.dropped_by_reason).reduce((sum, n) => sum + (n ?? 0), 0);
  expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
  expect(summary.total_frames_dropped).toBe(byReason);
  expect(summary.total_frames_not_sampled).toBeLessThanOrEqual(summary.total_frames_processed);
}

describe.each(['native', 'wasm'] as const)('a resolution change mid-stream, %s decoders', (decoder) => {
  it.each([
    ['VP8', 'vp8_resolution_change.ivf'],
    ['H264', 'h264_resolution_change.h264'],
  ])('%s: every frame counted, and detections carry the size of the picture they were found in', async (_codec, file) => {
    server = await startTestServer({ mediaWorkers: 0, decoder, detector: 'colour-region', videoInactivityMs: 5000 });
    const { client } = await server.connect({ audio: false, videoFile: join(FIXTURES, file) });
    const detections = () => client.events.filter((event) => event.event_type === 'detection') as unknown as DetectionEventSeen[];
    /** Sends the next run of 10 frames, then waits for a detection event of its size after every earlier one. */
    const run = async (width: number, height: number) => {
      const before = detections().length;
      await client.sendVideoFrames(10);
      const seen = await eventually(
        () => detections().slice(before).find((event) => event.frame_width === width),
        5000,
        `a detection in a ${width}x${height} picture`,
      );
      expect(seen.frame_height).toBe(height);
      expect(seen.detections).toHaveLength(1);
      seen.detections![0]!.bbox.forEach((value, i) => {
        if (Math.abs(value - SQUARE_AT[width]![i]!) > 4) throw new Error(`box ${JSON.stringify(seen.detections![0]!.bbox)} in ${width}x${height}`);
      });
    };
    await run(320, 240);
    await run(640, 480);
    await run(320, 240);
    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    expect(closed.summary).toMatchObject({ total_frames_received: 30, total_frames_processed: 30, total_frames_dropped: 0, keyframes: 3 });
    expectCountsAddUp(closed.summary);
  });
});
