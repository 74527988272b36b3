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
 * - picture bombs (issue 23): a decoder that decoded the fixture's first 10 frames is sent 5
 *   frames claiming a huge picture (the 74-byte VP8 keyframe claiming 16383x16383 and its VP9,
 *   H264 and AV1 equivalents); RSS over the same decoder before them, sent straight to a decoder
 *   without a limit (what the server did before MAX_PICTURE_PIXELS), straight to a decoder with
 *   the limit (native: its own second line), and through the server's size check before decoding.
 * Each backend and codec is measured in a process of its own. Writes bench/results/decoder-memory.json
 * (BENCH_RESULTS_DIR to write elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readVideoFile } from '../client/videoFile';
import { DEFAULT_MAX_PICTURE_PIXELS } from '../src/limitsConfig';
import { checkPictureSizes } from '../src/media/bitstream/framePictures';
import { H264_BOMB, VP8_BOMB, VP9_BOMB, av1ClaimingSize } from '../test/fixtures/video/hostileFrames';
import { decoderBackend, type DecoderBackendName } from '../src/media/decode/videoDecoders';
import type { VideoCodecName } from '../src/media/decode/videoDecoder';
import { benchedDecoderBackends } from './decoderChoice';
import { runBench, writeResults } from './report';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 10);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const SAMPLE_EVERY = 100;
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'video');
const FILES = { VP8: 'vp8_red_square.ivf', VP9: 'vp9_red_square.ivf', H264: 'h264_red_square.h264' } as Record<VideoCodecName, string>;
const BOMB_FILES = { ...FILES, AV1: 'av1_red_square.ivf' } as Record<VideoCodecName, string>;
/** The 74-byte VP8 keyframe of the finding and its equivalents; for AV1 the fixture's key frame rewritten to claim 16384x16384 (dav1d rejects a made-up frame header before allocating). */
const BOMBS: Record<VideoCodecName, (keyframe: Buffer) => Buffer> = {
  VP8: () => VP8_BOMB,
  VP9: () => VP9_BOMB,
  H264: () => H264_BOMB,
  AV1: (keyframe) => av1ClaimingSize(keyframe, 16384, 16384),
};
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

/** RSS growth (MB) of one decoder sent 5 bombs after 10 real frames, `maxPixels` its own limit (0: none), `checked`: through the server's check first. */
async function bombGrowth(decoder: DecoderBackendName, codec: VideoCodecName, maxPixels: number, checked: boolean): Promise<number> {
  const frames = readVideoFile(join(FIXTURES, BOMB_FILES[codec])).frames;
  const bomb = BOMBS[codec](frames[0]!.data);
  const video = await decoderBackend(decoder).create(codec, maxPixels);
  for (const frame of frames.slice(0, 10)) video.decode(frame.data, frame.keyframe);
  const before = await settledRss();
  for (let i = 0; i < 5; i++) {
    if (checked && !checkPictureSizes(codec, bomb, DEFAULT_MAX_PICTURE_PIXELS).ok) continue;
    try {
      video.decode(bomb, true);
    } catch {}
  }
  const growth = mb((await settledRss()) - before);
  video.close();
  return growth;
}

async function measureBombs(decoder: DecoderBackendName, codec: VideoCodecName) {
  return {
    decoder,
    codec,
    uncheckedNoLimitMb: await bombGrowth(decoder, codec, 0, false),
    uncheckedDecoderLimitMb: decoder === 'native' ? await bombGrowth(decoder, codec, DEFAULT_MAX_PICTURE_PIXELS, false) : null,
    checkedMb: await bombGrowth(decoder, codec, DEFAULT_MAX_PICTURE_PIXELS, true),
  };
}

type BombResult = Awaited<ReturnType<typeof measureBombs>>;

type CodecResult = Awaited<ReturnType<typeof measureCodec>>;

/** Each codec in a process of its own, so one codec's leftovers do not count against the next. */
function measureInChild<T = CodecResult>(decoder: DecoderBackendName, codec: VideoCodecName, bombs = false): T {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, BENCH_CODEC: codec, BENCH_DECODER: decoder, BENCH_BOMBS: bombs ? '1' : '' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
  if (child.status !== 0 || !line) throw new Error(`the ${decoder} ${codec} measurement failed (exit ${child.status})`);
  return JSON.parse(line) as T;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (npm run bench:decoder-memory)');
  const only = process.env.BENCH_CODEC as VideoCodecName | undefined;
  if (only) {
    const decoder = process.env.BENCH_DECODER as DecoderBackendName;
    console.log(JSON.stringify(process.env.BENCH_BOMBS ? await measureBombs(decoder, only) : await measureCodec(decoder, only)));
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
  const bombs: BombResult[] = [];
  for (const decoder of benchedDecoderBackends()) {
    for (const codec of decoderBackend(decoder).videoCodecs) bombs.push(measureInChild<BombResult>(decoder, codec, true));
  }
  console.log('\n| decoder | codec | RSS growth, 5 bombs, no limit (MB) | decoder\'s own limit (MB) | server\'s check first (MB) |');
  console.log('|---|---|---|---|---|');
  for (const r of bombs) console.log(`| ${r.decoder} | ${r.codec} | ${r.uncheckedNoLimitMb} | ${r.uncheckedDecoderLimitMb ?? 'none'} | ${r.checkedMb} |`);
  writeResults('decoder-memory', { node: process.version, streams: STREAMS, cycles: CYCLES, results, bombs });
}

runBench(main);
