/**
 * One server under the aiortc load generator, measured: what the analysis bench
 * (bench/analysis.bench.ts) and the K sweep (bench/ingest.bench.ts) both run. The server starts
 * in a child process of its own (bench/serverProcess.ts), settles for a second, the load
 * generator (bench/aiortc/load.py) runs K sessions against it, and the server is stopped.
 * Measured: the server's CPU seconds from /proc/<pid>/stat (user + system, every thread) over
 * the load window (load generator start to exit), its resident memory (sampled every 100 ms,
 * and VmHWM), idle before and some seconds after, the summaries' frame counters added up, and
 * each session's setup and teardown times as the load generator saw them.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AIORTC_PYTHON } from '../test/foreign/aiortcClient';
import { runLoadGenerator, type LoadRun } from './aiortc/loadGenerator';
import { cpuSeconds, memory } from './procStats';
import { startServerProcess, type ServerKind, type ServerProcess } from './serverProcess';

const SETTLE_MS = 1000;
const SAMPLE_MS = 100;
const MB = 1024 * 1024;

/** One server under one load generator run. */
export interface Measurement {
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
  /** Per session that got there, as the load generator saw it: offer POST -> connectionState connected. */
  setup_ms: number[];
  /** Per session that got there: its senders stopped (RTCP BYE) -> `stream_closed` received. */
  teardown_ms: number[];
  /** This server: MEDIA_WORKERS it ran with (its default: one per core). */
  media_workers: number | null;
  /** What ran beside the load generator (MeasureOptions.alongside) reported when stopped; null without. */
  alongside: Record<string, Record<string, number>> | null;
  /** This server: media or frame workers that died (their log lines) from the load's start to the idle reading after it. */
  worker_deaths: number | null;
  /** This server: event-loop delay p99 over the load window, milliseconds, per thread (main, media-1, ...), from /metrics. */
  event_loop_delay_p99_ms: Record<string, number> | null;
  /** This server, from its /metrics before the load and BENCH_IDLE_AFTER_MS after: what the load left behind. */
  afterwards: Afterwards | null;
  failures: string[];
}

/** What a server holds, read from its /metrics (sessions, connections, handles, heap). */
export interface Holdings {
  sessions: number;
  /** Connections the media workers hold (0 when they live on the main thread). */
  worker_connections: number;
  /** libuv handles of the main thread (prom-client's nodejs_active_handles_total). */
  handles: number;
  heap_used_mb: number;
}

export interface Afterwards {
  before: Holdings;
  after: Holdings;
}

export const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

export const ratio = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);
export const total = (items: Measurement[], pick: (m: Measurement) => number | null): number => items.reduce((sum, m) => sum + (pick(m) ?? 0), 0);

/** This server's variables that change what it analyses and how: recorded with the results. */
const SERVER_VARIABLES = ['MEDIA_WORKERS', 'DETECTOR', 'DETECTOR_OPTIONS', 'DECODER', 'ANALYSIS_FPS', 'DECODE_WORKERS', 'FRAME_BUFFER_SIZE', 'FRAME_BUFFER_POLICY'];

/** The SERVER_VARIABLES set in this process's environment (they pass through to the server). */
export function serverEnv(): Record<string, string> {
  return Object.fromEntries(SERVER_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
}

export function aiortcVersion(): string {
  return execFileSync(AIORTC_PYTHON, ['-c', 'import aiortc; print(aiortc.__version__)'], { encoding: 'utf8' }).trim();
}

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

/** The sum of a metric's samples (every label set) in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function holdings(server: ServerProcess): Promise<Holdings | null> {
  if (server.kind !== 'this') return null;
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return {
    sessions: metricSum(text, 'sessions_active'),
    worker_connections: metricSum(text, 'media_worker_connections'),
    handles: metricSum(text, 'nodejs_active_handles_total'),
    heap_used_mb: round(metricSum(text, 'nodejs_heap_size_used_bytes') / MB, 1),
  };
}

function mediaWorkersOf(server: ServerProcess): number | null {
  if (server.kind === 'aiortc') return null;
  const said = server.startupLines.map((line) => /media_workers=(\d+)/.exec(line)?.[1]).find(Boolean);
  return said === undefined ? null : Number(said);
}

function decoderOf(server: ServerProcess): string | null {
  if (server.kind === 'aiortc') return 'PyAV libvpx';
  const said = server.startupLines.map((line) => /decoder=(\w+)/.exec(line)?.[1]).find(Boolean);
  return said ?? null;
}

export interface MeasureOptions {
  /** How long each session streams once connected. */
  seconds: number;
  /** After the load: how long the server idles before its resident memory is read again. */
  idleAfterMs: number;
  /** Added to the server's environment (this server's configuration). */
  env?: Record<string, string>;
  /** Started with the load generator, stopped when it exits: other clients of the server (bench:hostile's attacks). */
  alongside?: (server: ServerProcess) => Promise<{ stop(): Promise<Record<string, Record<string, number>>> }>;
}

