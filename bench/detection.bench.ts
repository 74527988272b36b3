/**
 * How fast each way a stream can end becomes a closed session, by client stack: this repo's
 * werift client, aiortc and Chromium (when installed), one session at a time, BENCH_RUNS runs
 * per path (default 20). Measured from the client's end action (its own clock) to the client
 * holding `stream_closed`, and to the server releasing the session. Then the werift-only paths
 * (transceiver stopped, silent end, SIGKILL). Times come from events: the client's own moments,
 * the server's `released` resolving, the session's record showing the track's end.
 *
 * Prints tables (median, p95 by nearest rank, max: test/helpers/stats.ts), writes
 * bench/results/detection.json with every value. BENCH_STACKS (default: every installed one),
 * BENCH_RESULTS_DIR (write elsewhere, for a trial run).
 */
import { performance } from 'node:perf_hooks';
import { StreamingClient } from '../client/streamingClient';
import type { PeerSession } from '../src/sessions/peerSession';
import type { RunningServer } from '../src/server';
import { startClientProcess } from '../test/helpers/clientProcess';
import { measure } from '../test/helpers/stats';
import { availableStacks, BenchServer, PATHS, runRound, type Sample, type Stack } from './clientStacks';
import { runBench, writeResults } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const STACKS = (process.env.BENCH_STACKS?.split(',') as Stack[] | undefined) ?? availableStacks();
const INACTIVITY_MS = 2000;
const STREAM_MS = 500;

const stamp = <T>(promise: Promise<T>) => promise.then(() => performance.now());

/** Paths whose end is only seen after the inactivity time: it is subtracted from their numbers. */
const WAITS_FOR_INACTIVITY = new Set(['stop_tracks']);

async function byStack(bench: BenchServer) {
  const rows = [];
  for (const stack of STACKS) {
    for (const path of PATHS[stack]) {
      const samples: Sample[] = [];
      while (samples.length < RUNS) samples.push(...(await runRound(bench, stack, path, { sessions: 1, streamMs: STREAM_MS })));
      const less = WAITS_FOR_INACTIVITY.has(path) ? INACTIVITY_MS : 0;
      const numbers = (pick: (sample: Sample) => number | null) =>
        samples.map(pick).filter((value): value is number => value !== null).map((value) => value - less);
      rows.push({
        stack,
        path,
        minus_inactivity_ms: less,
        action_to_client_stream_closed_ms: measure(numbers((s) => s.actionToClosedMs)),
        action_to_released_ms: measure(numbers((s) => s.actionToReleasedMs)),
      });
      process.stderr.write(`${stack} ${path}: ${samples.length} runs\n`);
    }
  }
  return rows;
}

async function connected(server: RunningServer) {
  const client = await StreamingClient.connect({ url: server.url, interfaceAddress: '127.0.0.1' });
  const peer = server.manager.get(client.sessionId) as PeerSession;
  await Promise.all([client.sendVideoFrames(10, { intervalMs: 10 }), client.sendAudioFrames(10, { intervalMs: 10 })]);
  return { client, peer };
}

/** werift clients only: ways to end that the stacks do not share. */
async function weriftOnly(server: RunningServer) {
  const paths = {
    transceiver_stopped: { what: 'client stops its video transceiver and renegotiates -> server ends the track', samples: [] as number[] },
    inactivity: { what: `last RTP packet -> Released, minus the ${INACTIVITY_MS} ms inactivity time`, samples: [] as number[] },
    sigkill: { what: `client process SIGKILLed -> Released, minus the ${INACTIVITY_MS} ms inactivity time`, samples: [] as number[] },
  };
  for (let run = 0; run < RUNS; run++) {
    {
      const { client, peer } = await connected(server);
      const stoppedAt = performance.now();
      const videoEnded = new Promise<number>((resolve) => {
        const poll = setInterval(() => {
          if (peer.view().tracks.some((track) => track.kind === 'video' && track.end_reason === 'transceiver_stopped')) {
            clearInterval(poll);
            resolve(performance.now());
          }
        }, 1);
      });
      await client.stopTransceiver('video');
      paths.transceiver_stopped.samples.push((await videoEnded) - stoppedAt);
      client.stopAudio();
      await peer.released;
      await client.close();
    }
    {
      const { client, peer } = await connected(server);
      const lastPacketAt = performance.now();
      client.stopVideo({ bye: false });
      client.stopAudio({ bye: false });
      paths.inactivity.samples.push((await stamp(peer.released)) - lastPacketAt - INACTIVITY_MS);
      await client.close();
    }
    {
      const { child, sessionId } = await startClientProcess(server.url);
      const peer = server.manager.get(sessionId) as PeerSession;
      while (peer.view().counters.audio_frames < 10) await new Promise((resolve) => setTimeout(resolve, 20));
      const killedAt = performance.now();
      child.kill('SIGKILL');
      paths.sigkill.samples.push((await stamp(peer.released)) - killedAt - INACTIVITY_MS);
    }
  }
  return Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, { what: path.what, ...measure(path.samples) }]));
}

async function main() {
  const bench = await BenchServer.start({ videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS });
  let stacks;
  let werift;
  try {
    stacks = await byStack(bench);
    werift = await weriftOnly(bench.server);
  } finally {
    await bench.close();
  }
  const report = { date: new Date().toISOString(), node: process.version, runs: RUNS, inactivity_ms: INACTIVITY_MS, by_stack: stacks, werift_only: werift };
  console.table(
    stacks.map((row) => ({
      stack: row.stack,
      path: row.path,
      n: row.action_to_released_ms.n,
      'stream_closed median': row.action_to_client_stream_closed_ms.median,
      'stream_closed p95': row.action_to_client_stream_closed_ms.p95,
      'stream_closed max': row.action_to_client_stream_closed_ms.max,
      'Released median': row.action_to_released_ms.median,
      'Released p95': row.action_to_released_ms.p95,
      'Released max': row.action_to_released_ms.max,
    })),
  );
  console.table(Object.entries(werift).map(([path, r]) => ({ path, n: r.n, median: r.median, p95: r.p95, max: r.max })));
  writeResults('detection', report);
}

runBench(main);
