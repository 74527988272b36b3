/**
 * Cost per video frame of each pipeline stage, on the fixture files (640x480, 30 fps, a red
 * square on noisy grey):
 * - assembly: reorder buffer + frame assembly + depacketizing, on the main thread;
 * - decoding: each decoder backend the server can run (DECODER: native when built, and wasm),
 *   for VP8, VP9 and H264, in this thread;
 * - detection: the colour-region detector on the decoded picture;
 * - worker round trip: decode + detect through the worker pool, as a session sees it;
 * - pool throughput: frames per second with one stream per worker thread, and frames analysed
 *   per CPU-second of the whole process (process.cpuUsage(): every thread, the workers' decoding
 *   and detection, the main thread's share and the garbage collector), per codec and backend
 *   (BENCH_DECODERS=native,wasm by default: each that loads here);
 * - audio: decoding a 20 ms Opus packet (a tone) and measuring its level, with each backend's level meter (libopus native or wasm);
 * - ONNX preprocessing: a 320x240 and a 640x480 picture into 320x320 and 640x640 model inputs,
 *   letterboxed and stretched (bilinear resize, YUV to RGB, 0..1, NCHW), per frame, in this thread.
 * Prints a table (median, p95 by nearest rank, max: test/helpers/stats.ts), writes
 * bench/results/pipeline.json with every value. BENCH_PASSES (default 5), BENCH_RESULTS_DIR
 * (write elsewhere, for a trial run).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { VideoRtpPacketizer } from '../client/rtpPacketizers';
import { readVideoFile, type VideoFile } from '../client/videoFile';
import { createLogger } from '../src/logger';
import { FrameWorkerPool } from '../src/media/decode/frameWorkerPool';
import type { VideoDecoder } from '../src/media/decode/videoDecoder';
import { decoderBackend, type DecoderBackend, type DecoderBackendName } from '../src/media/decode/videoDecoders';
import { toTensor, type InputSpec } from '../src/media/detectors/onnx/preprocess';
import { createDetector } from '../src/media/detectors/registry';
import { FrameAssembler, type AssembledFrame } from '../src/media/frameAssembler';
import { paintRect, solidI420, type I420Frame } from '../src/media/i420Frame';
import { ReorderBuffer } from '../src/media/reorderBuffer';
import type { RtpLike } from '../src/media/rtp';
import { depacketize } from '../src/media/videoFrame';
import { encodeOpusTone } from '../test/helpers/opusTone';
import { measure, type Summary } from '../test/helpers/stats';
import { benchedDecoderBackends } from './decoderChoice';
import { runBench, writeResults } from './report';

const PASSES = Number(process.env.BENCH_PASSES ?? 5);
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'video');
const FILES = { VP8: 'vp8_red_square.ivf', VP9: 'vp9_red_square.ivf', H264: 'h264_red_square.h264' } as const;
/** What each backend runs for each codec. */
const DECODERS: Record<DecoderBackendName, Record<keyof typeof FILES, string>> = {
  native: { VP8: 'libvpx, native', VP9: 'libvpx-vp9, native', H264: 'OpenH264, native' },
  wasm: { VP8: 'libvpx, wasm (@libav.js/variant-webm-vp9)', VP9: 'libvpx-vp9, wasm (@libav.js/variant-webm-vp9)', H264: 'h264bsd, wasm (h264decoder)' },
};


/** Per-frame time of reorder + assembly + depacketizing, for every frame of the file, PASSES times. */
function assemblyCost(file: VideoFile): number[] {
  const packetizer = new VideoRtpPacketizer(file.codec, () => 96);
  const times: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    for (const frame of file.frames) {
      const packets = packetizer.packetize(frame.data, 3000) as unknown as RtpLike[];
      let assembled: AssembledFrame | null = null;
      const assembler = new FrameAssembler((done) => (assembled = done));
      const reorder = new ReorderBuffer((packet: RtpLike) => assembler.push(packet), { maxHeldPackets: 256, maxWaitTicks: 9000 });
      const started = performance.now();
      for (const packet of packets) reorder.push(packet);
      depacketize(assembled!, file.codec);
      times.push(performance.now() - started);
    }
  }
  return times;
}

