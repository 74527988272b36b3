/**
 * The browser client shows the server's detections: Chromium's synthetic camera plays a Y4M
 * file (a red square on grey, or plain grey) to the real server running the colour-region
 * detector, and the page draws the boxes it is sent over the camera preview.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { paintRect, solidI420, type I420Frame, type Rgb } from '../../src/media/i420Frame';
import { redMaskModel } from '../helpers/onnxModels';
import { expectNothingLeft, serverConnection, startTestServer, type ConfigOverrides, type TestServer } from '../helpers/testServer';
import { fetchSession, launchChromium, millisecondsUntilReleased, startPageSession, type PageSession } from './browserHarness';
import { withDeadline } from '../../client/deadline';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
const OUTPUT = path.join(ROOT, 'test-output');
const INACTIVITY_MS = 500;
const RELEASE_DEADLINE_MS = INACTIVITY_MS + 2000;

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 30;
const GREY: Rgb = [128, 128, 128];
const RED: Rgb = [220, 30, 30];
const SQUARE = { x: 200, y: 160, w: 160, h: 160 };
/** How far (in pixels of the 640x480 picture) a reported box edge may be from the square's. */
const TOLERANCE_PX = 24;
const FIRST_DETECTION_TIMEOUT_MS = 20_000;
/** How long the grey stream runs, once frames are analysed, without a detection. */
const GREY_STREAMING_MS = 3000;

let videoDir: string;
/** The detector the server runs: colour-region, or a model for the onnx tests. */
let detectorConfig: Pick<ConfigOverrides, 'detector' | 'detectorOptions'> = { detector: 'colour-region' };
let browser: Browser | null = null;
let server: TestServer;
let session: PageSession | null = null;
const timings: Record<string, unknown> = {};

/** A YUV4MPEG2 file of `frames` copies of one I420 picture. */
function y4m(frame: I420Frame, frames: number): Buffer {
  const header = Buffer.from(`YUV4MPEG2 W${frame.width} H${frame.height} F30:1 Ip A1:1 C420jpeg\n`);
  const picture = Buffer.concat([Buffer.from('FRAME\n'), frame.y, frame.u, frame.v]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => picture)]);
}

beforeAll(async () => {
  videoDir = await mkdtemp(path.join(os.tmpdir(), 'browser-detections-'));
  const square = paintRect(solidI420(WIDTH, HEIGHT, GREY), SQUARE.x, SQUARE.y, SQUARE.w, SQUARE.h, RED);
  await writeFile(path.join(videoDir, 'red-square.y4m'), y4m(square, FRAMES));
  await writeFile(path.join(videoDir, 'grey.y4m'), y4m(solidI420(WIDTH, HEIGHT, GREY), FRAMES));
});