/** This server's lines saying a worker died (MediaWorkerPool, FrameWorkerPool). */
const WORKER_DEATH = /Media worker died|Frame worker replaced|Media worker keeps failing|Frame workers keep failing/;

/** Event-loop delay p99 per thread since the previous scrape (prom-client resets its histogram on each). */
async function eventLoopDelays(server: ServerProcess): Promise<Record<string, number> | null> {
  if (server.kind !== 'this') return null;
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const delays: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const main = /^nodejs_eventloop_lag_p99_seconds (\S+)/.exec(line);
    if (main) delays.main = round(Number(main[1]) * 1000, 2);
    const worker = /^media_worker_event_loop_delay_p99_seconds\{worker="([^"]+)"\} (\S+)/.exec(line);
    if (worker) delays[worker[1]!] = round(Number(worker[2]) * 1000, 2);
  }
  return delays;
}

/**
 * One server in a child process of its own under one run of the aiortc load generator (K
 * sessions of `seconds`), then stopped: its CPU seconds over the load window, its memory, and
 * the load generator's sessions added up.
 */
export async function measure(kind: ServerKind, k: number, run: number, options: MeasureOptions): Promise<Measurement> {
  const env: Record<string, string> = { ...options.env };
  // Only so that the load is admitted at all: the defaults are 60 offers a minute and 100 sessions.
  if (k > 60) env.RATE_LIMIT_OFFERS_PER_MINUTE = String(k);
  if (k > 100) env.MAX_SESSIONS = String(k);
  // The load generator's sessions all come from 127.0.0.1 and connect over a ramp.
  if (k > 20) env.MAX_HALF_OPEN_SESSIONS_PER_ADDRESS = String(k);
  const server: ServerProcess = await startServerProcess(kind, { env });
  try {
    await sleep(SETTLE_MS);
    const loadAverageBefore = loadavg().map((value) => round(value, 2));
    const holdingsBefore = await holdings(server);
    const rssBefore = memory(server.pid).rssBytes;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, memory(server.pid).rssBytes);
      } catch {
        // the server exited: the failure shows in the load generator's sessions
      }
    }, SAMPLE_MS);
    const deaths = server.kind === 'this' ? server.countLines(WORKER_DEATH) : null;
    await eventLoopDelays(server);
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    const beside = await options.alongside?.(server);
    const load = await runLoadGenerator({ url: server.url, sessions: k, seconds: options.seconds });
    const windowSeconds = (performance.now() - started) / 1000;
    const delays = await eventLoopDelays(server);
    const alongside = (await beside?.stop()) ?? null;
    clearInterval(sampler);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const end = memory(server.pid);
    await sleep(options.idleAfterMs);
    const idleAfter = memory(server.pid).rssBytes;
    const holdingsAfter = await holdings(server);
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
      setup_ms: load.sessions.flatMap((session) => (session.setup_ms === null ? [] : [session.setup_ms])),
      teardown_ms: load.sessions.flatMap((session) => (session.end_to_closed_ms === null ? [] : [session.end_to_closed_ms])),
      media_workers: mediaWorkersOf(server),
      alongside,
      worker_deaths: deaths?.() ?? null,
      event_loop_delay_p99_ms: delays,
      afterwards: holdingsBefore && holdingsAfter ? { before: holdingsBefore, after: holdingsAfter } : null,
    };
  } catch (error) {
    throw new Error(`${kind} K=${k}: ${error instanceof Error ? error.message : String(error)}\n${server.recentOutput()}`);
  } finally {
    await server.stop();
  }
}
