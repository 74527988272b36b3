/**
 * How fast a model of a given size runs here with DETECTOR=onnx: models built by the suite
 * (test/helpers/onnxModels.ts) through the onnx detector itself (preprocessing from a 640x480
 * I420 picture, ONNX Runtime on the CPU with one thread as each frame worker uses, decoding the
 * mask into regions), one frame at a time on this thread. Per model: milliseconds per frame
 * (median and p95 by nearest rank) and frames per CPU-second (process CPU time, all threads).
 * Prints a table, writes bench/results/onnx.json. BENCH_FRAMES (per model, default 60),
 * BENCH_RESULTS_DIR (write elsewhere, for a trial run).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDetector } from '../src/media/detectors/registry';
import { convStackModel, convStackParameters, redMaskModel } from '../test/helpers/onnxModels';
import { frameWith, GREY, RED } from '../test/media/detectors/syntheticFrames';
import { measure } from '../test/helpers/stats';
import { runBench, writeResults } from './report';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 60);
const WARMUP = 5;

interface ModelCase {
  name: string;
  bytes: Uint8Array;
  input: string;
  parameters: number;
}

function cases(): ModelCase[] {
  const conv = (side: number, channels: number, layers: number): ModelCase => ({
    name: `conv ${layers}x${channels}ch`,
    bytes: convStackModel({ width: side, height: side, channels, layers }),
    input: `${side}x${side}`,
    parameters: convStackParameters({ channels, layers }),
  });
  return [
    { name: 'red mask (per-pixel)', bytes: redMaskModel({ width: 320, height: 320 }), input: '320x320', parameters: 0 },
    { name: 'red mask (per-pixel)', bytes: redMaskModel({ width: 640, height: 640 }), input: '640x640', parameters: 0 },
    conv(320, 8, 4),
    conv(320, 16, 6),
    conv(320, 32, 8),
    conv(640, 16, 6),
  ];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-bench-'));
  const picture = frameWith(640, 480, GREY, [[384, 96, 160, 160], RED]);
  const rows = [];
  try {
    for (const [index, model] of cases().entries()) {
      const path = join(dir, `model-${index}.onnx`);
      writeFileSync(path, model.bytes);
      const rssBefore = process.memoryUsage().rss;
      const detector = createDetector('onnx', { model: path, output: 'mask', resize: 'letterbox' });
      await detector.ready;
      const rssLoaded = process.memoryUsage().rss;
      for (let i = 0; i < WARMUP; i++) await detector.detect(picture);
      const times: number[] = [];
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < FRAMES; i++) {
        const started = performance.now();
        await detector.detect(picture);
        times.push(performance.now() - started);
      }
      const cpu = process.cpuUsage(cpuBefore);
      const rssAfter = process.memoryUsage().rss;
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      rows.push({
        model: model.name,
        input: model.input,
        parameters: model.parameters,
        file_kb: Math.round(model.bytes.length / 1024),
        // Multiply-adds of the 3x3 convolutions: each weight once per output pixel.
        gmac_per_frame: Math.round(((model.parameters * Number(model.input.split('x')[0]) ** 2) / 1e9) * 1000) / 1000,
        ms_per_frame: measure(times, 2),
        frames_per_cpu_second: Math.round((FRAMES / cpuSeconds) * 10) / 10,
        // The session's memory (ONNX Runtime's, outside the JS heap) and what the frames added.
        rss_mb_model_loaded: Math.round(((rssLoaded - rssBefore) / 2 ** 20) * 10) / 10,
        rss_mb_after_frames: Math.round(((rssAfter - rssLoaded) / 2 ** 20) * 10) / 10,
      });
      process.stderr.write(`${model.name} ${model.input}: done\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows.map((row) => ({ model: row.model, input: row.input, parameters: row.parameters, file_kb: row.file_kb, gmac: row.gmac_per_frame, n: row.ms_per_frame.n, median_ms: row.ms_per_frame.median, p95_ms: row.ms_per_frame.p95, frames_per_cpu_s: row.frames_per_cpu_second, rss_load_mb: row.rss_mb_model_loaded, rss_frames_mb: row.rss_mb_after_frames })));
  writeResults('onnx', { date: new Date().toISOString(), node: process.version, frames_per_model: FRAMES, picture: '640x480 I420', threads: 1, rows });
}

runBench(main);
