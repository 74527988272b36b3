/**
 * What Redis costs a session (REDIS_URL): the same werift sessions, one at a time, against one
 * instance without Redis and against a cluster of two instances sharing a real redis-server on
 * loopback, the variants taking turns session by session so that whatever else the machine does
 * falls on all of them.
 *
 * Per session: the POST /offer round trip (the cluster publishes the session before answering),
 * connect (offer to data channel open and `session_started`), a GET of the live session (on the
 * other instance: forwarded to the owner over Redis), and the DELETE round trip (on the owner,
 * or on the other instance, which forwards it) up to the final summary. Prints a table (median,
 * p95 by nearest rank, max), writes bench/results/cluster.json with every value. BENCH_RUNS
 * (sessions per variant, default 40), BENCH_RESULTS_DIR (write elsewhere, for a trial run).
 */
import { StreamingClient } from '../client/streamingClient';
import { startLoopbackServer, type LoopbackServer } from '../test/helpers/loopbackServer';
import { startRedisServer, testClusterConfig } from '../test/helpers/redisServer';
import { measure } from '../test/helpers/stats';
import { runBench, writeResults } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
/** Sessions per variant before measuring (module loading, code not yet optimised). */
const WARMUP = 3;

interface Variant {
  name: string;
  /** Where the client connects. */
  owner: LoopbackServer;
  /** Where its GET and DELETE go. */
  asked: LoopbackServer;
}

interface Sample {
  offerMs: number;
  connectMs: number;
  getMs: number;
  deleteMs: number;
}

/** Times every POST /offer the client makes (the client's own fetch, measured around it). */
const offerTimes: number[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const started = performance.now();
  const response = await realFetch(input, init);
  if (String(input).endsWith('/offer') && init?.method === 'POST') offerTimes.push(performance.now() - started);
  return response;
};

async function oneSession(variant: Variant): Promise<Sample> {
  offerTimes.length = 0;
  const started = performance.now();
  const client = await StreamingClient.connect({ url: variant.owner.url, interfaceAddress: '127.0.0.1', audio: false });
  try {
    await client.waitForEvent('session_started', 5000);
    const connectMs = performance.now() - started;
    const offerMs = offerTimes[0] ?? NaN;
    await client.sendVideoFrames(3, { intervalMs: 5 });
    let t = performance.now();
    const live = await realFetch(`${variant.asked.url}/sessions/${client.sessionId}`);
    if (live.status !== 200) throw new Error(`GET answered ${live.status}`);
    await live.json();
    const getMs = performance.now() - t;
    t = performance.now();
    const deleted = await realFetch(`${variant.asked.url}/sessions/${client.sessionId}`, { method: 'DELETE' });
    const body = (await deleted.json()) as { summary?: unknown };
    const deleteMs = performance.now() - t;
    if (deleted.status !== 200 || !body.summary) throw new Error(`DELETE answered ${deleted.status}`);
    await client.waitForStreamClosed(5000);
    return { offerMs, connectMs, getMs, deleteMs };
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const quiet = { videoInactivityMs: 60_000, audioInactivityMs: 60_000 };
  const alone = await startLoopbackServer({ config: quiet, logLevel: 'warn' });
  const a = await startLoopbackServer({ config: { ...quiet, cluster: testClusterConfig(redis, 'a', { heartbeatMs: 1000, entryTtlMs: 5000 }) }, logLevel: 'warn' });
  const b = await startLoopbackServer({ config: { ...quiet, cluster: testClusterConfig(redis, 'b', { heartbeatMs: 1000, entryTtlMs: 5000 }) }, logLevel: 'warn' });
  const variants: Variant[] = [
    { name: 'one instance, no Redis', owner: alone, asked: alone },
    { name: 'cluster, asked on the owner', owner: a, asked: a },
    { name: 'cluster, asked on the other instance', owner: a, asked: b },
  ];
  const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.name, []]));
  try {
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const variant of variants) {
        const sample = await oneSession(variant);
        if (round >= WARMUP) samples.get(variant.name)!.push(sample);
      }
      if ((round + 1) % 10 === 0) process.stderr.write(`${round + 1 - WARMUP} sessions per variant\n`);
    }
  } finally {
    for (const server of [alone, a, b]) await server.close();
    await redis.stop();
  }
  const rows = variants.map(({ name }) => {
    const of = (pick: (sample: Sample) => number) => measure(samples.get(name)!.map(pick), 2);
    return { variant: name, offer_ms: of((s) => s.offerMs), connect_ms: of((s) => s.connectMs), get_ms: of((s) => s.getMs), delete_ms: of((s) => s.deleteMs) };
  });
  console.table(
    rows.flatMap((row) =>
      (['offer_ms', 'connect_ms', 'get_ms', 'delete_ms'] as const).map((what) => ({ variant: row.variant, what, n: row[what].n, median: row[what].median, p95: row[what].p95, max: row[what].max })),
    ),
  );
  writeResults('cluster', { date: new Date().toISOString(), node: process.version, runs_per_variant: RUNS, warmup_per_variant: WARMUP, rows });
}

runBench(main);