afterAll(async () => {
  await rm(videoDir, { recursive: true, force: true });
  await mkdir(OUTPUT, { recursive: true });
  await writeFile(path.join(OUTPUT, 'detections-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
});

beforeEach(async () => {
  // On the main thread: the tests look at the codecs werift negotiated there.
  server = await startTestServer({
    mediaWorkers: 0,
    ...detectorConfig,
    videoInactivityMs: INACTIVITY_MS,
    audioInactivityMs: INACTIVITY_MS,
  });
});

/** Rejects when `promise` has not settled within `ms`, so a failed test cannot hang its cleanup. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(ms, () => `${what} after ${ms} ms`, () => promise);
}

afterEach(async () => {
  try {
    // A test that failed before Stop leaves its session live: give up waiting and close everything.
    await within(expectNothingLeft(server), RELEASE_DEADLINE_MS + 5000, 'sessions still not released');
  } finally {
    await session?.context.close();
    session = null;
    await browser?.close();
    browser = null;
    await server.close();
  }
});

/** Records the page's Content-Security-Policy violations (drawing boxes must cause none). */
const RECORD_CSP_VIOLATIONS = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});`;

async function startWithVideo(file: string, initScript = ''): Promise<PageSession> {
  browser = await launchChromium({ fakeVideoFile: path.join(videoDir, file) });
  session = await startPageSession(browser, server, { initScript: `${RECORD_CSP_VIOLATIONS}\n${initScript}` });
  return session;
}

function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

async function pageNumber(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).textContent());
}

/** Polls GET /sessions/<id> until `probe` accepts its counters. */
async function waitForCounters(sessionId: string, probe: (counters: Record<string, number>) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await fetchSession(server, sessionId);
    if (probe(record.counters)) return record.counters;
    if (Date.now() > deadline) throw new Error(`session counters ${JSON.stringify(record.counters)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The video codecs negotiated on the server's side (preferred first) and the one its track receives. */
function serverVideoCodecs() {
  const video = serverConnection(server.peers[0]!).getTransceivers().find((transceiver) => transceiver.kind === 'video');
  return {
    negotiated: video?.codecs.map((codec) => codec.mimeType) ?? [],
    received: video?.receiver.tracks.map((track) => track.codec?.mimeType ?? 'unknown') ?? [],
  };
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What the page shows, read in one go so the latest detection and the drawn boxes belong to the same event. */
function readDetectionView(page: Page) {
  return page.evaluate(() => {
    const rect = (element: Element): Box => {
      const { left, top, width, height } = element.getBoundingClientRect();
      return { left, top, width, height };
    };
    const video = document.querySelector<HTMLVideoElement>('[data-testid="preview"]')!;
    const latest = document.querySelector<HTMLElement>('[data-testid="latest-detection"]')!;
    return {
      count: Number(document.querySelector('[data-testid="detection-count"]')!.textContent),
      latest: { ...latest.dataset },
      latestText: latest.textContent ?? '',
      video: rect(video),
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      boxes: [...document.querySelectorAll('[data-testid="detection-box"]')].map(rect),
      eventLines: document.querySelectorAll('[data-testid="events"] [data-event-type="detection"]').length,
    };
  });
}

/** A box's edges, each within the tolerance of the square's. */
function expectNearSquare(box: Box, tolerance: number): void {
  const edges = { left: box.left, top: box.top, right: box.left + box.width, bottom: box.top + box.height };
  const square = { left: SQUARE.x, top: SQUARE.y, right: SQUARE.x + SQUARE.w, bottom: SQUARE.y + SQUARE.h };
  for (const edge of ['left', 'top', 'right', 'bottom'] as const) {
    if (Math.abs(edges[edge] - square[edge]) > tolerance) {
      throw new Error(`box ${JSON.stringify(box)}: its ${edge} edge is not within ${tolerance} px of the square ${JSON.stringify(SQUARE)}`);
    }
  }
}

/** Stop everything, then the summary card from stream_closed and the final record. */
async function stopEverything(page: Page, sessionId: string) {
  await page.getByTestId('stop-everything').click();
  const card = page.getByTestId('summary-card');
  await card.waitFor({ state: 'visible', timeout: RELEASE_DEADLINE_MS + 2000 });
  expect(await card.getAttribute('data-source')).toBe('data-channel');
  await millisecondsUntilReleased(server, sessionId, RELEASE_DEADLINE_MS);
  const record = await fetchSession(server, sessionId);
  return { cardDetections: await pageNumber(page, 'summary-detections'), summary: record.summary! };
}

/** Makes the page's video sender send the camera's picture at half its width and height. */
const HALF_RESOLUTION_SENDER = `(() => {
  const addTrack = RTCPeerConnection.prototype.addTrack;
  RTCPeerConnection.prototype.addTrack = function (track, ...streams) {
    const sender = addTrack.call(this, track, ...streams);
    if (track.kind === 'video') {
      const parameters = sender.getParameters();
      for (const encoding of parameters.encodings) encoding.scaleResolutionDownBy = 2;
      sender.setParameters(parameters).catch((error) => console.error('setParameters', error));
    }
    return sender;
  };
})();`;

/**
 * Puts `mimeType` (those of its formats whose fmtp has every one of `fmtpParts`) first in the
 * video transceiver's codec preferences, as a page preferring that codec does.
 */
function preferVideoCodec(mimeType: string, fmtpParts: string[] = []): string {
  return `(() => {
  const addTrack = RTCPeerConnection.prototype.addTrack;
  RTCPeerConnection.prototype.addTrack = function (track, ...streams) {
    const sender = addTrack.call(this, track, ...streams);
    if (track.kind === 'video') {
      const transceiver = this.getTransceivers().find((candidate) => candidate.sender === sender);
      const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
      const parts = ${JSON.stringify(fmtpParts)};
      const first = codecs.filter((codec) => codec.mimeType === ${JSON.stringify(mimeType)} && parts.every((part) => (codec.sdpFmtpLine ?? '').split(';').includes(part)));
      transceiver.setCodecPreferences([...first, ...codecs.filter((codec) => !first.includes(codec))]);
    }
    return sender;
  };
})();`;
}

/** Waits for the first detection on the page; milliseconds from Start. */
async function waitForFirstDetection({ page, sessionId, startClickedAt }: PageSession): Promise<number> {
  const deadline = startClickedAt + FIRST_DETECTION_TIMEOUT_MS;
  while ((await pageNumber(page, 'detection-count')) === 0) {
    if (Date.now() > deadline) {
      const record = await fetchSession(server, sessionId);
      throw new Error(`no detection on the page ${FIRST_DETECTION_TIMEOUT_MS} ms after Start; session ${JSON.stringify(record)}`);
    }
    await page.waitForTimeout(50);
  }
  return Date.now() - startClickedAt;
}

/**
 * The page shows the square: its latest detection's box (scaled from the analysed picture's size
 * to 640x480) and the box drawn over the preview (scaled from the picture as shown) are both
 * within the tolerance of it. Returns the analysed picture's size and the latest detection's text.
 */
async function expectSquareShown(page: Page) {
  await page.getByTestId('detection-box').first().waitFor({ state: 'visible', timeout: 5000 });
  const view = await readDetectionView(page);
  expect(view.count).toBeGreaterThan(0);
  expect(view.eventLines).toBeGreaterThan(0);
  expect(view.latest.label).toBe('wound');
  expect(Number(view.latest.score)).toBeGreaterThan(0);
  expect(view.latestText).toContain('wound');

  const frameWidth = Number(view.latest.frameWidth);
  const frameHeight = Number(view.latest.frameHeight);
  const [x, y, w, h] = (view.latest.bbox ?? '').split(',').map(Number) as [number, number, number, number];
  const toFull = { x: WIDTH / frameWidth, y: HEIGHT / frameHeight };
  expectNearSquare({ left: x * toFull.x, top: y * toFull.y, width: w * toFull.x, height: h * toFull.y }, TOLERANCE_PX);

  // The preview shows the camera's picture with object-fit: contain.
  expect(view.videoWidth / view.videoHeight).toBeCloseTo(WIDTH / HEIGHT, 2);
  const scale = Math.min(view.video.width / view.videoWidth, view.video.height / view.videoHeight);
  const shown = {
    left: view.video.left + (view.video.width - view.videoWidth * scale) / 2,
    top: view.video.top + (view.video.height - view.videoHeight * scale) / 2,
    toFull: WIDTH / (view.videoWidth * scale),
  };
  expect(view.boxes.length).toBeGreaterThan(0);
  const [drawn] = view.boxes;
  expectNearSquare(
    {
      left: (drawn!.left - shown.left) * shown.toFull,
      top: (drawn!.top - shown.top) * shown.toFull,
      width: drawn!.width * shown.toFull,
      height: drawn!.height * shown.toFull,
    },
    // A CSS pixel of the preview is more than one pixel of the picture.
    TOLERANCE_PX + 2 * shown.toFull,
  );
  expect(await cspViolations(page)).toEqual([]);
  return { frameWidth, frameHeight, latest: view.latestText };
}

describe('browser client: detections', () => {
  it('draws the box of a red square over the preview and counts detections', async () => {
    const started = await startWithVideo('red-square.y4m');
    const { page, sessionId } = started;
    timings.startToSessionIdMs = Date.now() - started.startClickedAt;
    timings.startToFirstDetectionOnPageMs = await waitForFirstDetection(started);

    const shown = await expectSquareShown(page);
    timings.analysedPicture = `${shown.frameWidth}x${shown.frameHeight}`;
    timings.latestDetection = shown.latest;
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'detections-page.png'), fullPage: true });

    const counters = await waitForCounters(sessionId, (c) => c.frames_processed! > 0 && c.detections! > 0, 5000);
    expect(counters.frames_processed).toBeGreaterThan(0);
    expect(counters.detections).toBeGreaterThan(0);
    expect(server.manager.view(sessionId)?.counters.detections).toBeGreaterThan(0);
    timings.videoCodecs = serverVideoCodecs();

    const { cardDetections, summary } = await stopEverything(page, sessionId);
    expect(cardDetections).toBeGreaterThan(0);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
    expect(summary.detection_events).toBeGreaterThan(0);
    expect(cardDetections).toBe(summary.total_detections);
    timings.redSquareSummary = summary;
  });

  it('scales the boxes when the browser sends a smaller picture than its camera shows', async () => {
    const started = await startWithVideo('red-square.y4m', HALF_RESOLUTION_SENDER);
    const { page, sessionId } = started;
    timings.halfResolutionStartToFirstDetectionOnPageMs = await waitForFirstDetection(started);

    const shown = await expectSquareShown(page);
    expect([shown.frameWidth, shown.frameHeight]).toEqual([WIDTH / 2, HEIGHT / 2]);
    timings.halfResolutionAnalysedPicture = `${shown.frameWidth}x${shown.frameHeight}`;
    timings.halfResolutionLatestDetection = shown.latest;

    const { summary } = await stopEverything(page, sessionId);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
  });

  // Debian 12's Chromium 156 sends both (RTCRtpSender.getCapabilities lists VP9 and AV1 profile 0);
  // AV1 is decoded by the native decoders' dav1d.
  it.each(['VP9', 'AV1'])('a browser that prefers %s gets it, decoded and analysed like VP8', async (codec) => {
    const started = await startWithVideo('red-square.y4m', preferVideoCodec(`video/${codec}`));
    const { page, sessionId } = started;
    timings[`${codec.toLowerCase()}StartToFirstDetectionOnPageMs`] = await waitForFirstDetection(started);
    await expectSquareShown(page);
    const codecs = serverVideoCodecs();
    expect(codecs.negotiated[0]).toBe(`video/${codec}`);
    expect(codecs.received).toEqual([`video/${codec}`]);
    timings[`${codec.toLowerCase()}VideoCodecs`] = codecs;

    const { summary } = await stopEverything(page, sessionId);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
    expect(summary.keyframes).toBeGreaterThan(0);
  });

  // Chromium 156 offers H264 main (4d001f) and, preferred, gets it negotiated; but its encoder
  // (OpenH264) sends constrained baseline under it (SPS 42c01f, seen on the server), which a
  // main decoder decodes. So this checks the negotiation; main and high pictures come from the
  // werift client's clips (test/pipeline.test.ts).
  it('a browser that prefers H264 main gets main negotiated, decoded and analysed', async () => {
    const started = await startWithVideo('red-square.y4m', preferVideoCodec('video/H264', ['profile-level-id=4d001f', 'packetization-mode=1']));
    const { page, sessionId } = started;
    await waitForFirstDetection(started);
    await expectSquareShown(page);
    const video = serverConnection(server.peers[0]!).getTransceivers().find((transceiver) => transceiver.kind === 'video');
    expect(video?.codecs[0]).toMatchObject({ mimeType: 'video/H264', parameters: expect.stringContaining('profile-level-id=4d001f') });
    expect(video?.codecs[0]?.parameters).toContain('packetization-mode=1');
    expect(serverVideoCodecs().received).toEqual(['video/H264']);

    const { summary } = await stopEverything(page, sessionId);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
  });

  it('finds nothing in a plain grey picture', async () => {
    const { page, sessionId } = await startWithVideo('grey.y4m');

    await waitForCounters(sessionId, (c) => c.frames_processed! > 0, FIRST_DETECTION_TIMEOUT_MS);
    await page.waitForTimeout(GREY_STREAMING_MS);
    const view = await readDetectionView(page);
    expect(view.count).toBe(0);
    expect(view.eventLines).toBe(0);
    expect(view.boxes).toEqual([]);
    expect(view.latestText).toBe('none yet');
    const counters = (await fetchSession(server, sessionId)).counters;
    expect(counters.detections).toBe(0);

    const { cardDetections, summary } = await stopEverything(page, sessionId);
    expect(cardDetections).toBe(0);
    expect(summary.total_detections).toBe(0);
    expect(summary.total_frames_analyzed).toBeGreaterThan(0);
    timings.greySummary = summary;
  });
});

