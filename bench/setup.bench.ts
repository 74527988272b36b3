/**
 * Connection setup: from the offer to `connected`, for werift clients (bench/setupClients.ts,
 * their own process) and aiortc clients (test/foreign/aiortc_client.py), one at a time and
 * BENCH_BURST arriving over BENCH_SPREAD_MS, against the real server with ICE on loopback.
 *
 * Every scenario is measured as "baseline" (werift 0.25.2's setup put back at run time by
 * bench/setupBaseline.ts: 100 ms DTLS client wait, early DTLS records dropped, full ICE pacing
 * sleeps, `a=setup:active` answers) and "current" (the server as it is), the two alternating
 * run by run on one server so that whatever else the machine does falls on both. The server's
 * side of every session is timed step by step (bench/setupTimeline.ts), so the report also says
 * where the time went. Prints tables, writes bench/results/setup.json.
 *
 * Percentiles are nearest rank (test/helpers/stats.ts); the results file keeps every value.
 * Client setup_ms is measured from the POST of the offer; the server's from the offer reaching
 * the session manager. BENCH_RESULTS_DIR writes elsewhere, for a trial run.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunningServer } from '../src/server';
import { runAiortc } from '../test/foreign/aiortcClient';
import { startLoopbackServer } from '../test/helpers/loopbackServer';
import { measure, summarize, type Measured, type Summary } from '../test/helpers/stats';
import type { MediaPeer } from '../src/peer/mediaPeer';
import { runBench, writeResults } from './report';
import { restoreWeriftSetupBaseline } from './setupBaseline';
import { STEPS, watchSetup, type SetupTimeline, type Step } from './setupTimeline';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 50);
const SPREAD_MS = Number(process.env.BENCH_SPREAD_MS ?? 2000);
/** Bursts per variant (their samples are pooled). */
const BURSTS = Number(process.env.BENCH_BURSTS ?? 3);
/** How long each session of a burst streams once connected (while the others arrive). */
const BURST_MEDIA_S = Number(process.env.BENCH_BURST_MEDIA_S ?? 1);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'baseline,current').split(',') as Variant[];
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'werift,aiortc').split(',');
/** Sequential werift sessions per client process (a process's first connection is a warm-up). */
const WERIFT_SEQUENCE = 5;

type Variant = 'baseline' | 'current';

/** What one client said about one session: its server id and its own setup time (or an error). */
interface ClientSample {
  sessionId: string | null;
  setupMs: number | null;
  error?: string;
}

interface Scenario {
  name: string;
  client: 'werift' | 'aiortc';
  /** Runs per variant, alternating with the other variant's. */
  reps: number;
  run(url: string, baseline: boolean): Promise<ClientSample[]>;
}

interface ScenarioResult {
  scenario: string;
  variant: Variant;
  client_setup_ms: Measured;
  server_setup_ms: Measured;
  /** The client's numbers of each run, to show how much runs differ (no p95 under 20 sessions). */
  runs: Summary[];
  /** Median and p95 per step, ms after the offer reached the server. */
  server_steps_median_ms: Partial<Record<Step, number>>;
  server_steps_p95_ms: Partial<Record<Step, number>>;
  errors: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: `werift K=1 x${RUNS}`,
    client: 'werift',
    reps: Math.ceil(RUNS / WERIFT_SEQUENCE),
    run: (url, baseline) => weriftClients(url, baseline, ['--sessions', String(WERIFT_SEQUENCE), '--sequential', '--media-ms', '200']),
  },
  {
    name: `werift ${BURST} over ${SPREAD_MS / 1000} s, x${BURSTS}`,
    client: 'werift',
    reps: BURSTS,
    run: (url, baseline) =>
      weriftClients(url, baseline, ['--sessions', String(BURST), '--spread-ms', String(SPREAD_MS), '--media-ms', String(BURST_MEDIA_S * 1000)]),
  },
  {
    name: `aiortc K=1 x${RUNS}`,
    client: 'aiortc',
    reps: RUNS,
    run: (url) => aiortcClients(url, 1, 0, 0.3),
  },
  {
    name: `aiortc ${BURST} over ${SPREAD_MS / 1000} s, x${BURSTS}`,
    client: 'aiortc',
    reps: BURSTS,
    run: (url) => aiortcClients(url, BURST, SPREAD_MS, BURST_MEDIA_S),
  },
];