/** Decoding and detection times per frame in this thread. */
async function decodeAndDetectCost(backend: DecoderBackend, file: VideoFile) {
  const detector = createDetector('colour-region');
  const decodeTimes: number[] = [];
  const detectTimes: number[] = [];
  let detections = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const decoder: VideoDecoder = await backend.create(file.codec);
    for (const frame of file.frames) {
      let started = performance.now();
      const picture: I420Frame | null = decoder.decode(frame.data, frame.keyframe);
      decodeTimes.push(performance.now() - started);
      if (!picture) continue;
      started = performance.now();
      // colour-region is synchronous: the time is the detection's, not a wait.
      const found = detector.detect(picture);
      detectTimes.push(performance.now() - started);
      detections += (await found).length;
    }
    decoder.close();
  }
  return { decodeTimes, detectTimes, detections };
}

async function workerRoundTrip(pool: FrameWorkerPool, file: VideoFile): Promise<number[]> {
  const times: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const stream = pool.openStream(file.codec, () => {});
    for (const frame of file.frames) {
      const started = performance.now();
      await stream.decodeAndDetect(frame.data, frame.keyframe);
      times.push(performance.now() - started);
    }
    stream.close();
  }
  return times;
}

/** What analysing frames cost the whole process in CPU time. */
interface CpuCost {
  /** Frames the detector looked at (the decoder gave a picture). */
  frames_analysed: number;
  /** User + system time of every thread of the process over the run. */
  cpu_seconds: number;
  wall_seconds: number;
  frames_analysed_per_cpu_second: number;
  /** cpu_seconds / wall_seconds: how many cores the run kept busy. */
  cores_busy: number;
}

/**
 * Frames per second the pool gets through with one stream per worker, all at once, and the
 * frames analysed per CPU-second over the same run. Each stream's decoder is made and has
 * decoded the first keyframe before the clocks start: the cost of a frame, not of a decoder.
 */
