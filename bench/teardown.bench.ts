/**
 * Teardown latency: from the moment a session's end is seen on the server (last track ended,
 * or an end_stream request) to `Released`, and until the client holds `stream_closed`.
 * Real server and werift clients over loopback. Prints a table, writes bench/results/teardown.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import winston from 'winston';
import { StreamingClient } from '../src/client/streamingClient';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const INACTIVITY_MS = 300;

interface Sample {
  endSeenToReleasedMs: number;
  endSeenToClientSummaryMs: number;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) ?? NaN) };
}

async function main() {
  const endSeenAt = new Map<string, number>();
  const logger = createLogger({ level: 'info', format: 'json', console: false });
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(entry: { message: string; session_id?: string }, _encoding, done) {
          // The last "Track ended" (or the close request) before session.closed marks the end seen.
          if (entry.session_id && (entry.message === 'Track ended' || entry.message === 'Session close requested')) {
            endSeenAt.set(entry.session_id, performance.now());
          }
          done();
        },
      }),
    }),
  );
  const config = {
    ...loadConfig({ PORT: '0' }),
    iceInterfaceAddress: '127.0.0.1',
    // The synthetic client's video does not decode; teardown and detection do not depend on it.
    detector: 'off',
    videoInactivityMs: INACTIVITY_MS,
    audioInactivityMs: INACTIVITY_MS,
  };
  const server = await startServer({ config, logger });
  const results: Record<string, Sample[]> = { tracks_ended: [], client_request: [] };

  for (const path of Object.keys(results)) {
    for (let run = 0; run < RUNS; run++) {
      const client = await StreamingClient.connect({ url: server.url, interfaceAddress: '127.0.0.1' });
      const peer = server.manager.trackingSet.get(client.sessionId)!;
      await Promise.all([client.sendVideoFrames(15, { intervalMs: 10 }), client.sendAudioFrames(15, { intervalMs: 10 })]);
      if (path === 'tracks_ended') {
        client.stopVideo();
        client.stopAudio();
      } else {
        client.sendMessage({ type: 'end_stream' });
      }
      const stamp = <T>(promise: Promise<T>) => promise.then((value) => ({ value, at: performance.now() }));
      const [{ value: closed, at: summaryAt }, { at: releasedAt }] = await Promise.all([
        stamp(client.waitForStreamClosed(5000)),
        stamp(peer.released),
      ]);
      if (closed.reason !== path) throw new Error(`expected reason ${path}, got ${closed.reason}`);
      const seen = endSeenAt.get(peer.id)!;
      results[path]!.push({ endSeenToReleasedMs: releasedAt - seen, endSeenToClientSummaryMs: summaryAt - seen });
      await client.close();
    }
  }
  await server.close();

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    runs: RUNS,
    teardown: Object.fromEntries(
      Object.entries(results).map(([path, samples]) => [
        path,
        {
          end_seen_to_released_ms: stats(samples.map((s) => s.endSeenToReleasedMs)),
          end_seen_to_client_summary_ms: stats(samples.map((s) => s.endSeenToClientSummaryMs)),
        },
      ]),
    ),
  };
  console.table(
    Object.entries(report.teardown).map(([path, r]) => ({
      path,
      'released median ms': r.end_seen_to_released_ms.median,
      'released p95 ms': r.end_seen_to_released_ms.p95,
      'client summary median ms': r.end_seen_to_client_summary_ms.median,
      'client summary p95 ms': r.end_seen_to_client_summary_ms.p95,
    })),
  );
  const file = join(__dirname, 'results', 'teardown.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