async function weriftClients(url: string, baseline: boolean, args: string[]): Promise<ClientSample[]> {
  const script = join(__dirname, 'setupClients.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--url', url, ...args, ...(baseline ? ['--baseline'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const samples: ClientSample[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as { event: string; session_id?: string; setup_ms?: number; message?: string };
    if (line.event === 'connected') samples.push({ sessionId: line.session_id ?? null, setupMs: line.setup_ms ?? null });
    else samples.push({ sessionId: null, setupMs: null, error: line.message });
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) samples.push({ sessionId: null, setupMs: null, error: `setupClients.ts exited with ${code}` });
  return samples;
}

async function aiortcClients(url: string, sessions: number, spreadMs: number, mediaSeconds: number): Promise<ClientSample[]> {
  const run = await runAiortc({ url, sessions, spreadMs, mediaSeconds, end: 'close' });
  return run.sessions.map((session) => {
    const error = session.connected ? undefined : (session.done?.errors.join('; ') ?? `no connected line (exit ${run.exitCode})`);
    return { sessionId: session.sessionId, setupMs: session.connected?.setup_ms ?? null, ...(error ? { error } : {}) };
  });
}

interface BenchServer {
  server: RunningServer;
  timelines: Map<string, SetupTimeline>;
}

async function startBenchServer(): Promise<BenchServer> {
  const timelines = new Map<string, SetupTimeline>();
  // Each new session is announced before its offer is negotiated: time it from there. Its
  // answer is sent as soon as createSession() returns.
  const server = await startLoopbackServer({
    // On the main thread: the timeline watches the werift connection's own events.
    config: { maxSessions: 1000, mediaWorkers: 0 },
    logLevel: 'error',
    onSessionCreated: (peer) => timelines.set(peer.id, watchSetup((peer.media as MediaPeer).pc)),
  });
  const createSession = server.manager.createSession.bind(server.manager);
  server.manager.createSession = async (offerSdp) => {
    const created = await createSession(offerSdp);
    timelines.get(created.sessionId)?.mark('answer_sent');
    return created;
  };
  return { server, timelines };
}

async function settle(server: RunningServer): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (server.manager.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function stepPercentile(timelines: SetupTimeline[], which: 'median' | 'p95'): Partial<Record<Step, number>> {
  const steps: Partial<Record<Step, number>> = {};
  for (const step of STEPS) {
    const values = timelines.map((timeline) => timeline.relative()[step]).filter((value) => value !== undefined);
    const value = summarize(values)[which];
    if (value !== null) steps[step] = value;
  }
  return steps;
}

/** One run of a scenario in one variant: the baseline is put back for its duration only. */
async function runOnce(bench: BenchServer, scenario: Scenario, variant: Variant): Promise<ClientSample[]> {
  const restore = variant === 'baseline' ? restoreWeriftSetupBaseline() : () => {};
  try {
    return await scenario.run(bench.server.url, variant === 'baseline');
  } finally {
    await settle(bench.server);
    restore();
  }
}

function result(bench: BenchServer, scenario: Scenario, variant: Variant, runs: ClientSample[][]): ScenarioResult {
  const samples = runs.flat();
  const ok = samples.filter((sample) => sample.setupMs !== null && sample.sessionId !== null);
  const serverTimelines = ok.map((sample) => bench.timelines.get(sample.sessionId!)).filter((t) => t !== undefined);
  const serverSetup = serverTimelines.map((t) => t.relative().connected).filter((ms) => ms !== undefined);
  return {
    scenario: scenario.name,
    variant,
    client_setup_ms: measure(ok.map((sample) => sample.setupMs!)),
    server_setup_ms: measure(serverSetup),
    runs: runs.map((run) => summarize(run.flatMap((sample) => (sample.setupMs === null ? [] : [sample.setupMs])))),
    server_steps_median_ms: stepPercentile(serverTimelines, 'median'),
    server_steps_p95_ms: stepPercentile(serverTimelines, 'p95'),
    errors: samples.flatMap((sample) => (sample.error ? [sample.error] : [])),
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const bench = await startBenchServer();
  const results: ScenarioResult[] = [];
  try {
    // Warm the server's code paths so that its first measured session is not its first ever.
    await weriftClients(bench.server.url, false, ['--sessions', '2', '--sequential', '--media-ms', '0', '--warmup', '0']);
    await settle(bench.server);
    for (const scenario of SCENARIOS.filter((candidate) => CLIENTS.includes(candidate.client))) {
      const runs = new Map<Variant, ClientSample[][]>(VARIANTS.map((variant) => [variant, []]));
      for (let rep = 0; rep < scenario.reps; rep++) {
        for (const variant of VARIANTS) runs.get(variant)!.push(await runOnce(bench, scenario, variant));
      }
      for (const variant of VARIANTS) {
        results.push(result(bench, scenario, variant, runs.get(variant)!));
        const { median, n } = results.at(-1)!.client_setup_ms;
        console.error(`${scenario.name}, ${variant}: client p50 ${median} ms (n ${n})`);
      }
    }
  } finally {
    await bench.server.close();
  }
  const row = (label: string, s: Summary) => ({ [`${label} p50`]: s.median, [`${label} p95`]: s.p95, [`${label} max`]: s.max });
  console.log('\noffer -> connected, ms (nearest rank)');
  console.table(
    results.map((r) => ({
      scenario: r.scenario,
      variant: r.variant,
      n: r.client_setup_ms.n,
      ...row('client', r.client_setup_ms),
      ...row('server', r.server_setup_ms),
      errors: r.errors.length,
    })),
  );
  console.log('\nserver side, median ms after the offer arrived');
  console.table(results.map((r) => ({ scenario: r.scenario, variant: r.variant, ...r.server_steps_median_ms })));
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    load_average_before: loadBefore.map((load) => Math.round(load * 100) / 100),
    load_average_after: loadavg().map((load) => Math.round(load * 100) / 100),
    runs: RUNS,
    burst: { sessions: BURST, spread_ms: SPREAD_MS, bursts: BURSTS, media_s: BURST_MEDIA_S },
    results,
  };
  writeResults('setup', report);
}

runBench(main);
