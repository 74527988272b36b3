/**
 * Tables of the load benches run in a child process under the aiortc load generator: the ingest
 * sweep (`npm run bench`, bench/results/bench.json and colour-region/bench.json) and the
 * hostile load (`npm run bench:hostile`, hostile.json against hostile-before.json).
 */
import { markdown, percent as share, type Row } from '../ingestTable';
import { num, results, table } from './format';

interface IngestResults {
  rows: Row[];
}

/** The sweep's full table, as the bench writes it to bench.md. */
export function ingest(file: string): string {
  return markdown(results<IngestResults>(file).rows);
}

/** The README's short table: this server with 2 media workers against the aiortc server, at a few K. */
export function ingestSummary(): string {
  const rows = results<IngestResults>('bench.json').rows;
  const pick = (k: number, server: 'this' | 'aiortc') =>
    rows.find((r) => r.k === k && r.server === server && (server === 'aiortc' || r.media_workers === 2));
  const teardownP95 = (r: Row) =>
    r.teardown_ms.n === 0 ? '-' : r.teardown_ms.p95 === null ? `max ${ms(r.teardown_ms.max!)}` : ms(r.teardown_ms.p95);
  const summaries = (r: Row) => `${Math.round(r.summaries_per_session * r.k)}/${r.k}`;
  const lines = [10, 50, 200].map((k) => {
    const ours = pick(k, 'this')!;
    const theirs = pick(k, 'aiortc')!;
    const both = (show: (r: Row) => string | number) => `${show(ours)} / ${show(theirs)}`;
    return [
      k,
      both((r) => share(r.frames_received_per_sent)),
      both(summaries),
      both((r) => r.cpu_seconds_per_session_second ?? '-'),
      `${both((r) => r.peak_rss_per_session_mb)} MB`,
      `${both(teardownP95)} ms`,
      `${both((r) => (r.setup_ms.median === null ? '-' : num(r.setup_ms.median, 0)))} ms`,
    ];
  });
  return table(['K', 'frames received / sent', 'summaries', 'CPU-s per session-s', 'peak RSS per session', 'teardown p95', 'setup p50'], lines);
}

/** Milliseconds with one decimal below 100, whole above. */
function ms(value: number): string {
  return num(value, value < 100 ? 1 : 0);
}

interface HostileRow {
  mode: 'alone' | 'hostile';
  run: number;
  k: number;
  summaries_per_session: number;
  worker_deaths: number;
  rss_before_mb: number;
  peak_rss_mb: number;
  event_loop_delay_p99_ms: Record<string, number>;
  frames_received_per_sent: number | null;
  cpu_seconds: number;
}

interface HostileMeasurement {
  mode: HostileRow['mode'];
  measurement: { run: number; frames_received: number; frames_processed: number };
}

/** Both versions' runs of `npm run bench:hostile`, each mode alone and under attack. */
export function hostile(): string {
  const versions: Array<[string, string]> = [
    ['before', 'hostile-before.json'],
    ['now', 'hostile.json'],
  ];
  const lines = versions.flatMap(([version, file]) => {
    const report = results<{ rows: HostileRow[]; measurements: HostileMeasurement[] }>(file);
    return report.rows.map((r) => {
      const measured = report.measurements.find((m) => m.mode === r.mode && m.measurement.run === r.run)!.measurement;
      const hostileMode = r.mode === 'hostile';
      const strong = (cell: string) => (hostileMode ? `**${cell}**` : cell);
      const summaries = `${Math.round(r.summaries_per_session * r.k)} / ${r.k}`;
      const peak = num(r.peak_rss_mb, 0);
      return [
        version,
        r.mode,
        r.run,
        strong(summaries),
        strong(String(r.worker_deaths)),
        `${num(r.rss_before_mb, 0)} → ${hostileMode && version === 'before' ? `**${peak}**` : peak}`,
        Object.values(r.event_loop_delay_p99_ms).map((v) => num(v, 0)).join(', '),
        r.frames_received_per_sent === null ? '-' : r.frames_received_per_sent.toFixed(2),
        measured.frames_received === 0 ? '-' : (measured.frames_processed / measured.frames_received).toFixed(2),
        r.cpu_seconds.toFixed(1),
      ];
    });
  });
  return table(
    ['server', 'mode', 'run', 'legitimate sessions with a summary', 'worker deaths', 'RSS before → peak MB', 'event-loop p99 ms: main, media-1, media-2', 'frames counted / sent', 'processed / counted', 'CPU-s'],
    lines,
  );
}
