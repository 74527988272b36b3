/**
 * `npm run bench`: ingest sessions against K, this server alone or beside the aiortc server.
 *
 * For each K (default 1, 10, 25, 50, 100, 200) and each server: the server starts in a child
 * process of its own, the aiortc load generator (bench/aiortc/load.py: K sessions of pre-encoded
 * 640x480 30 fps VP8 + Opus, each streaming --seconds once connected, then RTCP BYE) runs against
 * it, and the server is stopped (bench/serverUnderLoad.ts, shared with the analysis bench).
 * Per K and server: setup p50/p95 (offer POST -> connected, as the load generator saw it),
 * teardown p50/p95 (its senders stopped -> `stream_closed` received), server CPU seconds per
 * session-second, peak RSS and RSS after close (idle, BENCH_IDLE_AFTER_MS after the load) above
 * the idle RSS before, per session; frames received / sent, analysed / received, summaries /
 * sessions. Percentiles by nearest rank (test/helpers/stats.ts: no p95 below 20 sessions; n given).
 *
 * Writes bench/results/bench.json (every measurement) and bench/results/bench.md (the table), and
 * draws docs/bench-*.svg (bench/svgChart.ts). BENCH_RESULTS_DIR writes results and charts
 * elsewhere (a trial run). BENCH_K / --k 1,10,25, BENCH_SECONDS / --seconds (default 10),
 * --compare aiortc (BENCH_COMPARE) adds the aiortc server. The server's own variables
 * (DETECTOR, DECODER, ...) pass through and are recorded: `DETECTOR=off` measures ingest alone.
 * --from bench/results/bench.json recomputes the rows, table and charts of an earlier run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { requireAiortc } from '../test/foreign/aiortcClient';
import { summarize } from '../test/helpers/stats';
import { prepareClip } from './aiortc/loadGenerator';
import { runBench, writeResults } from './report';
import type { ServerKind } from './serverProcess';
import { markdown, serverName, variantName, type Row } from './ingestTable';
import { aiortcVersion, measure, ratio, round, serverEnv, type Measurement } from './serverUnderLoad';
import { lineChart, type Series } from './svgChart';

const { values: argv } = parseArgs({
  options: { k: { type: 'string' }, seconds: { type: 'string' }, compare: { type: 'string' }, from: { type: 'string' }, 'media-workers': { type: 'string' } },
});
const KS = (argv.k ?? process.env.BENCH_K ?? '1,10,25,50,100,200').split(',').map(Number);
const SECONDS = Number(argv.seconds ?? process.env.BENCH_SECONDS ?? 10);
const COMPARE = argv.compare ?? process.env.BENCH_COMPARE;
if (COMPARE !== undefined && COMPARE !== 'aiortc') throw new Error(`--compare takes "aiortc", got "${COMPARE}"`);
const SERVERS: ServerKind[] = COMPARE ? ['this', 'aiortc'] : ['this'];
/** This server once per MEDIA_WORKERS value (--media-workers 0,1,2 / BENCH_MEDIA_WORKERS); unset: its own default. */
const MEDIA_WORKERS: Array<number | undefined> = (argv['media-workers'] ?? process.env.BENCH_MEDIA_WORKERS)?.split(',').map(Number) ?? [undefined];
const IDLE_AFTER_MS = Number(process.env.BENCH_IDLE_AFTER_MS ?? 5000);
const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? join(__dirname, 'results');
const CHARTS_DIR = process.env.BENCH_RESULTS_DIR ?? join(__dirname, '..', 'docs');


/** The clip's frame rate: frames sent / FPS are the seconds actually streamed. */
const FPS = 30;

function row(m: Measurement): Row {
  const connected = m.setup_ms.length;
  const sessionSeconds = m.video_frames_sent / FPS;
  const analysedCounts = m.frames_analyzed === null || m.frames_analyzed === 0 ? 'decoded' : 'analysed';
  return {
    server: m.server,
    decoder: m.decoder,
    media_workers: m.media_workers ?? null,
    k: m.k,
    sessions_connected: connected,
    session_seconds: round(sessionSeconds, 1),
    summaries_per_session: round(m.summaries / m.k, 4),
    setup_ms: summarize(m.setup_ms, 1),
    teardown_ms: summarize(m.teardown_ms, 1),
    cpu_seconds: m.cpu_seconds,
    cpu_seconds_per_session_second: sessionSeconds > 0 ? round(m.cpu_seconds / sessionSeconds, 4) : null,
    peak_rss_per_session_mb: round((m.peak_rss_mb - m.rss_before_mb) / m.k, 2),
    rss_after_close_per_session_mb: round((m.rss_idle_after_mb - m.rss_before_mb) / m.k, 2),
    rss_idle_before_mb: m.rss_before_mb,
    peak_rss_mb: m.peak_rss_mb,
    rss_idle_after_mb: m.rss_idle_after_mb,
    frames_received_per_sent: ratio(m.frames_received, m.video_frames_sent_summarised),
    frames_analysed_per_received: ratio(analysedCounts === 'analysed' ? m.frames_analyzed! : m.frames_processed, m.frames_received),
    analysed_counts: analysedCounts,
    frames_dropped: m.frames_dropped,
    load_generator_late_frames: m.late_frames,
    failures: m.failures.length,
    sessions_left: m.afterwards?.after.sessions ?? null,
    worker_connections_left: m.afterwards?.after.worker_connections ?? null,
    handles_before_after: m.afterwards ? [m.afterwards.before.handles, m.afterwards.after.handles] : null,
    heap_used_before_after_mb: m.afterwards ? [m.afterwards.before.heap_used_mb, m.afterwards.after.heap_used_mb] : null,
  };
}


