/**
 * Frames analysed under load, this server side by side with an aiortc server, in one run.
 *
 * For each K, each run and each server: the server starts in a child process of its own (this
 * repo's server with its default configuration, default detector included; or the aiortc
 * baseline, bench/aiortc/server.py, which decodes every frame and analyses none), the aiortc
 * load generator (bench/aiortc/load.py: K sessions of pre-encoded 640x480 30 fps VP8 + Opus, each
 * streaming BENCH_SECONDS, then RTCP BYE) runs against it, and the server is stopped. Measured:
 * the server's CPU seconds from /proc/<pid>/stat (user + system, every thread, worker threads
 * included) over the load window (load generator start to exit), its resident memory (sampled
 * every 100 ms, and VmHWM), the summaries received, and the summaries' frame counters added up.
 * The servers alternate which goes first from run to run. The load generator runs on the same
 * cores; its own CPU time is reported beside the server's.
 *
 * Prints a Markdown table (rows: server x K; medians over runs by nearest rank,
 * test/helpers/stats.ts) and the issue's targets, writes bench/results/analysis.json with every
 * measurement. BENCH_K (default "5,10,20"), BENCH_SECONDS (default 10), BENCH_RUNS (default 1),
 * BENCH_SERVERS (default "this,aiortc"), or as arguments: --k 10,20 --seconds 10 --runs 3
 * --servers this,aiortc. BENCH_RESULTS_DIR writes elsewhere (a trial run). The server's own
 * variables (DETECTOR, DECODER, ANALYSIS_FPS, ...) pass through to it and are recorded.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AIORTC_PYTHON, requireAiortc } from '../test/foreign/aiortcClient';
import { summarize, type Summary as Stats } from '../test/helpers/stats';
import { prepareClip, runLoadGenerator, type LoadRun } from './aiortc/loadGenerator';
import { cpuSeconds, memory } from './procStats';
import { runBench, writeResults } from './report';
import { SERVER_KINDS, startServerProcess, type ServerKind, type ServerProcess } from './serverProcess';

const { values: argv } = parseArgs({
  options: { k: { type: 'string' }, seconds: { type: 'string' }, runs: { type: 'string' }, servers: { type: 'string' } },
});
const KS = (argv.k ?? process.env.BENCH_K ?? '5,10,20').split(',').map(Number);
const SECONDS = Number(argv.seconds ?? process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(argv.runs ?? process.env.BENCH_RUNS ?? 1);
const SERVERS = (argv.servers ?? process.env.BENCH_SERVERS ?? SERVER_KINDS.join(',')).split(',') as ServerKind[];
/** This server's variables that change what it analyses and how: recorded with the results. */
const SERVER_VARIABLES = ['DETECTOR', 'DETECTOR_OPTIONS', 'DECODER', 'ANALYSIS_FPS', 'DECODE_WORKERS', 'FRAME_BUFFER_SIZE', 'FRAME_BUFFER_POLICY'];
const SETTLE_MS = 1000;
/** After the load: how long the server idles before its resident memory is read again. */
const IDLE_AFTER_MS = Number(process.env.BENCH_IDLE_AFTER_MS ?? 5000);
const SAMPLE_MS = 100;
const MB = 1024 * 1024;