async function poolThroughput(pool: FrameWorkerPool, file: VideoFile): Promise<{ framesPerSecond: number; cpu: CpuCost }> {
  const streams = Array.from({ length: pool.size }, () => pool.openStream(file.codec, () => {}));
  const first = file.frames[0]!;
  await Promise.all(streams.map((stream) => stream.decodeAndDetect(first.data, first.keyframe)));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let analysed = 0;
  await Promise.all(
    streams.map(async (stream) => {
      for (let pass = 0; pass < PASSES; pass++) {
        for (const frame of file.frames) {
          if ((await stream.decodeAndDetect(frame.data, frame.keyframe)).picture) analysed++;
        }
      }
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpuBefore);
  streams.forEach((stream) => stream.close());
  const cpuSeconds = (user + system) / 1e6;
  const frames = pool.size * PASSES * file.frames.length;
  return {
    framesPerSecond: Math.round(frames / wallSeconds),
    cpu: {
      frames_analysed: analysed,
      cpu_seconds: round(cpuSeconds, 3),
      wall_seconds: round(wallSeconds, 3),
      frames_analysed_per_cpu_second: Math.round(analysed / cpuSeconds),
      cores_busy: round(cpuSeconds / wallSeconds, 2),
    },
  };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Per-packet time of decoding 20 ms of Opus and measuring its RMS level, with a backend's level meter. */
async function audioCost(backend: DecoderBackend): Promise<number[]> {
  const packets = await encodeOpusTone(250);
  const meter = await backend.createOpusLevelMeter();
  const times: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    for (const packet of packets) {
      const started = performance.now();
      meter.level(packet);
      times.push(performance.now() - started);
    }
  }
  meter.close();
  return times;
}

/** Per-frame time of turning a picture into an ONNX model's input tensor (the output buffer reused, as the detector does). */
function preprocessCost(picture: I420Frame, spec: InputSpec): number[] {
  const out = new Float32Array(spec.width * spec.height * 3);
  for (let warmup = 0; warmup < 20; warmup++) toTensor(picture, spec, out);
  const times: number[] = [];
  for (let run = 0; run < PASSES * 60; run++) {
    const started = performance.now();
    toTensor(picture, spec, out);
    times.push(performance.now() - started);
  }
  return times;
}

function measurePreprocessing(results: Record<string, unknown>): void {
  for (const [width, height] of [[320, 240], [640, 480]] as const) {
    const picture = paintRect(solidI420(width, height, [128, 128, 128]), width / 4, height / 4, width / 4, height / 4, [255, 0, 0]);
    for (const size of [320, 640]) {
      for (const resize of ['letterbox', 'stretch'] as const) {
        const spec: InputSpec = { width: size, height: size, layout: 'nchw', channels: 'rgb', resize, normalize: { kind: 'unit' } };
        results[`ONNX preprocess ${width}x${height} -> ${size}x${size} ${resize}`] = {
          picture: `${width}x${height}`,
          input: `${size}x${size}`,
          resize,
          preprocess_ms: measure(preprocessCost(picture, spec), 3),
        };
      }
    }
  }
}

async function main() {
  const logger = createLogger({ level: 'error', format: 'json', console: false });
  const results: Record<string, unknown> = {};
  measurePreprocessing(results);
  for (const backend of benchedDecoderBackends().map(decoderBackend)) {
    const pool = new FrameWorkerPool({ decoder: backend.name, detector: 'colour-region', detectorOptions: {}, jobTimeoutMs: 5000, size: availableParallelism(), logger });
    try {
      await measureBackend(backend, pool, results);
    } finally {
      await pool.close();
    }
    results[`OPUS ${backend.name}`] = { audio_decode_and_level_ms: measure(await audioCost(backend), 3) };
  }
  report(results);
}

async function measureBackend(backend: DecoderBackend, pool: FrameWorkerPool, results: Record<string, unknown>): Promise<void> {
  for (const [codec, name] of Object.entries(FILES) as Array<[keyof typeof FILES, string]>) {
    const file = readVideoFile(join(FIXTURES, name));
    const assembly = assemblyCost(file);
    const { decodeTimes, detectTimes, detections } = await decodeAndDetectCost(backend, file);
    const roundTrip = await workerRoundTrip(pool, file);
    const throughput = await poolThroughput(pool, file);
    results[`${codec} ${backend.name}`] = {
      file: name,
      decoder: backend.name,
      backend: DECODERS[backend.name][codec],
      frames_per_pass: file.frames.length,
      assembly_ms: measure(assembly, 3),
      decoding_ms: measure(decodeTimes, 3),
      detection_ms: measure(detectTimes, 3),
      worker_round_trip_ms: measure(roundTrip, 3),
      pool_frames_per_second: throughput.framesPerSecond,
      pool_cpu: throughput.cpu,
      detections_per_frame: detections / detectTimes.length,
    };
  }
}

function report(results: Record<string, unknown>): void {
  const report = { date: new Date().toISOString(), node: process.version, cores: availableParallelism(), passes: PASSES, results };
  console.table(
    Object.entries(results).flatMap(([codec, result]) =>
      Object.entries(result as Record<string, unknown>)
        .filter((entry): entry is [string, Summary] => typeof entry[1] === 'object' && entry[1] !== null && 'median' in entry[1])
        .map(([stage, value]) => ({ codec, stage, n: value.n, median: value.median, p95: value.p95, max: value.max })),
    ),
  );
  const video = Object.entries(results).filter(([, result]) => typeof result === 'object' && result !== null && 'pool_cpu' in result) as Array<
    [string, { backend: string; pool_frames_per_second: number; pool_cpu: CpuCost }]
  >;
  console.log(`Pool, ${availableParallelism()} workers, one stream each:`);
  console.table(
    video.map(([codec, { backend, pool_frames_per_second, pool_cpu }]) => ({
      codec,
      backend,
      'frames/s': pool_frames_per_second,
      'frames analysed': pool_cpu.frames_analysed,
      'CPU s': pool_cpu.cpu_seconds,
      'frames analysed per CPU-s': pool_cpu.frames_analysed_per_cpu_second,
      'cores busy': pool_cpu.cores_busy,
    })),
  );
  writeResults('pipeline', report);
}

runBench(main);
