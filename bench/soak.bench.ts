/**
 * Soak: many sessions opened and closed in waves against one in-process server, watching that
 * nothing stays behind. Each session is this repo's werift client (client/streamingClient.ts)
 * with a video track (synthetic VP8), an audio track (Opus) and the `events` data channel; it
 * streams a few frames, stops both tracks (RTCP BYE), waits for its `stream_closed` and closes.
 * The server runs in this process (test/helpers/loopbackServer.ts, DETECTOR=off) with its media
 * workers (MEDIA_WORKERS, default one per core), so the process's memory is the server's plus
 * the clients' of the wave under way; the heap is this thread's plus every media worker's.
 *
 * After each wave (every session's `stream_closed` in, the manager empty, then a GC: run with
 * --expose-gc, as `npm run bench:soak` does, which the media workers inherit): RSS, heap used,
 * sessions the manager still holds (count and live()), connections the media workers still hold,
 * and this process's active resources (process.getActiveResourcesInfo()).
 * At the end, RSS and heap are compared with the level after the first wave (target: within
 * 5%), summaries received against sessions opened, and what is left once the server is closed.
 *
 * Closed sessions' records stay readable for SUMMARY_RETENTION_MS (default 10 minutes, at most
 * 10,000 records): memory the server keeps on purpose, which would grow through most of a run
 * shorter than the retention. The soak sets the retention to BENCH_RETENTION_MS (default 2000 ms)
 * so that the archive holds the last few waves only, and reports how many records it holds.
 *
 * BENCH_SESSIONS (default 10000), BENCH_WAVE (sessions per wave, default 50), BENCH_FRAMES
 * (video and audio frames each session sends, default 5), BENCH_PRINT_EVERY (table rows, default
 * every 20th wave), BENCH_RESULTS_DIR (write elsewhere, for a trial run).
 * Writes bench/results/soak.json with every wave's numbers; prints a Markdown table.
 */
import { StreamingClient } from '../client/streamingClient';
import { startLoopbackServer, type LoopbackServer } from '../test/helpers/loopbackServer';
import { runBench, writeResults } from './report';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const WAVE = Number(process.env.BENCH_WAVE ?? 50);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 5);
const PRINT_EVERY = Number(process.env.BENCH_PRINT_EVERY ?? 20);
const RETENTION_MS = Number(process.env.BENCH_RETENTION_MS ?? 2000);
const TARGET_PERCENT = 5;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;

const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const percent = (value: number, base: number) => Math.round(((value - base) / base) * 1000) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Memory after a full GC, a few turns of the event loop apart so that finalizers can run. The
 * heap is this thread's and every media worker's (each collects before it answers), and the
 * connections the workers still hold come with it.
 */
async function settledMemory(server: LoopbackServer): Promise<{ rss: number; heapUsed: number; workerHeapUsed: number; workerConnections: number }> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const workers = (await server.mediaWorkers?.measure()) ?? [];
  const workerHeapUsed = workers.reduce((sum, worker) => sum + worker.heapUsedBytes, 0);
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed: heapUsed + workerHeapUsed, workerHeapUsed, workerConnections: workers.reduce((sum, worker) => sum + worker.connections, 0) };
}

/** This process's active resources by type, e.g. { UDPWRAP: 2, Timeout: 3 }. */
function activeResources(): Record<string, number> {
  const byType: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
  return byType;
}

const total = (byType: Record<string, number>) => Object.values(byType).reduce((sum, n) => sum + n, 0);

/** One session, start to end; resolves with whether its `stream_closed` came. */
async function oneSession(url: string): Promise<{ summary: boolean; error?: string }> {
  let client: StreamingClient | undefined;
  try {
    client = await StreamingClient.connect({ url, interfaceAddress: '127.0.0.1' });
    await Promise.all([client.sendVideoFrames(FRAMES), client.sendAudioFrames(FRAMES)]);
    const closed = client.waitForStreamClosed(10_000);
    client.stopVideo();
    client.stopAudio();
    await closed;
    return { summary: true };
  } catch (error) {
    return { summary: false, error: String(error) };
  } finally {
    await client?.close();
  }
}

/** Waits (up to timeoutMs) for the manager to hold no session; released sessions leave it a little after their summary. */
async function untilEmpty(count: () => number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() > 0 && Date.now() < deadline) await sleep(10);
}