/** The page with the user's own model (DETECTOR=onnx): a segmentation model the suite builds, labelled from a labels file. */
describe('browser client: detections from an ONNX model', () => {
  beforeAll(async () => {
    const model = path.join(videoDir, 'red-mask.onnx');
    await writeFile(model, redMaskModel({ width: 320, height: 240 }));
    await writeFile(path.join(videoDir, 'labels.txt'), 'wound\n');
    detectorConfig = { detector: 'onnx', detectorOptions: { model, output: 'mask', resize: 'stretch', labels: path.join(videoDir, 'labels.txt') } };
  });

  afterAll(() => {
    detectorConfig = { detector: 'colour-region' };
  });

  it('draws the box the model finds around the red square, and the summary counts its detections', async () => {
    const started = await startWithVideo('red-square.y4m');
    const { page, sessionId } = started;
    timings.startToFirstOnnxDetectionOnPageMs = await waitForFirstDetection(started);
    await expectSquareShown(page);
    const { cardDetections, summary } = await stopEverything(page, sessionId);
    expect(summary.total_detections).toBeGreaterThan(0);
    expect(cardDetections).toBe(summary.total_detections);
    expect(server.logs.some((entry) => entry.message === 'detector model' && entry.convention === 'mask')).toBe(true);
  });
});
