/**
 * The browser client (GET /) on a server with AUTH_TOKEN, in Debian's Chromium with a synthetic
 * camera: the page loads without a credential, takes its token from `#token=` or from its own
 * form, and sends it on its own API calls only. Chromium talks to the server through a loopback
 * TCP relay that records every byte it sends, so the test sees what reached the server.
 */
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import { launchChromium, millisecondsUntilReleased, startPageSession, waitForPageCounterAbove, type PageSession } from './browserHarness';

jest.setTimeout(60_000);

/** Holds a '+', a '/' and a '=' (as a base64 token would), so the fragment has to be percent-encoded. */
const TOKEN = 'page+Token/Zq9xK2mV7pL4=';
const SANITY_BOUND_MS = 15_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Relay {
  url: string;
  /** Every byte the browser sent the server, as latin1 text. */
  sent(): string;
  close(): Promise<void>;
}

/** A TCP relay on loopback to `port` that records what the client sends. */
async function recordingRelay(port: number): Promise<Relay> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((socket) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => {
        sockets.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port: relayPort } = relay.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${relayPort}`,
    sent: () => Buffer.concat(chunks).toString('latin1'),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => relay.close(() => resolve()));
    },
  };
}

/** The header block of the first request whose request line starts with `requestLine`. */
function requestHead(sent: string, requestLine: string): string {
  const start = sent.indexOf(`${requestLine} HTTP/1.1\r\n`);
  if (start < 0) throw new Error(`the browser sent no ${requestLine}`);
  return sent.slice(start, sent.indexOf('\r\n\r\n', start));
}

let browser: Browser;
let server: TestServer;
let relay: Relay;
let session: PageSession | null = null;
let page: Page | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  server = await startTestServer({ authToken: TOKEN, videoInactivityMs: 500, audioInactivityMs: 500 });
  relay = await recordingRelay(server.port);
});

afterEach(async () => {
  await expectNothingLeft(server);
  await session?.context.close();
  await page?.context().close();
  session = null;
  page = null;
  await relay.close();
  await server.close();
});

/** The server as the browser sees it: through the relay. Sessions still join `server.peers`. */
const viaRelay = (): TestServer => ({ ...server, url: relay.url });

async function tokenFormError(target: Page): Promise<string> {
  const error = target.getByTestId('token-error');
  await error.waitFor({ state: 'visible', timeout: SANITY_BOUND_MS });
  return (await error.textContent()) ?? '';
}

describe('the page on a server with AUTH_TOKEN', () => {
  it('serves the page and its static files without a token, and nothing else', async () => {
    for (const path of ['/', '/page/app.js', '/page/styles.css', '/page/machine.json']) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect(await response.text()).not.toContain(TOKEN);
    }
    for (const path of ['/sessions', '/readyz', '/metrics', '/cluster', '/page/other.js']) {
      expect([path, (await fetch(`${server.url}${path}`)).status]).toEqual([path, 401]);
    }
  });

  it('/#token=… streams and ends with a summary; the token leaves the address bar and reaches the server only as the API calls\' Authorization header', async () => {
    session = await startPageSession(browser, viaRelay(), { path: `/#token=${encodeURIComponent(TOKEN)}` });
    const { page: tab, sessionId } = session;
    expect(await tab.evaluate(() => location.href)).toBe(`${relay.url}/`);
    await expect(tab.getByTestId('token-form').isVisible()).resolves.toBe(false);
    // The counters come from the page's own GET /sessions/<id>, made with the token.
    await waitForPageCounterAbove(tab, 'frames_received', 0);

    await tab.getByTestId('stop-everything').click();
    await tab.getByTestId('summary-card').waitFor({ state: 'visible', timeout: SANITY_BOUND_MS });
    await expect(tab.getByTestId('summary-reason').textContent()).resolves.toBe('tracks ended');
    expect(Number(await tab.getByTestId('summary-frames-received').textContent())).toBeGreaterThan(0);
    await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS, TOKEN);

    const sent = relay.sent();
    for (const line of ['GET /', 'GET /page/app.js', 'GET /page/styles.css', 'GET /page/machine.json']) {
      const head = requestHead(sent, line);
      expect(head).not.toMatch(/^authorization:/im);
      expect(head).not.toContain('token');
    }
    for (const line of ['POST /offer', `GET /sessions/${sessionId}`]) {
      expect(requestHead(sent, line).split('\r\n')).toContain(`authorization: Bearer ${TOKEN}`);
    }
    // Apart from those headers, neither the token nor its encoded form was ever sent.
    const withoutHeaders = sent.replace(/^authorization: Bearer .*$/gim, '');
    expect(withoutHeaders).not.toContain(TOKEN);
    expect(withoutHeaders).not.toContain(encodeURIComponent(TOKEN));
    expect(withoutHeaders).not.toContain('token=');
    expect(JSON.stringify(server.logs)).not.toContain(TOKEN);
    expect(JSON.stringify(server.logs)).not.toContain(encodeURIComponent(TOKEN));
  });

  it('without a token, Start shows the token form; a wrong token gets a clear error; the right one streams', async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${relay.url}/`);
    await expect(page.getByTestId('token-form').isVisible()).resolves.toBe(false);
    await page.getByTestId('start').click();
    expect(await tokenFormError(page)).toMatch(/needs an access token.*requires an Authorization: Bearer/);

    await page.getByTestId('token-input').fill('not-the-token');
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-error').filter({ hasText: 'refused this token' }).waitFor({ timeout: SANITY_BOUND_MS });
    expect(await tokenFormError(page)).toBe('The server refused this token (Unauthorized: the bearer token is not valid). Enter another one.');
    expect(server.manager.count).toBe(0);

    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    const sessionIdCell = page.getByTestId('session-id');
    await sessionIdCell.filter({ hasText: UUID }).waitFor({ timeout: SANITY_BOUND_MS });
    const sessionId = (await sessionIdCell.textContent())!.trim();
    server.peers.push(server.manager.get(sessionId)!);
    await expect(page.getByTestId('token-form').isVisible()).resolves.toBe(false);
    await waitForPageCounterAbove(page, 'frames_received', 0);

    await page.getByTestId('hang-up').click();
    await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS, TOKEN);
    expect(JSON.stringify(server.logs)).not.toContain(TOKEN);
    expect(JSON.stringify(server.logs)).not.toContain('not-the-token');
  });

  it('a wrong token in the address: Start shows the server\'s refusal in the token form, and no session is made', async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${relay.url}/#token=wrong-token`);
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/`);
    await page.getByTestId('start').click();
    expect(await tokenFormError(page)).toBe('The server refused this token (Unauthorized: the bearer token is not valid). Enter another one.');
    expect(server.manager.count).toBe(0);
  });

  it('a token fragment that cannot be a bearer token is taken out of the address and named in the form at load', async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${relay.url}/#token=two%20words&keep=1`);
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/#keep=1`);
    expect(await tokenFormError(page)).toBe('The token in the address was not used: the token holds spaces or characters other than visible ASCII.');
  });

  it('a #token= pasted into the address of the open page is taken and removed too', async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${relay.url}/`);
    await page.evaluate((token) => {
      location.hash = `token=${encodeURIComponent(token)}`;
    }, TOKEN);
    await page.waitForFunction(() => location.hash === '');
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/`);
    await page.getByTestId('start').click();
    const sessionIdCell = page.getByTestId('session-id');
    await sessionIdCell.filter({ hasText: UUID }).waitFor({ timeout: SANITY_BOUND_MS });
    const sessionId = (await sessionIdCell.textContent())!.trim();
    server.peers.push(server.manager.get(sessionId)!);
    await expect(page.getByTestId('token-form').isVisible()).resolves.toBe(false);
    await page.getByTestId('hang-up').click();
    await millisecondsUntilReleased(server, sessionId, SANITY_BOUND_MS, TOKEN);
  });
});