function charts(rows: Row[], config: string, seconds: number): Record<string, string> {
  // The legend's names, short enough for its column: "this, 2 workers".
  const legendName = (r: Row): string =>
    r.server === 'this' && r.media_workers !== null ? `this, ${r.media_workers} worker${r.media_workers === 1 ? '' : 's'}` : serverName(r.server);
  const variants = [...new Set(rows.map(legendName))];
  const series = (pick: (r: Row) => { y: number | null; hollow?: boolean }): Series[] =>
    variants.map((name) => ({ name, points: rows.filter((r) => legendName(r) === name).map((r) => ({ x: r.k, ...pick(r) })) }));
  const pct = (v: number) => `${round(v * 100, 2)}%`;
  const xLabel = `concurrent sessions K (640x480 30 fps VP8 + Opus, ${seconds} s each; ${config})`;
  return {
    'bench-cpu-per-session.svg': lineChart({
      title: 'Server CPU seconds per session-second',
      xLabel,
      yLabel: 'CPU-s / session-s',
      series: series((r) => ({ y: r.cpu_seconds_per_session_second })),
    }),
    'bench-teardown-p95.svg': lineChart({
      title: 'Teardown p95: RTCP BYE sent -> stream_closed received',
      xLabel,
      yLabel: 'ms (logarithmic)',
      yLog: true,
      series: series((r) => (r.teardown_ms.p95 !== null ? { y: r.teardown_ms.p95 } : { y: r.teardown_ms.max, hollow: true })),
      hollowNote: 'maximum: fewer than\n20 sessions, no p95',
    }),
    'bench-frames-analysed.svg': lineChart({
      title: 'Frames analysed (aiortc: decoded) / received',
      xLabel,
      yLabel: 'share of frames received',
      series: series((r) => ({ y: r.frames_analysed_per_received })),
      yFormat: pct,
      yMinTop: 1,
    }),
    'bench-frame-loss.svg': lineChart({
      title: 'Frame loss: 1 - frames received / sent',
      xLabel,
      yLabel: 'share of frames sent',
      series: series((r) => ({ y: r.frames_received_per_sent === null ? null : round(1 - r.frames_received_per_sent, 4) })),
      yFormat: pct,
      yMinTop: 0.01,
    }),
  };
}

interface Report {
  date: string;
  node: string;
  aiortc: string;
  machine: { cpus: number; model?: string; load_average_at_end: number[] };
  settings: {
    k: number[];
    seconds: number;
    servers: ServerKind[];
    media_workers?: Array<number | null>;
    idle_after_ms: number;
    clip: string;
    server_env: Record<string, string>;
  };
  rows: Row[];
  measurements: Measurement[];
}

/** Runs the sweep: every K, every server, one after the other. */
async function sweep(): Promise<Report> {
  requireAiortc(); // the load generator is aiortc, whichever server it loads
  const clip = await prepareClip();
  const measurements: Measurement[] = [];
  for (const k of KS) {
    const variants = SERVERS.flatMap((kind): Array<{ kind: ServerKind; workers: number | undefined }> =>
      kind === 'this' ? MEDIA_WORKERS.map((workers) => ({ kind, workers })) : [{ kind, workers: undefined }],
    );
    for (const { kind, workers } of variants) {
      const env: Record<string, string> = workers === undefined ? {} : { MEDIA_WORKERS: String(workers) };
      const m = await measure(kind, k, 1, { seconds: SECONDS, idleAfterMs: IDLE_AFTER_MS, env });
      measurements.push(m);
      process.stderr.write(
        `${variantName({ server: kind, media_workers: m.media_workers ?? null })} K=${k}: ${m.summaries}/${k} summaries, ${m.frames_received}/${m.video_frames_sent_summarised} frames received, ` +
          `${m.cpu_seconds} CPU-s, peak ${m.peak_rss_mb} MB${m.failures.length ? `; ${m.failures.length} failures: ${m.failures[0]}` : ''}\n`,
      );
    }
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    aiortc: aiortcVersion(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, load_average_at_end: loadavg().map((v) => round(v, 2)) },
    settings: { k: KS, seconds: SECONDS, servers: SERVERS, media_workers: MEDIA_WORKERS.map((value) => value ?? null), idle_after_ms: IDLE_AFTER_MS, clip, server_env: serverEnv() },
    rows: measurements.map(row),
    measurements,
  };
}

/**
 * Measures (or, with --from results.json, takes the measurements of an earlier run and only
 * recomputes rows, table and charts), then writes the results, the table and the charts.
 */
async function main() {
  const measured: Report = argv.from ? (JSON.parse(readFileSync(argv.from, 'utf8')) as Report) : await sweep();
  const report = { ...measured, rows: measured.measurements.map(row) };
  const { k, seconds, server_env: env } = report.settings;
  const config = Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ') || 'default configuration';
  const table = markdown(report.rows);
  console.log(`\n${table}\n`);
  writeResults('bench', report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'bench.md'), `Configuration: ${config}; K = ${k.join(', ')}, ${seconds} s per session.\n\n${table}\n`);
  mkdirSync(CHARTS_DIR, { recursive: true });
  for (const [name, svg] of Object.entries(charts(report.rows, config, seconds))) writeFileSync(join(CHARTS_DIR, name), svg);
  console.log(`wrote ${join(RESULTS_DIR, 'bench.md')} and the charts in ${CHARTS_DIR}`);
}

runBench(main);
