/**
 * Teardown latency by client stack: from the moment the server sees a session's end (its last
 * track ended) to `Released`, and until the client holds `stream_closed`. K concurrent sessions
 * of each stack (werift: this repo's client; aiortc and Chromium when installed) stream for a
 * second, then all stop their tracks at once: werift and aiortc send RTCP BYE, Chromium sends
 * none, so the server sees its tracks end by inactivity.
 *
 * Times come from events (bench/clientStacks.ts): the end seen is the session's last step from
 * `Active` to `TrackEnding` in its timeline (`view().timeline`), `Released` the moment its
 * `released` resolves, `stream_closed` the moment the client holds it. Timeline times are whole
 * milliseconds, so end seen -> `Released` is too.
 *
 * Prints a table (median, p95 by nearest rank, max: test/helpers/stats.ts), writes
 * bench/results/teardown.json with every value. BENCH_RUNS (samples per row, default 20; p95 needs
 * 20), BENCH_K (default "1,10"), BENCH_STACKS (default: every installed one), BENCH_RESULTS_DIR
 * (write elsewhere, for a trial run).
 */
import { measure } from '../test/helpers/stats';
import { availableStacks, BenchServer, runRound, type EndPath, type Sample, type Stack } from './clientStacks';
import { runBench, writeResults } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const KS = (process.env.BENCH_K ?? '1,10').split(',').map(Number);
const STACKS = (process.env.BENCH_STACKS?.split(',') as Stack[] | undefined) ?? availableStacks();
const INACTIVITY_MS = 300;
const STREAM_MS = 1000;

/** How each stack's client stops its tracks. */
const TRACKS_STOPPED: Record<Stack, EndPath> = { werift: 'bye', aiortc: 'bye', chromium: 'stop_tracks' };

async function main() {
  const bench = await BenchServer.start({ videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS });
  const rows = [];
  try {
    for (const stack of STACKS) {
      for (const k of KS) {
        const samples: Sample[] = [];
        while (samples.length < RUNS) samples.push(...(await runRound(bench, stack, TRACKS_STOPPED[stack], { sessions: k, streamMs: STREAM_MS })));
        const numbers = (pick: (sample: Sample) => number | null) => samples.map(pick).filter((value): value is number => value !== null);
        rows.push({
          stack,
          k,
          ending: TRACKS_STOPPED[stack],
          end_seen_to_client_stream_closed_ms: measure(numbers((s) => s.endSeenToClosedMs)),
          end_seen_to_released_ms: measure(numbers((s) => s.endSeenToReleasedMs)),
          missing_stream_closed: samples.filter((s) => s.endSeenToClosedMs === null).length,
        });
        process.stderr.write(`${stack} K=${k}: ${samples.length} sessions\n`);
      }
    }
  } finally {
    await bench.close();
  }

  const report = { date: new Date().toISOString(), node: process.version, runs_per_row: RUNS, inactivity_ms: INACTIVITY_MS, rows };
  console.table(
    rows.map((row) => ({
      stack: row.stack,
      K: row.k,
      n: row.end_seen_to_client_stream_closed_ms.n,
      'stream_closed median': row.end_seen_to_client_stream_closed_ms.median,
      'stream_closed p95': row.end_seen_to_client_stream_closed_ms.p95,
      'stream_closed max': row.end_seen_to_client_stream_closed_ms.max,
      'Released median': row.end_seen_to_released_ms.median,
      'Released p95': row.end_seen_to_released_ms.p95,
      'Released max': row.end_seen_to_released_ms.max,
    })),
  );
  writeResults('teardown', report);
}

runBench(main);