async function main() {
  if (!gc) throw new Error('run with --expose-gc (npm run bench:soak)');
  const waves = Math.ceil(SESSIONS / WAVE);
  const server = await startLoopbackServer({ logLevel: 'warn', config: { summaryRetentionMs: RETENTION_MS } });
  const startedAt = Date.now();
  const resourcesBefore = activeResources();
  const rows = [];
  const errors: string[] = [];
  let summaries = 0;
  let opened = 0;
  try {
    for (let wave = 1; wave <= waves; wave++) {
      const size = Math.min(WAVE, SESSIONS - opened);
      const waveStarted = Date.now();
      const results = await Promise.all(Array.from({ length: size }, () => oneSession(server.url)));
      opened += size;
      summaries += results.filter((result) => result.summary).length;
      for (const result of results) if (result.error && errors.length < 20) errors.push(result.error);
      await untilEmpty(() => server.manager.count);
      const memory = await settledMemory(server);
      const resources = activeResources();
      rows.push({
        wave,
        sessions: opened,
        summaries,
        wave_seconds: (Date.now() - waveStarted) / 1000,
        rss_mb: mb(memory.rss),
        heap_used_mb: mb(memory.heapUsed),
        worker_heap_used_mb: mb(memory.workerHeapUsed),
        worker_connections: memory.workerConnections,
        manager_count: server.manager.count,
        manager_live: server.manager.live().length,
        archived_records: server.manager.list().length,
        active_resources: total(resources),
        active_resources_by_type: resources,
      });
      if (wave === 1 || wave % PRINT_EVERY === 0 || wave === waves) process.stderr.write(`wave ${wave}/${waves}: ${opened} sessions, ${summaries} summaries, RSS ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB\n`);
    }
  } finally {
    await server.close();
  }
  // Let closed sockets and timers go, then see what the whole run left in this process.
  await sleep(200);
  const end = await settledMemory(server);
  const resourcesAfter = activeResources();

  const first = rows[0]!;
  const last = rows.at(-1)!;
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    sessions: SESSIONS,
    wave_size: WAVE,
    frames_per_track: FRAMES,
    summary_retention_ms: RETENTION_MS,
    seconds: (Date.now() - startedAt) / 1000,
    summaries,
    summaries_per_session: summaries / opened,
    first_errors: errors,
    target_percent: TARGET_PERCENT,
    rss_after_first_wave_mb: first.rss_mb,
    rss_after_last_wave_mb: last.rss_mb,
    rss_change_percent: percent(last.rss_mb, first.rss_mb),
    heap_after_first_wave_mb: first.heap_used_mb,
    heap_after_last_wave_mb: last.heap_used_mb,
    heap_change_percent: percent(last.heap_used_mb, first.heap_used_mb),
    sessions_left_in_manager: last.manager_count,
    media_workers: server.mediaWorkers?.size ?? 0,
    worker_connections_left: last.worker_connections,
    active_resources_before: resourcesBefore,
    active_resources_after_close: resourcesAfter,
    rss_after_close_mb: mb(end.rss),
    heap_after_close_mb: mb(end.heapUsed),
    waves: rows,
  };

  const shown = rows.filter((row) => row.wave === 1 || row.wave % PRINT_EVERY === 0 || row.wave === waves);
  console.log('| wave | sessions | summaries | RSS MB | heap MB | manager count / live | archived records | active resources |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of shown) {
    console.log(`| ${row.wave} | ${row.sessions} | ${row.summaries} | ${row.rss_mb} | ${row.heap_used_mb} | ${row.manager_count} / ${row.manager_live} | ${row.archived_records} | ${row.active_resources} |`);
  }
  console.log(
    `\n${summaries}/${opened} summaries in ${report.seconds} s; after the last wave vs the first: ` +
      `RSS ${first.rss_mb} -> ${last.rss_mb} MB (${report.rss_change_percent}%), heap ${first.heap_used_mb} -> ${last.heap_used_mb} MB (${report.heap_change_percent}%), target within ${TARGET_PERCENT}%`,
  );
  console.log(`active resources before: ${JSON.stringify(resourcesBefore)}; after the server closed: ${JSON.stringify(resourcesAfter)}`);
  writeResults('soak', report);
}

runBench(main);
