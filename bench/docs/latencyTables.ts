/**
 * Tables of the latency benches run on loopback: teardown, detection and setup by client stack
 * (bench/clientStacks.ts), the cluster's cost (`bench:cluster`), shutdown and soak.
 */
import { fixed, medianP95, medianP95Max, num, results, table, type Stat } from './format';

/** The client stacks as the docs name them. The versions are those the results were measured with. */
const STACKS: Record<string, string> = { werift: 'werift', aiortc: 'aiortc 1.4', chromium: 'Chromium 156' };
const oneDecimal = (value: number) => fixed(value, 1);

interface TeardownRow {
  stack: string;
  k: number;
  end_seen_to_client_stream_closed_ms: Stat;
  end_seen_to_released_ms: Stat;
}

/** `npm run bench:teardown`: end seen -> `stream_closed` held and -> `Released`, per stack and K. */
export function teardown(): string {
  const rows = results<{ rows: TeardownRow[] }>('teardown.json').rows;
  return table(
    ['client', 'K', '`stream_closed` held: median / p95 / max', '`Released`: median / p95 / max'],
    rows.map((r) => [
      STACKS[r.stack] ?? r.stack,
      r.k,
      `${medianP95Max(r.end_seen_to_client_stream_closed_ms, oneDecimal)} ms`,
      `${medianP95Max(r.end_seen_to_released_ms, oneDecimal)} ms`,
    ]),
  );
}

interface DetectionRow {
  stack: string;
  path: string;
  minus_inactivity_ms: number;
  action_to_client_stream_closed_ms: Stat;
  action_to_released_ms: Stat;
}

/** How each stack's way of ending is named in the table. */
const PATHS: Record<string, Record<string, string>> = {
  werift: { bye: 'RTCP BYE for both tracks', end_stream: '`end_stream` message', delete: '`DELETE /sessions/<id>`', close: '`pc.close()`' },
  aiortc: { bye: 'senders stopped (RTCP BYE)', end_stream: '`end_stream` message', delete: '`DELETE`', close: '`pc.close()`' },
  chromium: {
    end_stream: '`end_stream` message',
    stop_tracks: '`track.stop()` (no BYE), beyond the 2 s inactivity',
    transceiver_stop: 'transceivers stopped and renegotiated',
    delete: '`DELETE` (from the page)',
    close: '`pc.close()`',
  },
};

/** `npm run bench:detection`: the client's end action -> `stream_closed` held and -> `Released`. */
export function detection(): string {
  const rows = results<{ by_stack: DetectionRow[] }>('detection.json').by_stack;
  const cell = (s: Stat, beyond: boolean, none: string) =>
    s.n === 0 ? none : beyond ? medianP95Max(s, (v) => `+${oneDecimal(v)}`) : medianP95Max(s, oneDecimal);
  return table(
    ['client', 'path', '→ `stream_closed` held', '→ `Released`'],
    rows.map((r) => {
      const beyond = r.minus_inactivity_ms > 0;
      const none = r.path === 'transceiver_stop' ? '- (see below)' : '-';
      return [STACKS[r.stack] ?? r.stack, PATHS[r.stack]?.[r.path] ?? r.path, cell(r.action_to_client_stream_closed_ms, beyond, none), cell(r.action_to_released_ms, beyond, '-')];
    }),
  );
}

interface SetupResult {
  scenario: string;
  variant: 'baseline' | 'current';
  client_setup_ms: Stat;
}

/** `npm run bench:setup`: werift 0.25.2's behaviour (before) against the current code, same run. */
export function setup(): string {
  const rows = results<{ results: SetupResult[] }>('setup.json').results;
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const label = (scenario: string) => scenario.replace(/ K=1 x\d+$/, ', one at a time').replace(/ (\d+) over (\d+) s, x\d+$/, ', $1 over $2 s');
  const cell = (scenario: string, variant: SetupResult['variant']) => {
    const found = rows.find((r) => r.scenario === scenario && r.variant === variant)!.client_setup_ms;
    return `${medianP95Max(found)} ms (n ${found.n})`;
  };
  return table(
    ['client', 'before: median / p95 / max', 'now: median / p95 / max'],
    scenarios.map((s) => [label(s), cell(s, 'baseline'), cell(s, 'current')]),
  );
}

interface ClusterRow {
  variant: string;
  offer_ms: Stat;
  connect_ms: Stat;
  get_ms: Stat;
  delete_ms: Stat;
}

/** `npm run bench:cluster`: one instance without Redis against two sharing a redis-server. */
export function cluster(): string {
  const rows = results<{ rows: ClusterRow[] }>('cluster.json').rows;
  const two = (value: number) => fixed(value, 2);
  return table(
    ['', 'offer round trip', 'connect (offer to `session_started`)', 'GET of the live session', 'DELETE round trip (to the summary)'],
    rows.map((r) => [r.variant, medianP95(r.offer_ms, two), medianP95(r.connect_ms, two), medianP95(r.get_ms, two), medianP95(r.delete_ms, two)]),
  );
}

interface ShutdownRun {
  run: number;
  open_data_channels: number;
  stream_closed_received: number;
  reasons: Record<string, number>;
  sigterm_to_stream_closed_ms: Stat;
  sigterm_to_last_stream_closed_ms: number;
  sigterm_to_exit_ms: number;
  exit_after_drain_end_ms: number;
}

/** `npm run bench:shutdown`: SIGTERM with 200 open sessions, per run. */
export function shutdown(): string {
  const runs = results<{ runs: ShutdownRun[] }>('shutdown.json').runs;
  return table(
    ['run', '`stream_closed` / open data channels', 'reason', 'SIGTERM -> first / median / last `stream_closed`', 'SIGTERM -> exit', 'exit after the drain\'s end'],
    runs.map((r) => {
      const first = r.sigterm_to_stream_closed_ms.values ? Math.min(...r.sigterm_to_stream_closed_ms.values) : null;
      return [
        r.run,
        `${r.stream_closed_received} / ${r.open_data_channels}`,
        Object.keys(r.reasons).map((reason) => `\`${reason}\``).join(', '),
        `${first === null ? '-' : num(first, 0)} / ${num(r.sigterm_to_stream_closed_ms.median!, 0)} / ${num(r.sigterm_to_last_stream_closed_ms, 0)} ms`,
        `${r.sigterm_to_exit_ms} ms`,
        `${r.exit_after_drain_end_ms} ms`,
      ];
    }),
  );
}

interface SoakWave {
  wave: number;
  sessions: number;
  summaries: number;
  rss_mb: number;
  heap_used_mb: number;
  worker_heap_used_mb: number | null;
  manager_count: number;
  manager_live: number;
  worker_connections: number | null;
  archived_records: number;
}

/** `npm run bench:soak`: a few of the waves (the first, the last, some between). */
export function soak(): string {
  const waves = results<{ waves: SoakWave[] }>('soak.json').waves;
  const shown = new Set([1, 10, 40, 100, 160, waves.length]);
  return table(
    ['wave', 'sessions', 'summaries', 'RSS MB', 'heap MB (of which workers)', 'manager count / live', 'worker connections', 'archived records'],
    waves
      .filter((w) => shown.has(w.wave))
      .map((w) => [w.wave, w.sessions, w.summaries, w.rss_mb, `${w.heap_used_mb} (${w.worker_heap_used_mb ?? '-'})`, `${w.manager_count} / ${w.manager_live}`, w.worker_connections ?? '-', w.archived_records]),
  );
}
