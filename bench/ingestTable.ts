/**
 * The ingest sweep's table (`npm run bench`): one row per server and K, from the rows of
 * bench/results/bench.json. Its own module so that the bench (bench.md) and the docs generator
 * (bench/docsTables.ts) render the same table from the same rows.
 */
import type { Summary as Stats } from '../test/helpers/stats';
import type { ServerKind } from './serverProcess';

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** One table row: a server at one K. */
export interface Row {
  server: ServerKind;
  decoder: string | null;
  /** This server: the media workers it ran with (0: connections on the main thread). */
  media_workers: number | null;
  k: number;
  /** Sessions that reached `connected`. */
  sessions_connected: number;
  /** Video frames the load generator sent / 30: the session-seconds actually streamed (it may fall behind). */
  session_seconds: number;
  summaries_per_session: number;
  setup_ms: Stats;
  teardown_ms: Stats;
  cpu_seconds: number;
  cpu_seconds_per_session_second: number | null;
  /** (peak RSS - idle RSS before) / K, and (idle RSS after close - idle RSS before) / K. */
  peak_rss_per_session_mb: number;
  rss_after_close_per_session_mb: number;
  rss_idle_before_mb: number;
  peak_rss_mb: number;
  rss_idle_after_mb: number;
  /** Of the sessions with a summary: frames the server counted as received per frame sent. */
  frames_received_per_sent: number | null;
  /** Frames the detector looked at per received (this server); decoded per received (aiortc, which analyses none, or DETECTOR=off). */
  frames_analysed_per_received: number | null;
  analysed_counts: 'analysed' | 'decoded';
  frames_dropped: number;
  load_generator_late_frames: number;
  failures: number;
  /** This server, BENCH_IDLE_AFTER_MS after the load against before it: sessions and worker connections left, main-thread handles and heap. */
  sessions_left: number | null;
  worker_connections_left: number | null;
  handles_before_after: [number, number] | null;
  heap_used_before_after_mb: [number, number] | null;
}

export const percent = (value: number | null): string => (value === null ? '-' : `${round(value * 100, 1)}%`);
const p50p95 = (s: Stats): string => (s.n === 0 ? '-' : `${s.median} / ${s.p95 ?? `- (max ${s.max})`} (n ${s.n})`);
export const serverName = (kind: ServerKind): string => (kind === 'this' ? 'this server' : 'aiortc server');
/** A row's server: aiortc, or this server with its media workers. */
export const variantName = (r: Pick<Row, 'server' | 'media_workers'>): string =>
  r.server === 'aiortc' ? serverName('aiortc') : r.media_workers === null ? serverName('this') : `this server, ${r.media_workers} media workers`;
const leftAfter = (r: Row): string =>
  r.sessions_left === null ? '-' : `${r.sessions_left} / ${r.worker_connections_left} / ${r.handles_before_after!.join('→')} / ${r.heap_used_before_after_mb!.join('→')}`;

export function markdown(rows: Row[]): string {
  const header =
    '| server | K | session-s streamed | setup p50 / p95 ms | teardown p50 / p95 ms | CPU-s per session-s | peak RSS per session MB | RSS after close per session MB | ' +
    'frames received / sent | analysed / received | summaries / sessions | afterwards: sessions / worker connections / handles / heap MB |';
  const lines = rows.map((r) =>
    [
      `${variantName(r)} (${r.decoder ?? '?'})`,
      r.k,
      r.session_seconds,
      p50p95(r.setup_ms),
      p50p95(r.teardown_ms),
      r.cpu_seconds_per_session_second ?? '-',
      r.peak_rss_per_session_mb,
      r.rss_after_close_per_session_mb,
      percent(r.frames_received_per_sent),
      `${percent(r.frames_analysed_per_received)}${r.analysed_counts === 'decoded' ? ' decoded' : ''}`,
      `${round(r.summaries_per_session * r.k, 0)} / ${r.k}`,
      leftAfter(r),
    ].join(' | '),
  );
  return [header, `|${'---|'.repeat(12)}`, ...lines.map((line) => `| ${line} |`)].join('\n');
}
