/**
 * The page a developer opens with INSPECT=1, in real Chromium. The Stately inspector's own page
 * (https://stately.ai/inspect) is replaced by a stand-in that speaks its side of the protocol
 * (announces `@statelyai.connected`, keeps what it is posted); nothing leaves the machine.
 */
import type { Browser } from 'playwright-core';
import type { StatelyInspectionEvent, StatelySnapshotEvent } from '@statelyai/inspect';
import type { PeerSession } from '../../src/sessions/peerSession';
import { launchChromium } from '../web/browserHarness';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const STAND_IN = `<!doctype html><script>
window.received = [];
addEventListener('message', (message) => window.received.push(message.data));
parent.postMessage({ type: '@statelyai.connected' }, '*');
</script>`;

let server: TestServer;
let browser: Browser;

afterEach(async () => {
  await browser?.close();
  await finishTestServer(server);
});

it("passes every session's inspection events into the Stately inspector's frame, those from before it opened too", async () => {
  server = await startTestServer({ inspect: true, inspectPort: 0, videoInactivityMs: 300, audioInactivityMs: 300 });
  const runSession = async () => {
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(5, { intervalMs: 10 });
    client.stopVideo();
    await peer.released;
    return peer;
  };
  const before = await runSession();
  browser = await launchChromium();
  const page = await browser.newPage();
  const refused: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === 'https://stately.ai/inspect') return route.fulfill({ contentType: 'text/html', body: STAND_IN });
    if (url.startsWith(server.inspector!.pageUrl)) return route.continue();
    refused.push(url);
    return route.abort();
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.inspector!.pageUrl);
  await page.getByText('connected to the server').waitFor({ timeout: 5000 });

  const after = await runSession();

  const inspector = page.frames().find((frame) => frame.url() === 'https://stately.ai/inspect')!;
  const shownInFrame = async (peer: PeerSession) => {
    const events = (await inspector.evaluate('window.received')) as StatelyInspectionEvent[];
    const actor = events.find((event) => event.type === '@xstate.actor' && event.name === `peerSession ${peer.id}`);
    const states = events
      .filter((event): event is StatelySnapshotEvent => event.type === '@xstate.snapshot' && event.sessionId === actor?.sessionId)
      .map((event) => (event.snapshot as { value?: string }).value);
    return states.filter((state, i) => state !== states[i - 1]);
  };
  const deadline = Date.now() + 3000;
  while ((await shownInFrame(after)).at(-1) !== 'Released' && Date.now() < deadline) await page.waitForTimeout(20);
  for (const peer of [before, after]) {
    expect(await shownInFrame(peer)).toEqual(peer.view().timeline.map((entry) => entry.state).filter((state) => state !== 'TrackEnding'));
  }
  expect(refused).toEqual([]);
  expect(pageErrors).toEqual([]);
});

it('hears only the inspector frame: a page that opens the relay page and claims to be the inspector gets nothing, and the inspector still does', async () => {
  server = await startTestServer({ inspect: true, inspectPort: 0, videoInactivityMs: 300, audioInactivityMs: 300 });
  browser = await launchChromium();
  const context = await browser.newContext();
  // Another site: it opens the relay page and, from then on, claims to be the inspector, to it and to its frame's parent.
  const ATTACKER = `<!doctype html><script>
window.received = [];
addEventListener('message', (message) => window.received.push(message.data));
const relay = window.open(${JSON.stringify(server.inspector!.pageUrl)});
setInterval(() => relay.postMessage({ type: '@statelyai.connected' }, '*'), 2);
</script>`;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === 'https://stately.ai/inspect') return route.fulfill({ contentType: 'text/html', body: STAND_IN });
    if (url === 'https://attacker.example/') return route.fulfill({ contentType: 'text/html', body: ATTACKER });
    if (url.startsWith(server.inspector!.pageUrl)) return route.continue();
    return route.abort();
  });
  const attacker = await context.newPage();
  const opened = context.waitForEvent('page');
  await attacker.goto('https://attacker.example/');
  const relay = await opened;
  await relay.getByText('connected to the server').waitFor({ timeout: 5000 });

  const { client, peer } = await server.connect({ audio: false });
  await client.sendVideoFrames(5, { intervalMs: 10 });
  client.stopVideo();
  await peer.released;

  const inspector = () => relay.frames().find((frame) => frame.url() === 'https://stately.ai/inspect')!;
  const named = async () => ((await inspector().evaluate('window.received')) as StatelyInspectionEvent[]).some((event) => event.type === '@xstate.actor' && event.name === `peerSession ${peer.id}`);
  const deadline = Date.now() + 3000;
  while (!(await named()) && Date.now() < deadline) await relay.waitForTimeout(20);
  expect(await named()).toBe(true);
  expect(await attacker.evaluate('window.received')).toEqual([]);
  await context.close();
});

it('may not be framed by another site', async () => {
  server = await startTestServer({ inspect: true, inspectPort: 0 });
  const response = await fetch(server.inspector!.pageUrl);
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
});
