/**
 * Tables of the media benches: cost per frame (`bench:pipeline`), decoder memory
 * (`bench:decoder-memory`), analysis under load beside the aiortc server (`bench:analysis`) and
 * models through the onnx detector (`bench:onnx`).
 */
import { fixed, num, percent, results, table, thousands, type Stat } from './format';

/** Milliseconds: two decimals below 10, three significant digits above. */
const ms = (value: number) => (value < 10 ? fixed(value, 2) : String(Number(value.toPrecision(3))));
const triple = (s: Stat) => `${ms(s.median!)} / ${ms(s.p95!)} / ${ms(s.max!)} ms`;

interface PipelineCodec {
  decoder: 'native' | 'wasm';
  assembly_ms: Stat;
  decoding_ms: Stat;
  detection_ms: Stat;
  worker_round_trip_ms: Stat;
  backend: string;
  pool_frames_per_second: number;
  pool_cpu: { frames_analysed: number; cpu_seconds: number; frames_analysed_per_cpu_second: number; cores_busy: number };
}

const CODECS = ['VP8', 'VP9', 'H264'] as const;

function pipeline(): Record<string, PipelineCodec> {
  return results<{ results: Record<string, PipelineCodec> }>('pipeline.json').results;
}

/** Per stage and codec: median / p95 / max of the frames of every pass. */
export function pipelineStages(): string {
  const runs = pipeline();
  const row = (label: string, decoder: 'native' | 'wasm', pick: (c: PipelineCodec) => Stat, strong = false) => [
    label,
    ...CODECS.map((codec) => {
      const cell = triple(pick(runs[`${codec} ${decoder}`]!));
      return strong ? `**${cell}**` : cell;
    }),
  ];
  return table(
    ['stage', ...CODECS],
    [
      row('assembly (reorder, frame, depacketize; main thread)', 'native', (c) => c.assembly_ms),
      row('decoding, **native** (libvpx, OpenH264)', 'native', (c) => c.decoding_ms, true),
      row('decoding, wasm (libvpx, h264bsd)', 'wasm', (c) => c.decoding_ms),
      row('detection (colour-region)', 'native', (c) => c.detection_ms),
      row('worker round trip (decode + detect, as a session sees it), native', 'native', (c) => c.worker_round_trip_ms),
      row('worker round trip, wasm', 'wasm', (c) => c.worker_round_trip_ms),
    ],
  );
}

/** The pool run per codec and backend: frames analysed per CPU-second of the whole process. */
export function pipelinePool(): string {
  const runs = pipeline();
  const lines = (['native', 'wasm'] as const).flatMap((decoder) =>
    CODECS.map((codec) => {
      const c = runs[`${codec} ${decoder}`]!;
      const strong = (cell: string | number) => (decoder === 'native' ? `**${cell}**` : String(cell));
      return [codec, strong(c.backend), c.pool_cpu.frames_analysed, `${fixed(c.pool_cpu.cpu_seconds, 2)} s`, strong(c.pool_cpu.frames_analysed_per_cpu_second), c.pool_frames_per_second, c.pool_cpu.cores_busy];
    }),
  );
  return table(['codec', 'backend', 'frames analysed', 'CPU time', 'frames analysed per CPU-second', 'pool frames/s', 'cores busy'], lines);
}

interface DecoderMemory {
  decoder: 'native' | 'wasm';
  codec: string;
  perStreamRssMb: number;
  afterCloseOverBaselineMb: number;
  rssSamplesMb: number[];
  growthAfterWarmUpPercent: number;
}

