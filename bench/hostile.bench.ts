/**
 * `npm run bench:hostile`: legitimate sessions beside a hostile load, against the same load
 * without it, in the same run.
 *
 * Each run starts this server twice in a child process (bench/serverUnderLoad.ts), on an ICE port
 * range, and streams K legitimate sessions into it with the aiortc load generator (640x480 30 fps
 * VP8 + Opus): once alone, once while the attacks of bench/hostile/attacks.ts run beside it:
 * junk datagrams sprayed at the whole port range from a socket with no session, offers built to
 * break the SDP budgets, a WHIP session PATCHing floods of candidates at a 'victim' socket, a
 * session sending VP8 keyframes that claim 16383x16383, one sending a frame that never ends, and
 * a data channel flooded with junk and oversized messages.
 *
 * Reported per run and mode: legitimate sessions with a summary / K (target 100%), worker deaths
 * (target 0), peak RSS, event-loop delay p99 of each thread over the load (main and each media
 * worker), frames the server counted per frame sent, what each attack sent and got back (the
 * victim socket's datagrams: the reflection the server could be made to do), and the server's
 * input_refused_total by resource. Writes bench/results/hostile.json.
 *
 * BENCH_K / --k (20), BENCH_SECONDS / --seconds (10), BENCH_RUNS / --runs (2). The per-address
 * HTTP rate limits and MAX_HALF_OPEN_SESSIONS_PER_ADDRESS are raised for both modes: every
 * client here shares 127.0.0.1, and the limits under test are the ones behind them.
 */
import { parseArgs } from 'node:util';
import { requireAiortc } from '../test/foreign/aiortcClient';
import { summarize } from '../test/helpers/stats';
import { prepareClip } from './aiortc/loadGenerator';
import { badOffers, candidateFlood, dataChannelFlood, endlessFrame, pictureBomb, udpSpray, type Attack } from './hostile/attacks';
import { runBench, writeResults } from './report';
import type { ServerProcess } from './serverProcess';
import { aiortcVersion, measure, ratio, round, type Measurement } from './serverUnderLoad';

const { values: argv } = parseArgs({ options: { k: { type: 'string' }, seconds: { type: 'string' }, runs: { type: 'string' } } });
const K = Number(argv.k ?? process.env.BENCH_K ?? 20);
const SECONDS = Number(argv.seconds ?? process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(argv.runs ?? process.env.BENCH_RUNS ?? 2);
const PORTS: [number, number] = [41000, 41299];

const SERVER_ENV: Record<string, string> = {
  ICE_PORT_RANGE: `${PORTS[0]}-${PORTS[1]}`,
  ICE_INTERFACE_ADDRESS: '127.0.0.1',
  RATE_LIMIT_OFFERS_PER_MINUTE: '100000',
  RATE_LIMIT_ICE_UPDATES_PER_MINUTE: '100000',
  RATE_LIMIT_DELETES_PER_MINUTE: '100000',
  MAX_HALF_OPEN_SESSIONS_PER_ADDRESS: '100000',
};

type Mode = 'alone' | 'hostile';

/** The server's input_refused_total by resource, read before it stops. */
async function refusedByResource(server: ServerProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const refused: Record<string, number> = {};
  for (const match of text.matchAll(/^input_refused_total\{resource="([^"]+)"\} (\S+)$/gm)) refused[match[1]!] = Number(match[2]);
  return refused;
}

/** Every attack, started against `server`; stopping them reports each one's numbers and the server's refusals. */
async function attack(server: ServerProcess) {
  const headers: Record<string, string> = {};
  const attacks: Attack[] = [udpSpray(PORTS, 4000), badOffers(server.url, headers, 250)];
  const failedToStart: Record<string, number> = {};
  for (const [name, start] of [
    ['candidate_flood', () => candidateFlood(server.url, headers, 500, 1000)],
    ['picture_bomb', () => pictureBomb(server.url, headers, 100)],
    ['endless_frame', () => endlessFrame(server.url, headers, 200, 20)],
    ['data_channel_flood', () => dataChannelFlood(server.url, headers, 50, 20)],
  ] as const) {
    try {
      attacks.push(await start());
    } catch (error) {
      console.error(`${name} did not start: ${(error as Error).message}`);
      failedToStart[name] = 1;
    }
  }
  return {
    async stop() {
      const report: Record<string, Record<string, number>> = {};
      for (const one of attacks) report[one.name] = await one.stop();
      report.failed_to_start = failedToStart;
      report.input_refused_total = await refusedByResource(server);
      return report;
    },
  };
}

interface Row {
  mode: Mode;
  run: number;
  k: number;
  summaries_per_session: number | null;
  worker_deaths: number | null;
  rss_before_mb: number;
  peak_rss_mb: number;
  event_loop_delay_p99_ms: Record<string, number> | null;
  frames_received_per_sent: number | null;
  cpu_seconds: number;
  failures: number;
}

function row(mode: Mode, m: Measurement): Row {
  return {
    mode,
    run: m.run,
    k: m.k,
    summaries_per_session: ratio(m.summaries, m.k),
    worker_deaths: m.worker_deaths,
    rss_before_mb: m.rss_before_mb,
    peak_rss_mb: m.peak_rss_mb,
    event_loop_delay_p99_ms: m.event_loop_delay_p99_ms,
    frames_received_per_sent: ratio(m.frames_received, m.video_frames_sent_summarised),
    cpu_seconds: m.cpu_seconds,
    failures: m.failures.length,
  };
}

function table(rows: Row[]): string {
  const lines = [
    '| mode | run | summaries / K | worker deaths | RSS before → peak MB | event-loop p99 ms (main, media workers) | frames received / sent | CPU-s |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const delays = r.event_loop_delay_p99_ms ? Object.entries(r.event_loop_delay_p99_ms).map(([thread, ms]) => `${thread} ${ms}`).join(', ') : '-';
    const share = r.summaries_per_session === null ? '-' : `${round(r.summaries_per_session * 100, 1)}%`;
    lines.push(`| ${r.mode} | ${r.run} | ${share} | ${r.worker_deaths ?? '-'} | ${r.rss_before_mb} → ${r.peak_rss_mb} | ${delays} | ${r.frames_received_per_sent ?? '-'} | ${r.cpu_seconds} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  requireAiortc();
  await prepareClip();
  const measurements: Array<{ mode: Mode; measurement: Measurement }> = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const mode of ['alone', 'hostile'] as const) {
      console.log(`run ${run}: K=${K}, ${mode}`);
      const measurement = await measure('this', K, run, { seconds: SECONDS, idleAfterMs: 3000, env: SERVER_ENV, alongside: mode === 'hostile' ? attack : undefined });
      measurements.push({ mode, measurement });
      console.log(JSON.stringify(row(mode, measurement)));
      if (measurement.alongside) console.log(JSON.stringify(measurement.alongside));
    }
  }
  const rows = measurements.map(({ mode, measurement }) => row(mode, measurement));
  const peak = (mode: Mode) => summarize(rows.filter((r) => r.mode === mode).map((r) => r.peak_rss_mb), 1);
  console.log(table(rows));
  writeResults('hostile', {
    k: K,
    seconds: SECONDS,
    runs: RUNS,
    aiortc: aiortcVersion(),
    server_env: SERVER_ENV,
    peak_rss_mb: { alone: peak('alone'), hostile: peak('hostile') },
    rows,
    table: table(rows),
    measurements,
  });
}

runBench(main);
