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
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { requireAiortc } from '../test/foreign/aiortcClient';
import { summarize, type Summary as Stats } from '../test/helpers/stats';
import { prepareClip } from './aiortc/loadGenerator';
import { runBench, writeResults } from './report';
import { SERVER_KINDS, type ServerKind } from './serverProcess';
import { aiortcVersion, measure, ratio, round, serverEnv, total, type Measurement } from './serverUnderLoad';

const { values: argv } = parseArgs({
  options: { k: { type: 'string' }, seconds: { type: 'string' }, runs: { type: 'string' }, servers: { type: 'string' } },
});
const KS = (argv.k ?? process.env.BENCH_K ?? '5,10,20').split(',').map(Number);
const SECONDS = Number(argv.seconds ?? process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(argv.runs ?? process.env.BENCH_RUNS ?? 1);
const SERVERS = (argv.servers ?? process.env.BENCH_SERVERS ?? SERVER_KINDS.join(',')).split(',') as ServerKind[];
/** After the load: how long the server idles before its resident memory is read again. */
const IDLE_AFTER_MS = Number(process.env.BENCH_IDLE_AFTER_MS ?? 5000);

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


async function main() {
  requireAiortc(); // the load generator is aiortc, whichever server it loads
  const clip = await prepareClip();
  const measurements: Measurement[] = [];
  for (const k of KS) {
    for (let run = 1; run <= RUNS; run++) {
      // Alternate which server goes first, so that neither always meets the machine as the other left it.
      const order = run % 2 === 1 ? SERVERS : [...SERVERS].reverse();
      for (const kind of order) {
        const m = await measure(kind, k, run, { seconds: SECONDS, idleAfterMs: IDLE_AFTER_MS });
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
      server_env: serverEnv(),
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
