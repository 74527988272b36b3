/**
 * What a WHIP client's network change costs: an ICE restart with PATCH (RFC 9725 section 4.3)
 * against what a client without it had to do, a new session (DELETE, POST /whip, connect). A
 * werift publisher streams 30 frames a second to the real server on loopback (connections on
 * the main thread, so that the counters read are exact, not a media worker's 100 ms reports).
 * Each run measures from the moment the client decides to move to the first frame the server
 * counts after it (the media gap as the server sees it, so up to one frame interval, 33 ms, of
 * it is waiting for the next frame), and for the restart the PATCH round trip. The variants
 * take turns run by run. The new session also loses the old one's counters and tracks, which
 * the restart keeps. Prints a table (median, p95 by nearest rank, max), writes
 * bench/results/ice-restart.json. BENCH_RUNS (runs per variant, default 30), BENCH_RESULTS_DIR.
 */
import { startLoopbackServer, type LoopbackServer } from '../test/helpers/loopbackServer';
import { measure } from '../test/helpers/stats';
import { applyAnswer, applyRestartAnswer, createPublisher, postWhip, restartIceOffer, type WhipPublisher } from '../test/helpers/whipPublisher';
import { videoTimestampStepForFps } from '../client/syntheticMedia';
import { runBench, writeResults } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = 3;

interface Streaming {
  publisher: WhipPublisher;
  sessionId: string;
  stop(): void;
}

async function startStreaming(server: LoopbackServer): Promise<Streaming> {
  const publisher = await createPublisher();
  const response = await postWhip(server.url, publisher.offerSdp);
  if (response.status !== 201) throw new Error(`POST /whip answered ${response.status}`);
  const sessionId = (response.headers.get('location') ?? '').slice('/whip/'.length);
  await applyAnswer(publisher, await response.text());
  const step = videoTimestampStepForFps(30);
  const timer = setInterval(() => {
    for (const packet of publisher.video.source.nextFrame(2, step)) publisher.video.track.writeRtp(packet);
  }, 33);
  return { publisher, sessionId, stop: () => clearInterval(timer) };
}

const frames = (server: LoopbackServer, sessionId: string) => server.manager.view(sessionId)?.counters.frames_received ?? 0;

/** Resolves when the server has counted a frame more than `after` for the session: the media flows again. */
async function nextFrame(server: LoopbackServer, sessionId: string, after: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (frames(server, sessionId) <= after) {
    if (performance.now() > deadline) throw new Error('no frame within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function end(server: LoopbackServer, streaming: Streaming): Promise<void> {
  streaming.stop();
  await fetch(`${server.url}/whip/${streaming.sessionId}`, { method: 'DELETE' });
  await streaming.publisher.pc.close();
}

async function restartRun(server: LoopbackServer): Promise<{ gapMs: number; patchMs: number }> {
  const streaming = await startStreaming(server);
  try {
    await nextFrame(server, streaming.sessionId, 5);
    const counted = frames(server, streaming.sessionId);
    const started = performance.now();
    const fragment = await restartIceOffer(streaming.publisher);
    const sent = performance.now();
    const response = await fetch(`${server.url}/whip/${streaming.sessionId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: fragment,
    });
    const body = await response.text();
    const patchMs = performance.now() - sent;
    if (response.status !== 200) throw new Error(`PATCH answered ${response.status}`);
    await applyRestartAnswer(streaming.publisher, body);
    // Frames sent meanwhile may still be counted: wait for the new ICE session to carry one.
    const [ice] = streaming.publisher.pc.iceTransports;
    while (ice?.connection.nominated === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
    await nextFrame(server, streaming.sessionId, Math.max(counted, frames(server, streaming.sessionId)));
    return { gapMs: performance.now() - started, patchMs };
  } finally {
    await end(server, streaming);
  }
}

async function newSessionRun(server: LoopbackServer): Promise<{ gapMs: number }> {
  const first = await startStreaming(server);
  await nextFrame(server, first.sessionId, 5);
  const started = performance.now();
  await end(server, first);
  const second = await startStreaming(server);
  try {
    await nextFrame(server, second.sessionId, 0);
    return { gapMs: performance.now() - started };
  } finally {
    await end(server, second);
  }
}

async function main(): Promise<void> {
  const server = await startLoopbackServer({ config: { mediaWorkers: 0, videoInactivityMs: 60_000, audioInactivityMs: 60_000 }, logLevel: 'warn' });
  const restart = { gap: [] as number[], patch: [] as number[] };
  const fresh: number[] = [];
  try {
    for (let round = 0; round < WARMUP + RUNS; round++) {
      const a = await restartRun(server);
      const b = await newSessionRun(server);
      if (round < WARMUP) continue;
      restart.gap.push(a.gapMs);
      restart.patch.push(a.patchMs);
      fresh.push(b.gapMs);
      if ((round + 1 - WARMUP) % 10 === 0) process.stderr.write(`${round + 1 - WARMUP} runs per variant\n`);
    }
  } finally {
    await server.close();
  }
  const rows = {
    restart_media_gap_ms: measure(restart.gap, 2),
    restart_patch_round_trip_ms: measure(restart.patch, 2),
    new_session_media_gap_ms: measure(fresh, 2),
  };
  console.table(Object.entries(rows).map(([what, { n, median, p95, max }]) => ({ what, n, median, p95, max })));
  writeResults('ice-restart', { date: new Date().toISOString(), node: process.version, runs_per_variant: RUNS, warmup_per_variant: WARMUP, rows });
}

runBench(main);
