/**
 * Memory of the video decoders, per decoder backend (BENCH_DECODERS, default native,wasm: each
 * that loads here) and codec, in this process (run with --expose-gc; the script
 * `npm run bench:decoder-memory` does):
 * - per stream: resident memory (RSS) with BENCH_STREAMS decoders open, each having decoded
 *   the fixture's first 30 frames, over the baseline (after one decoder was opened and closed,
 *   so the codec's code is loaded), divided by the number of streams; and RSS once they are
 *   closed, over the same baseline: what a burst of sessions leaves behind;
 * - open/close cycles: BENCH_CYCLES times (default 1000) a decoder is opened, decodes the
 *   keyframe and 4 more frames, and is closed; RSS is sampled every 100 cycles after a GC.
 *   "flat" compares the last sample with the first one after warm-up (cycle 100).
 * Each backend and codec is measured in a process of its own. Writes bench/results/decoder-memory.json
 * (BENCH_RESULTS_DIR to write elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readVideoFile } from '../src/client/videoFile';
import { decoderBackend, type DecoderBackendName } from '../src/media/decode/videoDecoders';
import type { VideoCodecName } from '../src/media/decode/videoDecoder';
import { benchedDecoderBackends } from './decoderChoice';
import { runBench, writeResults } from './report';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 10);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const SAMPLE_EVERY = 100;
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'video');
const FILES = { VP8: 'vp8_red_square.ivf', VP9: 'vp9_red_square.ivf', H264: 'h264_red_square.h264' } as Record<VideoCodecName, string>;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().rss;
}

const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

async function measureCodec(decoder: DecoderBackendName, codec: VideoCodecName) {
  const createVideoDecoder = (name: VideoCodecName) => decoderBackend(decoder).create(name);
  const frames = readVideoFile(join(FIXTURES, FILES[codec])).frames;
  // Warm-up: the first decoder compiles the codec's code (wasm module, JS) once per process;
  // that is not per stream, and it stays.
  const warmUp = await createVideoDecoder(codec);
  warmUp.decode(frames[0]!.data, true);
  warmUp.close();
  const baseline = await settledRss();
  const decoders = await Promise.all(Array.from({ length: STREAMS }, () => createVideoDecoder(codec)));
  for (const decoder of decoders) for (const frame of frames.slice(0, 30)) decoder.decode(frame.data, frame.keyframe);
  const open = await settledRss();
  for (const decoder of decoders) decoder.close();
  decoders.length = 0;
  const closed = await settledRss();

  const samples: Array<{ cycle: number; rssMb: number }> = [];
  const started = Date.now();
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const decoder = await createVideoDecoder(codec);
    for (const frame of frames.slice(0, 5)) decoder.decode(frame.data, frame.keyframe);
    decoder.close();
    if (cycle % SAMPLE_EVERY === 0) samples.push({ cycle, rssMb: mb(await settledRss()) });
  }
  const warm = samples[0]?.rssMb ?? 0;
  const last = samples.at(-1)?.rssMb ?? 0;
  return {
    decoder,
    codec,
    streams: STREAMS,
    baselineRssMb: mb(baseline),
    perStreamRssMb: mb((open - baseline) / STREAMS),
    afterCloseRssMb: mb(closed),
    afterCloseOverBaselineMb: mb(closed - baseline),
    cycles: CYCLES,
    cyclesSeconds: Math.round((Date.now() - started) / 100) / 10,
    rssSamplesMb: samples.map((sample) => sample.rssMb),
    growthAfterWarmUpPercent: warm > 0 ? Math.round(((last - warm) / warm) * 1000) / 10 : null,
  };
}

type CodecResult = Awaited<ReturnType<typeof measureCodec>>;

/** Each codec in a process of its own, so one codec's leftovers do not count against the next. */
function measureInChild(decoder: DecoderBackendName, codec: VideoCodecName): CodecResult {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, BENCH_CODEC: codec, BENCH_DECODER: decoder },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
  if (child.status !== 0 || !line) throw new Error(`the ${decoder} ${codec} measurement failed (exit ${child.status})`);
  return JSON.parse(line) as CodecResult;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (npm run bench:decoder-memory)');
  const only = process.env.BENCH_CODEC as VideoCodecName | undefined;
  if (only) {
    console.log(JSON.stringify(await measureCodec(process.env.BENCH_DECODER as DecoderBackendName, only)));
    return;
  }
  const results: CodecResult[] = [];
  for (const decoder of benchedDecoderBackends()) {
    for (const codec of Object.keys(FILES) as VideoCodecName[]) {
      const result = measureInChild(decoder, codec);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  console.log('\n| decoder | codec | RSS per open stream (MB) | RSS after closing them, over baseline (MB) | cycles | RSS after cycle 100 -> last (MB) | growth |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.decoder} | ${r.codec} | ${r.perStreamRssMb} | ${r.afterCloseOverBaselineMb} | ${r.cycles} | ${r.rssSamplesMb[0]} -> ${r.rssSamplesMb.at(-1)} | ${r.growthAfterWarmUpPercent}% |`);
  }
  writeResults('decoder-memory', { node: process.version, streams: STREAMS, cycles: CYCLES, results });
}

runBench(main);
