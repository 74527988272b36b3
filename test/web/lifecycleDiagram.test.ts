/**
 * The page's lifecycle view in Debian's Chromium against the real server: the diagram drawn from
 * the machine, the lit state following the session from Active to Released, and the timeline
 * beside it equal to the server's record.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { machineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { analyzedWith, type FrameAnalysis, type FrameAnalyzer } from '../../src/media/analyzer';
import { expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import { fetchSession, launchChromium, millisecondsUntilReleased, startPageSession, waitForPageCounterAbove, type PageSession } from './browserHarness';

jest.setTimeout(60_000);

const INACTIVITY_MS = 500;
const RELEASE_DEADLINE_MS = INACTIVITY_MS + 2000;
const ROOT = path.resolve(__dirname, '../..');
/** Per scenario: the states the page lit, with ms after the first, and the record's timeline. */
const observed: Record<string, unknown> = {};

/**
 * Runs in the page before its script: every time the diagram's lit state changes, records it
 * with the time and how many states were lit at once.
 */
const RECORD_LIT_STATES = `
  window.__litStates = [];
  new MutationObserver(() => {
    const lit = document.querySelectorAll('[data-testid="lifecycle-diagram"] g.state-node.lit');
    const state = lit.length > 0 ? lit[0].getAttribute('data-state') : null;
    const last = window.__litStates[window.__litStates.length - 1];
    if (state !== null && (!last || last.state !== state || last.count !== lit.length)) {
      window.__litStates.push({ state, count: lit.length, at: Date.now() });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
`;

interface LitState {
  state: string;
  count: number;
  at: number;
}

/** Whether `seen` appears in `sequence` in the same order (not necessarily next to each other). */
function isSubsequence(seen: readonly string[], sequence: readonly string[]): boolean {
  let at = 0;
  for (const state of seen) {
    while (at < sequence.length && sequence[at] !== state) at++;
    if (at === sequence.length) return false;
    at++;
  }
  return true;
}

/** Analyses that never finish until released: a processor stop waits for the one in flight. */
const stuckAnalyses: Array<() => void> = [];
const hangingAnalyzer: FrameAnalyzer = { analyze: () => new Promise<FrameAnalysis>((resolve) => stuckAnalyses.push(() => resolve(analyzedWith([])))) };
/** How long a stuck processor stop lasts: the server gives up after it, so StoppingProcessor lasts this long. */
const SLOW_STOP_MS = 1500;

let browser: Browser;
let server: TestServer | null = null;
let session: PageSession | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await mkdir(path.join(ROOT, 'test-output'), { recursive: true });
  await writeFile(path.join(ROOT, 'test-output/lifecycle-lit-states.json'), `${JSON.stringify(observed, null, 2)}\n`);
});

afterEach(async () => {
  if (server) await expectNothingLeft(server);
  for (const release of stuckAnalyses.splice(0)) release();
  await session?.context.close();
  session = null;
  await server?.close();
  server = null;
});

interface Scenario {
  button: 'stop-everything' | 'hang-up';
  /** The video processor's stop hangs until the stop timeout: the session stays in StoppingProcessor that long. */
  slowStop: boolean;
}

const scenarios: Array<[string, Scenario]> = [
  ['Stop everything', { button: 'stop-everything', slowStop: false }],
  ['Hang up', { button: 'hang-up', slowStop: false }],
  [`Stop everything with a processor stop that lasts ${SLOW_STOP_MS} ms`, { button: 'stop-everything', slowStop: true }],
];

describe('page lifecycle view', () => {
  it.each(scenarios)('%s: the lit state goes from Active to Released in the order of the record, whose timeline the page shows', async (name, { button, slowStop }) => {
    const inactivity = { videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS };
    server = slowStop
      ? await startTestServer({ ...inactivity, timeouts: { stopTimeout: SLOW_STOP_MS } }, hangingAnalyzer)
      : await startTestServer(inactivity);
    session = await startPageSession(browser, server, { initScript: RECORD_LIT_STATES });
    const { page, sessionId } = session;
    const diagram = page.getByTestId('lifecycle-diagram');

    // The diagram has a node for each top-level state of the machine, and Active lit while streaming.
    await diagram.locator('g.state-node.lit[data-state="Active"]').waitFor({ timeout: 5000 });
    const drawnStates = await diagram.locator('g.state-node').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    expect(drawnStates).toEqual(machineGraph(peerSessionMachine).states.map((state) => state.path));
    const arrows = await diagram.locator('g.transition').evaluateAll((edges) => edges.map((e) => `${e.getAttribute('data-source')}->${e.getAttribute('data-target')}`));
    expect(new Set(arrows)).toEqual(new Set(machineGraph(peerSessionMachine).transitions.map((t) => `${t.source}->${t.target}`)));
    await waitForPageCounterAbove(page, 'frames_received', 0);

    await page.getByTestId(button).click();
    await millisecondsUntilReleased(server, sessionId, RELEASE_DEADLINE_MS + (slowStop ? SLOW_STOP_MS : 0));
    await diagram.locator('g.state-node.lit[data-state="Released"]').waitFor({ timeout: 3000 });
    const record = await fetchSession(server, sessionId);
    const recordStates = record.timeline.map((entry) => entry.state);
    expect(recordStates[0]).toBe('Active');
    expect(recordStates.at(-1)).toBe('Released');

    // What the page lit, as it changed: one state at a time, from Active to Released, in the record's order.
    const lit = await page.evaluate(() => (window as unknown as { __litStates: LitState[] }).__litStates);
    const litStates = lit.map((entry) => entry.state);
    observed[name] = {
      lit: lit.map((entry) => `${entry.state} +${entry.at - lit[0]!.at} ms`),
      record: record.timeline.map((entry) => `${entry.state} +${entry.at - record.timeline[0]!.at} ms`),
    };
    expect(lit.every((entry) => entry.count === 1)).toBe(true);
    expect(litStates[0]).toBe('Active');
    expect(litStates.at(-1)).toBe('Released');
    expect(litStates.filter((state) => !drawnStates.includes(state))).toEqual([]);
    expect({ litStates, isSubsequence: isSubsequence(litStates, recordStates) }).toEqual({ litStates, isSubsequence: true });
    await expect(diagram.locator('g.state-node.lit').getAttribute('aria-current')).resolves.toBe('step');

    // The timeline beside the diagram is the record's, with times after the first entry.
    const shown = await page
      .getByTestId('timeline')
      .locator('li')
      .evaluateAll((items) => items.map((item) => [item.getAttribute('data-state'), Number(item.getAttribute('data-offset-ms')), item.querySelector('time')?.textContent]));
    const first = record.timeline[0]!.at;
    expect(shown).toEqual(record.timeline.map((entry) => [entry.state, entry.at - first, `+${entry.at - first} ms`]));

    if (slowStop) {
      // StoppingProcessor lasted several poll intervals: the page lit it, between Active and Released.
      expect(record.faults).toEqual(['stopProcessors timed out']);
      expect(litStates).toContain('StoppingProcessor');
    }
    if (name === 'Stop everything') {
      await mkdir(path.join(ROOT, 'test-output'), { recursive: true });
      await page.locator('section.lifecycle').screenshot({ path: path.join(ROOT, 'test-output/lifecycle-diagram.png') });
    }
  });
});
