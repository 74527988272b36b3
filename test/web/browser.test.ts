/**
 * The browser client (GET /) in Debian's Chromium with a synthetic camera and microphone,
 * against the real server.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import {
  fetchSession,
  launchChromium,
  millisecondsUntilReleased,
  startPageSession,
  waitForPageCounterAbove,
  type PageSession,
} from './browserHarness';

jest.setTimeout(60_000);

const INACTIVITY_MS = 500;
/** How long a test waits for a release before it gives up: no timing claim, far above every deadline. */
const SANITY_BOUND_MS = 15_000;
const ROOT = path.resolve(__dirname, '../..');
const timings: Record<string, number> = {};

let browser: Browser;
let server: TestServer;
let session: PageSession | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await mkdir(path.join(ROOT, 'test-output'), { recursive: true });
  await writeFile(path.join(ROOT, 'test-output/browser-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
});

beforeEach(async () => {
  server = await startTestServer({ videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS });
});

afterEach(async () => {
  await expectNothingLeft(server);
  await session?.context.close();
  session = null;
  await server.close();
});

function summaryValue(field: string) {
  return session!.page.getByTestId(`summary-${field}`);
}

describe('browser client', () => {
  it('GET / serves the page and its bundled script', async () => {
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('id="summary-card"');
    const script = await fetch(`${server.url}/page/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('/offer');
  });

  it('Start streams to the server; Stop everything shows the summary card', async () => {
    session = await startPageSession(browser, server);
    const { page, sessionId } = session;
    const framesSeen = await waitForPageCounterAbove(page, 'frames_received', 0);
    expect(framesSeen).toBeGreaterThan(0);
    await waitForPageCounterAbove(page, 'audio_frames', 0);
    await page.getByTestId('events').locator('[data-event-type="session_started"]').waitFor();

    const stopped = Date.now();
    await page.getByTestId('stop-everything').click();
    const card = page.getByTestId('summary-card');
    await card.waitFor({ state: 'visible', timeout: SANITY_BOUND_MS });
    timings.stopEverythingToSummaryCardMs = Date.now() - stopped;

    await expect(summaryValue('reason').textContent()).resolves.toBe('tracks ended');
    expect(Number(await summaryValue('frames-received').textContent())).toBeGreaterThan(0);
    const received = Number(await summaryValue('frames-received').textContent());
    const processed = Number(await summaryValue('frames-processed').textContent());
    const dropped = Number(await summaryValue('frames-dropped').textContent());
    expect(received).toBe(processed + dropped);
    // The card must come from stream_closed on the data channel, not from the session poll.
    expect(await card.getAttribute('data-source')).toBe('data-channel');

    const record = await fetchSession(server, sessionId);
    expect(record.summary).toMatchObject({ total_frames_received: received });

    await mkdir(path.join(ROOT, 'test-output'), { recursive: true });
    await card.screenshot({ path: path.join(ROOT, 'test-output/summary-card.png') });
    await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS);
  });

  it('Stop camera keeps the session Active; Stop microphone then closes it', async () => {
    // The microphone keeps streaming while the session is checked to stay Active (for twice the
    // video's inactivity time): with the audio's at 500 ms too, a stall of Chromium's audio on a
    // busy machine could end the session first.
    await server.close();
    server = await startTestServer({ videoInactivityMs: INACTIVITY_MS, audioInactivityMs: 2000 });
    session = await startPageSession(browser, server);
    const { page, sessionId } = session;
    await waitForPageCounterAbove(page, 'frames_received', 0);
    await waitForPageCounterAbove(page, 'audio_frames', 0);

    await page.getByTestId('stop-camera').click();
    const deadline = Date.now() + SANITY_BOUND_MS;
    let record = await fetchSession(server, sessionId);
    while (record.tracks.find((track) => track.kind === 'video')?.status !== 'stopped') {
      if (Date.now() > deadline) throw new Error(`video track still ${JSON.stringify(record.tracks)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      record = await fetchSession(server, sessionId);
    }
    await new Promise((resolve) => setTimeout(resolve, INACTIVITY_MS * 2));
    record = await fetchSession(server, sessionId);
    expect(record.state).toBe('Active');
    expect(record.tracks.find((track) => track.kind === 'audio')?.status).toBe('live');
    await expect(page.getByTestId('summary-card').isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('track-video').getAttribute('data-status')).resolves.toBe('stopped');

    await page.getByTestId('stop-microphone').click();
    await page.getByTestId('summary-card').waitFor({ state: 'visible', timeout: SANITY_BOUND_MS });
    await expect(summaryValue('reason').textContent()).resolves.toBe('tracks ended');
    expect(Number(await summaryValue('frames-received').textContent())).toBeGreaterThan(0);
    await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS);
  });

  // What ends a session and what its closing waits for come from the server's own record, not
  // from a stopwatch in the test (the machine is noisy): the close reason and the tracks' end
  // reasons name the deadline or the goodbye that ended it, and a closing step that waited out
  // its timeout (emitSummary's 2 s, emitTimeout) leaves a fault. The waits below are sanity
  // bounds only, far above any deadline involved.
  it('Hang up: the server hears the goodbye and releases the session, waiting out no inactivity time and no closing timeout', async () => {
    session = await startPageSession(browser, server);
    const { page, sessionId } = session;
    await waitForPageCounterAbove(page, 'frames_received', 0);

    await page.getByTestId('hang-up').click();
    timings.hangUpToReleasedMs = await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS);
    const record = await fetchSession(server, sessionId);
    expect(record).toMatchObject({ reason: 'peer_closed', faults: [] });
    expect(record.tracks.map((track) => track.end_reason)).toEqual(['peer_closed', 'peer_closed']);
    await page.getByTestId('session-state').filter({ hasText: 'Released' }).waitFor({ timeout: 2000 });
  });

  it('closing the tab: the tracks end by inactivity and the summary waits for no acknowledgement (inactivity + 2 s at most)', async () => {
    // A closed tab says no goodbye. With the default-like 2 s inactivity the server can tell
    // a silent peer from a live one (which sends RTCP at least every second or so) and does
    // not wait for a summary acknowledgement that will never come.
    const tabInactivityMs = 2000;
    await server.close();
    server = await startTestServer({ videoInactivityMs: tabInactivityMs, audioInactivityMs: tabInactivityMs });
    session = await startPageSession(browser, server);
    const { page, sessionId } = session;
    await waitForPageCounterAbove(page, 'frames_received', 0);

    await page.close();
    timings.tabClosedToReleasedMs = await millisecondsUntilReleased(server, sessionId, tabInactivityMs + SANITY_BOUND_MS);
    const record = await fetchSession(server, sessionId);
    // The inactivity deadline ended both tracks...
    expect(record).toMatchObject({ reason: 'tracks_ended', faults: [] });
    expect(record.tracks.map((track) => track.end_reason)).toEqual(['inactivity', 'inactivity']);
    // ...and the summary was sent without waiting out emitTimeout (that would be a fault).
    expect(record.timeline.map((entry) => entry.state)).toContain('EmittingSummary');
  });
});