/** `npm run bench:decoder-memory`: per open stream, left after closing, over 1,000 cycles. */
export function decoderMemory(): string {
  const rows = results<{ results: DecoderMemory[] }>('decoder-memory.json').results;
  const library = (r: DecoderMemory) => (r.codec !== 'H264' ? 'libvpx' : r.decoder === 'native' ? 'OpenH264' : 'h264bsd');
  return table(
    ['codec (backend)', 'RSS per open stream', 'left after the 10 streams closed', 'RSS at cycle 100 -> 1,000'],
    rows.map((r) => {
      const samples = r.rssSamplesMb;
      const growth = `${r.growthAfterWarmUpPercent > 0 ? '+' : ''}${r.growthAfterWarmUpPercent}%`;
      return [
        `${r.codec} (${r.decoder === 'native' ? '**native**' : 'wasm'}, ${library(r)})`,
        `${num(r.perStreamRssMb)} MB`,
        r.afterCloseOverBaselineMb <= 0 ? `none (${num(r.afterCloseOverBaselineMb)} MB)` : `${num(r.afterCloseOverBaselineMb)} MB`,
        `${samples[0]} -> ${samples[samples.length - 1]} MB (${growth})`,
      ];
    }),
  );
}

interface AnalysisRow {
  server: 'this' | 'aiortc';
  decoders: string[];
  k: number;
  summaries_per_session: number;
  frames_received_per_sent: number;
  frames_processed_per_received: number;
  frames_analysed_per_received: number | null;
  frames_dropped: number;
  cpu_seconds: Stat;
  peak_rss_mb: Stat;
  rss_idle_before_mb: Stat;
  rss_idle_after_mb: Stat;
  load_generator_cpu_seconds: Stat;
  load_generator_late_frames: number;
}

/** `npm run bench:analysis`: per server and K, medians (max) over the runs. */
export function analysis(): string {
  const rows = results<{ rows: AnalysisRow[] }>('analysis.json').rows;
  return table(
    ['server', 'K', 'summaries', 'received / sent', 'analysed / received', 'dropped', 'server CPU-s', 'peak RSS', 'RSS idle before -> 5 s after', 'load generator CPU-s, late frames'],
    rows.map((r) => [
      r.server === 'this' ? `this server (${r.decoders.join(', ')})` : 'aiortc server',
      r.k,
      percent(r.summaries_per_session),
      percent(r.frames_received_per_sent),
      r.server === 'this' ? percent(r.frames_analysed_per_received) : `${percent(r.frames_processed_per_received)} decoded`,
      r.frames_dropped,
      `${fixed(r.cpu_seconds.median!, 2)} (${fixed(r.cpu_seconds.max!, 2)})`,
      `${num(r.peak_rss_mb.median!, 0)} (${num(r.peak_rss_mb.max!, 0)}) MB`,
      `${num(r.rss_idle_before_mb.median!, 0)} -> ${num(r.rss_idle_after_mb.median!, 0)} MB`,
      `${fixed(r.load_generator_cpu_seconds.median!, 2)}, ${r.load_generator_late_frames}`,
    ]),
  );
}

interface OnnxRow {
  model: string;
  input: string;
  parameters: number;
  gmac_per_frame: number;
  ms_per_frame: Stat;
  frames_per_cpu_second: number;
  rss_mb_model_loaded: number;
  rss_mb_after_frames: number;
}

/** The models as the docs name them. */
function modelName(model: string): string {
  const conv = /^conv (\d+)x(\d+)ch$/.exec(model);
  if (conv) return `${conv[1]} conv 3x3 layers, ${conv[2]} channels`;
  return model === 'red mask (per-pixel)' ? 'per-pixel red mask' : model;
}

/** `npm run bench:onnx`: models through the onnx detector, one frame at a time. */
export function onnx(): string {
  const rows = results<{ rows: OnnxRow[] }>('onnx.json').rows;
  return table(
    ['model', 'input', 'parameters', 'multiply-adds per frame', 'ms per frame, median / p95', 'frames per CPU-second', 'memory of the session after the frames'],
    rows.map((r, index) => {
      const memory = num(r.rss_mb_model_loaded + r.rss_mb_after_frames, 0);
      return [
        modelName(r.model),
        r.input,
        thousands(r.parameters),
        r.gmac_per_frame === 0 ? '-' : `${fixed(r.gmac_per_frame, 2)} G`,
        `${fixed(r.ms_per_frame.median!, 2)} / ${fixed(r.ms_per_frame.p95!, 2)}`,
        r.frames_per_cpu_second,
        index === 0 ? `${memory} MB with the runtime loaded` : `+${memory} MB`,
      ];
    }),
  );
}
