/**
 * Shutdown under load: the server in a child process of its own (bench/serverProcess.ts,
 * `node --import tsx src/main.ts`), K sessions of this repo's werift client (in this process)
 * connected to it, each with video, audio and the `events` data channel open, then SIGTERM.
 * The sessions stay open through the drain (each sends a few frames, then idles; the server's
 * inactivity timeouts are raised so that no track ends on its own), so the drain runs its full
 * DRAIN_TIMEOUT_MS and then closes every session with `server_shutdown` (src/main.ts,
 * SessionManager.drain).
 *
 * Measured, on this process's clock, from the moment SIGTERM is sent: each client's
 * `stream_closed` (how many of the K data channels got one, and with which reason), the last one
 * (the drain's end: every session closed), and the process's exit. Target: every data channel
 * gets its `stream_closed`, and the process exits within 2 s of the drain's end.
 *
 * BENCH_SESSIONS (K, default 200), BENCH_DRAIN_MS (the server's DRAIN_TIMEOUT_MS, default 2000),
 * BENCH_RUNS (default 3; each run starts a fresh server), BENCH_RESULTS_DIR (write elsewhere).
 * Writes bench/results/shutdown.json, prints a Markdown table.
 */
import { performance } from 'node:perf_hooks';
import { StreamingClient } from '../client/streamingClient';
import { measure } from '../test/helpers/stats';
import { runBench, writeResults } from './report';
import { startServerProcess } from './serverProcess';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const DRAIN_MS = Number(process.env.BENCH_DRAIN_MS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Sessions connecting at once (BENCH_CONNECT_WAVE; with 50 at once, some of K = 200 failed to connect on 2 cores). */
const CONNECT_WAVE = Number(process.env.BENCH_CONNECT_WAVE ?? 20);
const FRAMES = 5;
const TARGET_EXIT_AFTER_DRAIN_MS = 2000;
/** Longer than any run: the server must close its sessions, not these timeouts. */
const IDLE_MS = 600_000;

async function connectAll(url: string): Promise<StreamingClient[]> {
  const clients: StreamingClient[] = [];
  while (clients.length < SESSIONS) {
    const wave = Math.min(CONNECT_WAVE, SESSIONS - clients.length);
    const connected = await Promise.all(
      Array.from({ length: wave }, async () => {
        const client = await StreamingClient.connect({ url, interfaceAddress: '127.0.0.1', connectTimeoutMs: 30_000 });
        await Promise.all([client.sendVideoFrames(FRAMES), client.sendAudioFrames(FRAMES)]);
        return client;
      }),
    );
    clients.push(...connected);
  }
  return clients;
}

async function oneRun(run: number) {
  const server = await startServerProcess('this', {
    env: {
      DETECTOR: 'off',
      ICE_INTERFACE_ADDRESS: '127.0.0.1',
      MAX_SESSIONS: String(SESSIONS),
      RATE_LIMIT_OFFERS_PER_MINUTE: '100000',
      MAX_HALF_OPEN_SESSIONS_PER_ADDRESS: '100000',
      VIDEO_INACTIVITY_MS: String(IDLE_MS),
      AUDIO_INACTIVITY_MS: String(IDLE_MS),
      DRAIN_TIMEOUT_MS: String(DRAIN_MS),
      // info: the server announces its port at info level.
      LOG_LEVEL: 'info',
    },
  });
  const clients = await connectAll(server.url).catch(async (error: unknown) => {
    await server.stop(1000);
    throw new Error(`connecting ${SESSIONS} sessions failed: ${String(error)}\nthe server's last lines:\n${server.recentOutput()}`);
  });
  // Connected with the data channel open (connect() waits for both) and no stream_closed yet.
  const openChannels = clients.filter(
    (client) => client.peerConnection.connectionState === 'connected' && !client.events.some((event) => event.event_type === 'stream_closed'),
  ).length;
  const timeoutMs = DRAIN_MS + 20_000;
  const closedAt = clients.map((client) =>
    client.waitForStreamClosed(timeoutMs).then(
      (event) => ({ at: performance.now(), reason: event.reason as string }),
      () => null,
    ),
  );
  const sigtermAt = performance.now();
  // stop() sends SIGTERM and resolves once the process has exited (SIGKILL only after graceMs).
  const exitedAt = await server.stop(timeoutMs).then(() => performance.now());
  const closed = await Promise.all(closedAt);
  await Promise.all(clients.map((client) => client.close()));

  const received = closed.filter((entry): entry is { at: number; reason: string } => entry !== null);
  const reasons: Record<string, number> = {};
  for (const entry of received) reasons[entry.reason] = (reasons[entry.reason] ?? 0) + 1;
  const lastClosedAt = received.length > 0 ? Math.max(...received.map((entry) => entry.at)) : null;
  const output = server.recentOutput();
  const result = {
    run,
    sessions: SESSIONS,
    open_data_channels: openChannels,
    stream_closed_received: received.length,
    reasons,
    sigterm_to_stream_closed_ms: measure(received.map((entry) => entry.at - sigtermAt)),
    sigterm_to_last_stream_closed_ms: lastClosedAt === null ? null : Math.round(lastClosedAt - sigtermAt),
    sigterm_to_exit_ms: Math.round(exitedAt - sigtermAt),
    exit_after_drain_end_ms: lastClosedAt === null ? null : Math.round(exitedAt - lastClosedAt),
    shutdown_deadline_passed: output.includes('Shutdown deadline passed'),
  };
  process.stderr.write(`run ${run}: ${received.length}/${SESSIONS} stream_closed, exit ${result.exit_after_drain_end_ms} ms after the last\n`);
  return result;
}

async function main() {
  const runs = [];
  for (let run = 1; run <= RUNS; run++) runs.push(await oneRun(run));

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    sessions: SESSIONS,
    drain_timeout_ms: DRAIN_MS,
    target_exit_after_drain_end_ms: TARGET_EXIT_AFTER_DRAIN_MS,
    runs,
  };
  console.log('| run | K | stream_closed / open channels | reasons | SIGTERM -> first / median / last stream_closed (ms) | SIGTERM -> exit (ms) | exit after drain end (ms) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const run of runs) {
    const first = Math.min(...run.sigterm_to_stream_closed_ms.values);
    console.log(
      `| ${run.run} | ${run.sessions} | ${run.stream_closed_received} / ${run.open_data_channels} | ${JSON.stringify(run.reasons)} | ` +
        `${Math.round(first)} / ${run.sigterm_to_stream_closed_ms.median} / ${run.sigterm_to_last_stream_closed_ms} | ${run.sigterm_to_exit_ms} | ${run.exit_after_drain_end_ms} |`,
    );
  }
  console.log(`target: every open data channel gets stream_closed; exit within ${TARGET_EXIT_AFTER_DRAIN_MS} ms of the drain's end (DRAIN_TIMEOUT_MS=${DRAIN_MS})`);
  writeResults('shutdown', report);
}

runBench(main);