/** One server under one load generator run. */
interface Measurement {
  server: ServerKind;
  /** The video decoder this server said it uses at start (`decoder=native|wasm`); aiortc's is PyAV's libvpx. */
  decoder: string | null;
  k: number;
  run: number;
  load_average_before: number[];
  sessions_ok: number;
  summaries: number;
  video_frames_sent: number;
  /** Video frames sent by the sessions that got a summary: what frames_received compares with. */
  video_frames_sent_summarised: number;
  frames_received: number;
  frames_processed: number;
  /** This server only: frames the detector looked at, and frames decoded but not sampled (ANALYSIS_FPS). */
  frames_analyzed: number | null;
  frames_not_sampled: number | null;
  frames_dropped: number;
  dropped_by_reason: Record<string, number>;
  close_reasons: Record<string, number>;
  /** Keyframe requests the load generator answered (the server asked after a loss or drop). */
  keyframes_on_request: number;
  /** Frames the load generator sent more than a frame period late (it could not keep up), and the latest. */
  late_frames: number;
  max_late_ms: number;
  /** Load generator start to exit. */
  window_seconds: number;
  cpu_seconds: number;
  rss_before_mb: number;
  /** Highest VmRSS sampled in the window, and VmHWM (the process's high-water mark) at its end. */
  peak_rss_mb: number;
  vm_hwm_mb: number;
  rss_end_mb: number;
  /** BENCH_IDLE_AFTER_MS after the load: what a burst of sessions left behind (against rss_before_mb). */
  rss_idle_after_mb: number;
  threads: number;
  load_generator_cpu_seconds: number | null;
  failures: string[];
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

function add(into: Record<string, number>, from: unknown): void {
  if (typeof from !== 'object' || from === null) return;
  for (const [key, value] of Object.entries(from)) if (typeof value === 'number') into[key] = (into[key] ?? 0) + value;
}

/** The sessions' summaries and failures, added up. */
function tally(load: LoadRun) {
  const summaries = load.sessions.flatMap((session) => (session.summary ? [session.summary] : []));
  const sum = (field: string): number | null => {
    const values = summaries.map((summary) => summary[field]).filter((value): value is number => typeof value === 'number');
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
  };
  const droppedByReason: Record<string, number> = {};
  const closeReasons: Record<string, number> = {};
  for (const session of load.sessions) {
    add(droppedByReason, session.summary?.dropped_by_reason);
    if (session.reason) closeReasons[session.reason] = (closeReasons[session.reason] ?? 0) + 1;
  }
  const failures = [
    ...load.sessions.flatMap((session) => session.errors.map((error) => `session ${session.session}: ${error}`)),
    ...(load.exitCode === 0 ? [] : [`load generator exit code ${load.exitCode}: ${load.stderr.trim().split('\n').slice(-3).join(' | ')}`]),
    ...load.unparsed.slice(0, 5).map((line) => `unparsed: ${line.slice(0, 200)}`),
  ];
  return {
    sessions_ok: load.sessions.filter((session) => session.ok).length,
    summaries: summaries.length,
    video_frames_sent: load.sessions.reduce((total, session) => total + session.video_frames_sent, 0),
    video_frames_sent_summarised: load.sessions.reduce((total, session) => total + (session.summary ? session.video_frames_sent : 0), 0),
    frames_received: sum('total_frames_received') ?? 0,
    frames_processed: sum('total_frames_processed') ?? 0,
    frames_analyzed: sum('total_frames_analyzed'),
    frames_not_sampled: sum('total_frames_not_sampled'),
    frames_dropped: sum('total_frames_dropped') ?? 0,
    dropped_by_reason: droppedByReason,
    close_reasons: closeReasons,
    keyframes_on_request: load.sessions.reduce((total, session) => total + session.keyframes_on_request, 0),
    late_frames: load.sessions.reduce((total, session) => total + session.late_frames, 0),
    max_late_ms: Math.max(0, ...load.sessions.map((session) => session.max_late_ms)),
    failures: failures.slice(0, 20),
  };
}

function decoderOf(server: ServerProcess): string | null {
  if (server.kind === 'aiortc') return 'PyAV libvpx';
  const said = server.startupLines.map((line) => /decoder=(\w+)/.exec(line)?.[1]).find(Boolean);
  return said ?? null;
}

async function measure(kind: ServerKind, k: number, run: number): Promise<Measurement> {
  const env: Record<string, string> = {};
  // Only so that the load is admitted at all: the defaults are 60 offers a minute and 100 sessions.
  if (k > 60) env.RATE_LIMIT_OFFERS_PER_MINUTE = String(k);
  if (k > 100) env.MAX_SESSIONS = String(k);
  const server: ServerProcess = await startServerProcess(kind, { env });
  try {
    await sleep(SETTLE_MS);
    const loadAverageBefore = loadavg().map((value) => round(value, 2));
    const rssBefore = memory(server.pid).rssBytes;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, memory(server.pid).rssBytes);
      } catch {
        // the server exited: the failure shows in the load generator's sessions
      }
    }, SAMPLE_MS);
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    const load = await runLoadGenerator({ url: server.url, sessions: k, seconds: SECONDS });
    const windowSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const end = memory(server.pid);
    await sleep(IDLE_AFTER_MS);
    const idleAfter = memory(server.pid).rssBytes;
    return {
      server: kind,
      decoder: decoderOf(server),
      k,
      run,
      load_average_before: loadAverageBefore,
      ...tally(load),
      window_seconds: round(windowSeconds),
      cpu_seconds: round(cpu, 2),
      rss_before_mb: round(rssBefore / MB, 1),
      peak_rss_mb: round(Math.max(peakRss, end.rssBytes) / MB, 1),
      vm_hwm_mb: round(end.peakRssBytes / MB, 1),
      rss_end_mb: round(end.rssBytes / MB, 1),
      rss_idle_after_mb: round(idleAfter / MB, 1),
      threads: end.threads,
      load_generator_cpu_seconds: load.totals?.cpu_seconds ?? null,
    };
  } catch (error) {
    throw new Error(`${kind} K=${k}: ${error instanceof Error ? error.message : String(error)}\n${server.recentOutput()}`);
  } finally {
    await server.stop();
  }
}

