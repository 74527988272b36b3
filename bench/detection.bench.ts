/**
 * How fast each way a stream can end is turned into a closed session: the real server and
 * real werift clients over loopback, RUNS runs per path. Prints median/p95 and writes
 * bench/results/detection.json. Run with `npm run bench:detection`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StreamingClient } from '../src/client/streamingClient';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import type { PeerSession } from '../src/peer/peerSession';
import { startServer, type RunningServer } from '../src/server';
import { startClientProcess } from '../test/helpers/clientProcess';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const INACTIVITY_MS = 2000;

interface PathResult {
  what: string;
  samples: number[];
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { n: sorted.length, median_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(sorted.at(-1) ?? NaN) };
}

const stamp = <T>(promise: Promise<T>) => promise.then(() => performance.now());

async function connected(server: RunningServer) {
  const client = await StreamingClient.connect({ url: server.url, interfaceAddress: '127.0.0.1' });
  const peer = server.manager.trackingSet.get(client.sessionId) as PeerSession;
  await Promise.all([client.sendVideoFrames(10, { intervalMs: 10 }), client.sendAudioFrames(10, { intervalMs: 10 })]);
  return { client, peer };
}

/** A client in a child process, killed with SIGKILL once media flows: no goodbye at all. */
async function killedClient(server: RunningServer): Promise<number> {
  const { child, sessionId } = await startClientProcess(server.url);
  const peer = server.manager.trackingSet.get(sessionId) as PeerSession;
  while (peer.view().counters.audio_frames < 10) await new Promise((resolve) => setTimeout(resolve, 20));
  const killedAt = performance.now();
  child.kill('SIGKILL');
  const releasedAt = await stamp(peer.released);
  return releasedAt - killedAt;
}

async function main() {
  const config = {
    ...loadConfig({ PORT: '0' }),
    iceInterfaceAddress: '127.0.0.1',
    // The synthetic client's video does not decode; teardown and detection do not depend on it.
    detector: 'off',
    videoInactivityMs: INACTIVITY_MS,
    audioInactivityMs: INACTIVITY_MS,
  };
  const server = await startServer({ config, logger: createLogger({ level: 'error', format: 'json', silent: true }) });

  const paths: Record<string, PathResult> = {
    rtcp_bye: { what: 'client sends RTCP BYE for both tracks -> client holds stream_closed', samples: [] },
    end_stream: { what: 'client sends {"type":"end_stream"} -> client holds stream_closed', samples: [] },
    transceiver_stopped: {
      what: 'client stops its video transceiver and renegotiates -> server ends the track (then audio BYE closes)',
      samples: [],
    },
    remote_pc_close: { what: 'client pc.close() (SCTP ABORT) -> server session Released', samples: [] },
    inactivity: { what: `last RTP packet -> Released, minus the ${INACTIVITY_MS} ms inactivity time`, samples: [] },
    sigkill: { what: `client process SIGKILLed -> Released, minus the ${INACTIVITY_MS} ms inactivity time`, samples: [] },
  };

  for (let run = 0; run < RUNS; run++) {
    {
      const { client, peer } = await connected(server);
      const sentAt = performance.now();
      client.stopVideo();
      client.stopAudio();
      paths.rtcp_bye!.samples.push((await stamp(client.waitForStreamClosed(5000))) - sentAt);
      await peer.released;
      await client.close();
    }
    {
      const { client, peer } = await connected(server);
      const sentAt = performance.now();
      client.sendMessage({ type: 'end_stream' });
      paths.end_stream!.samples.push((await stamp(client.waitForStreamClosed(5000))) - sentAt);
      await peer.released;
      await client.close();
    }
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
      paths.transceiver_stopped!.samples.push((await videoEnded) - stoppedAt);
      client.stopAudio();
      await peer.released;
      await client.close();
    }
    {
      const { client, peer } = await connected(server);
      const closedAt = performance.now();
      await client.close();
      paths.remote_pc_close!.samples.push((await stamp(peer.released)) - closedAt);
    }
    {
      const { client, peer } = await connected(server);
      const lastPacketAt = performance.now();
      client.stopVideo({ bye: false });
      client.stopAudio({ bye: false });
      paths.inactivity!.samples.push((await stamp(peer.released)) - lastPacketAt - INACTIVITY_MS);
      await client.close();
    }
    paths.sigkill!.samples.push((await killedClient(server)) - INACTIVITY_MS);
    process.stderr.write(`run ${run + 1}/${RUNS}\n`);
  }
  await server.close();

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    runs: RUNS,
    inactivity_ms: INACTIVITY_MS,
    paths: Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, { what: path.what, ...stats(path.samples) }])),
  };
  console.table(Object.entries(report.paths).map(([path, r]) => ({ path, median_ms: r.median_ms, p95_ms: r.p95_ms, max_ms: r.max_ms })));
  const file = join(__dirname, 'results', 'detection.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
