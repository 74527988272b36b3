import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { finishTestServer, type TestServer } from '../helpers/testServer';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface ChromiumOptions {
  /** A .y4m (or .mjpeg) file the synthetic camera plays instead of its test pattern, looping. */
  fakeVideoFile?: string;
  /** More command-line switches, after the standard ones. */
  extraArgs?: string[];
}

/** Debian's chromium with a synthetic camera and microphone; fails loudly when it is missing. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`);
  }
  const { fakeVideoFile, extraArgs = [] } = options;
  if (fakeVideoFile !== undefined && !existsSync(fakeVideoFile)) throw new Error(`no fake video file at ${fakeVideoFile}`);
  const args = [
    ...CHROMIUM_ARGS,
    ...(fakeVideoFile === undefined ? [] : [`--use-file-for-fake-video-capture=${fakeVideoFile}`]),
    ...extraArgs,
  ];
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/** One Chromium for a test file, and per test a server and a browser context (see useChromium). */
export interface ChromiumFile {
  readonly browser: Browser;
  /** The test's server, set by the test: after it, nothing may be left (finishTestServer) and it closes. */
  server: TestServer | undefined;
  /** A page from the test's server in a fresh context, closed after the test. */
  openPage(): Promise<Page>;
}

/** Call at the top of a test file: Chromium is launched once, each test's context and server are closed after it. */
export function useChromium(options: ChromiumOptions = {}): ChromiumFile {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const file: ChromiumFile = {
    get browser() {
      if (!browser) throw new Error('Chromium is not launched yet (use it inside a test)');
      return browser;
    },
    server: undefined,
    async openPage() {
      if (!file.server) throw new Error('start the test server first');
      context = await file.browser.newContext();
      const page = await context.newPage();
      await page.goto(file.server.url);
      return page;
    },
  };
  beforeAll(async () => {
    browser = await launchChromium(options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await finishTestServer(file.server);
    file.server = undefined;
  });
  return file;
}

export interface PageSession {
  context: BrowserContext;
  page: Page;
  sessionId: string;
  /** Date.now() just before Start was clicked. */
  startClickedAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PageSessionOptions {
  /** Script run in the page before its own (Playwright's addInitScript), e.g. to wrap a browser API. */
  initScript?: string;
  /** What to open instead of the server's `/`, e.g. `/#token=…`. */
  path?: string;
}

/**
 * Opens the browser client in a fresh context, presses Start and waits for the session id.
 * The server's side of the session joins `server.peers`, so expectNothingLeft checks it.
 */
export async function startPageSession(browser: Browser, server: TestServer, options: PageSessionOptions = {}): Promise<PageSession> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (options.initScript !== undefined) await page.addInitScript(options.initScript);
  await page.goto(`${server.url}${options.path ?? ''}`);
  const startClickedAt = Date.now();
  await page.getByTestId('start').click();
  const sessionIdCell = page.getByTestId('session-id');
  await sessionIdCell.filter({ hasText: UUID }).waitFor({ timeout: 10_000 });
  const sessionId = (await sessionIdCell.textContent())?.trim() ?? '';
  const peer = server.manager.get(sessionId);
  if (!peer) throw new Error(`session ${sessionId} from the page is not in the server's tracking set`);
  server.peers.push(peer);
  return { context, page, sessionId, startClickedAt };
}

export async function pageCounter(page: Page, counter: string): Promise<number> {
  return Number(await page.getByTestId(`counter-${counter}`).textContent());
}

/** Polls the page until a counter it shows is above `minimum`. */
export async function waitForPageCounterAbove(page: Page, counter: string, minimum: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page
      .getByTestId(`counter-${counter}`)
      .textContent({ timeout: 1000 })
      .then(Number)
      .catch(() => 0);
    if (value > minimum) return value;
    if (Date.now() > deadline) throw new Error(`the page's ${counter} stayed at ${value} (wanted > ${minimum})`);
    await page.waitForTimeout(100);
  }
}

export interface SessionRecord {
  session_id: string;
  state: string;
  reason: string | null;
  tracks: Array<{ kind: string; status: string; end_reason: string | null }>;
  counters: Record<string, number>;
  summary: Record<string, unknown> | null;
  faults: string[];
  /** The top-level states the session's actor entered, in order, with epoch-millisecond times. */
  timeline: Array<{ state: string; at: number }>;
}

/** `token`: the bearer token of a server started with `authToken`. */
export async function fetchSession(server: TestServer, sessionId: string, token?: string): Promise<SessionRecord> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${server.url}/sessions/${sessionId}`, { headers });
  if (!response.ok) throw new Error(`GET /sessions/${sessionId} answered ${response.status}`);
  return (await response.json()) as SessionRecord;
}

/** Milliseconds from now until GET /sessions/<id> says Released. */
export async function millisecondsUntilReleased(server: TestServer, sessionId: string, timeoutMs: number, token?: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const record = await fetchSession(server, sessionId, token);
    if (record.state === 'Released') return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`session ${sessionId} is still ${record.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