/** One table row: a server at one K, over its runs. */
interface Row {
  server: ServerKind;
  /** The decoders its runs used (one, unless the server fell back in some run). */
  decoders: string[];
  k: number;
  runs: number;
  /** Summaries received per session started, over every run. */
  summaries_per_session: number;
  /** Of the sessions with a summary: frames the server counted as received per frame sent. */
  frames_received_per_sent: number | null;
  frames_processed_per_received: number | null;
  frames_analysed_per_received: number | null;
  frames_dropped: number;
  frames_not_sampled: number | null;
  cpu_seconds: Stats;
  peak_rss_mb: Stats;
  /** Resident memory idle before the load and BENCH_IDLE_AFTER_MS after it. */
  rss_idle_before_mb: Stats;
  rss_idle_after_mb: Stats;
  keyframes_on_request: number;
  load_generator_cpu_seconds: Stats;
  load_generator_late_frames: number;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);
const total = (items: Measurement[], pick: (m: Measurement) => number | null): number => items.reduce((sum, m) => sum + (pick(m) ?? 0), 0);

function row(items: Measurement[]): Row {
  const { server, k } = items[0]!;
  const received = total(items, (m) => m.frames_received);
  const analysed = items.every((m) => m.frames_analyzed === null) ? null : total(items, (m) => m.frames_analyzed);
  return {
    server,
    decoders: [...new Set(items.map((m) => m.decoder ?? 'unknown'))],
    k,
    runs: items.length,
    summaries_per_session: round(total(items, (m) => m.summaries) / (k * items.length), 4),
    frames_received_per_sent: ratio(received, total(items, (m) => m.video_frames_sent_summarised)),
    frames_processed_per_received: ratio(total(items, (m) => m.frames_processed), received),
    frames_analysed_per_received: analysed === null ? null : ratio(analysed, received),
    frames_dropped: total(items, (m) => m.frames_dropped),
    frames_not_sampled: items.every((m) => m.frames_not_sampled === null) ? null : total(items, (m) => m.frames_not_sampled),
    cpu_seconds: summarize(items.map((m) => m.cpu_seconds), 2),
    peak_rss_mb: summarize(items.map((m) => m.peak_rss_mb), 1),
    rss_idle_before_mb: summarize(items.map((m) => m.rss_before_mb), 1),
    rss_idle_after_mb: summarize(items.map((m) => m.rss_idle_after_mb), 1),
    keyframes_on_request: total(items, (m) => m.keyframes_on_request),
    load_generator_cpu_seconds: summarize(items.flatMap((m) => (m.load_generator_cpu_seconds === null ? [] : [m.load_generator_cpu_seconds])), 2),
    load_generator_late_frames: total(items, (m) => m.late_frames),
  };
}

const percent = (value: number | null): string => (value === null ? '-' : `${round(value * 100, 1)}%`);
const median = (stats: Stats): string => (stats.median === null ? '-' : stats.n > 1 ? `${stats.median} (max ${stats.max})` : `${stats.median}`);

function markdown(rows: Row[]): string {
  const header =
    '| server | K | runs | summaries | frames received / sent | processed / received | analysed / received | dropped | not sampled | ' +
    'server CPU-s | peak RSS MB | RSS idle before -> after, MB | keyframes on request | load generator CPU-s, late frames |';
  const lines = rows.map((r) =>
    [
      `${r.server === 'this' ? 'this server' : 'aiortc server'} (${r.decoders.join(', ')})`,
      r.k,
      r.runs,
      percent(r.summaries_per_session),
      percent(r.frames_received_per_sent),
      percent(r.frames_processed_per_received),
      percent(r.frames_analysed_per_received),
      r.frames_dropped,
      r.frames_not_sampled ?? '-',
      median(r.cpu_seconds),
      median(r.peak_rss_mb),
      `${r.rss_idle_before_mb.median ?? '-'} -> ${r.rss_idle_after_mb.median ?? '-'}`,
      r.keyframes_on_request,
      `${median(r.load_generator_cpu_seconds)}, ${r.load_generator_late_frames}`,
    ].join(' | '),
  );
  return [header, `|${'---|'.repeat(14)}`, ...lines.map((line) => `| ${line} |`)].join('\n');
}

/** Issue 11's targets, reported (never asserted): null where this run did not measure them. */
function targets(rows: Row[]) {
  const find = (server: ServerKind, k: number) => rows.find((r) => r.server === server && r.k === k);
  const k20 = find('this', 20);
  const [ours, theirs] = [find('this', 10), find('aiortc', 10)];
  return {
    every_frame_of_20_sessions_analysed: k20
      ? { processed_per_received: k20.frames_processed_per_received, target: 0.99, met: (k20.frames_processed_per_received ?? 0) >= 0.99 }
      : null,
    cpu_at_10_not_above_aiortc: ours && theirs
      ? { this_cpu_seconds: ours.cpu_seconds.median, aiortc_cpu_seconds: theirs.cpu_seconds.median, met: ours.cpu_seconds.median! <= theirs.cpu_seconds.median! }
      : null,
  };
}

function aiortcVersion(): string {
  return execFileSync(AIORTC_PYTHON, ['-c', 'import aiortc; print(aiortc.__version__)'], { encoding: 'utf8' }).trim();
}

async function main() {
  requireAiortc(); // the load generator is aiortc, whichever server it loads
  const clip = await prepareClip();
  const measurements: Measurement[] = [];
  for (const k of KS) {
    for (let run = 1; run <= RUNS; run++) {
      // Alternate which server goes first, so that neither always meets the machine as the other left it.
      const order = run % 2 === 1 ? SERVERS : [...SERVERS].reverse();
      for (const kind of order) {
        const m = await measure(kind, k, run);
        measurements.push(m);
        process.stderr.write(
          `${kind} K=${k} run ${run}: ${m.summaries}/${k} summaries, ${m.frames_processed}/${m.frames_received} frames processed, ` +
            `${m.cpu_seconds} CPU-s, peak ${m.peak_rss_mb} MB${m.failures.length ? `; ${m.failures.length} failures: ${m.failures[0]}` : ''}\n`,
        );
      }
    }
  }
  const rows = KS.flatMap((k) => SERVERS.map((kind) => row(measurements.filter((m) => m.server === kind && m.k === k))));
  const table = markdown(rows);
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    aiortc: aiortcVersion(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, load_average_at_end: loadavg().map((v) => round(v, 2)) },
    settings: {
      k: KS,
      seconds: SECONDS,
      runs: RUNS,
      servers: SERVERS,
      clip,
      server_env: Object.fromEntries(SERVER_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]]))),
    },
    rows,
    targets: targets(rows),
    measurements,
  };
  console.log(`\n${table}\n`);
  console.log(JSON.stringify(report.targets, null, 2));
  writeResults('analysis', report);
}

runBench(main);
