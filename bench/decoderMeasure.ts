/**
 * One decoder backend measured in a process of its own (started by decoderBackends.bench.ts
 * with --expose-gc, so resident memory is this backend's alone). The job comes as JSON in
 * DECODER_BENCH_JOB: { candidate, mode, clip?, passes?, cycles?, openDecoders? }. Prints one
 * line `DECODER_BENCH_RESULT <json>`. Modes:
 * - probe: loads the backend and decodes the first frames of the VP8 (or first offered) clip.
 * - speed, every clip the backend offers: the time from handing a frame to having a picture as
 *   packed I420 in JS memory (calls that gave a picture; output_delay_frames: frames that went
 *   in before the first picture came out), every frame of the clip, `passes` times with a fresh
 *   decoder each time; CPU time of the whole process per frame (counts the backend's threads).
 * - memory, one clip: resident memory per open decoder, `openDecoders` open at once, each fed
 *   the whole clip.
 * - cycles, one clip: resident memory over `cycles` open / decode 3 frames / close cycles.
 */
import { performance } from 'node:perf_hooks';
import { measure } from '../test/helpers/stats';
import { CANDIDATES, findModule, type Backend, type Candidate } from './decoderCandidates';
import { readClip, showsTheSquare, type Clip } from './decoderClips';

interface Job {
  candidate: string;
  mode: 'probe' | 'speed' | 'memory' | 'cycles';
  /** memory, cycles: the clip. */
  clip?: string;
  passes?: number;
  cycles?: number;
  openDecoders?: number;
}

const MB = 1024 * 1024;
const RSS_SAMPLES = 10;

async function settledRssMb(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Math.round((process.memoryUsage.rss() / MB) * 10) / 10;
}

async function decodeAll(backend: Backend, clip: Clip, frames = clip.frames.length) {
  const session = await backend.open(clip);
  try {
    const times: number[] = [];
    let pictures = 0;
    let last = null;
    let delay = 0;
    for (const [index, frame] of clip.frames.slice(0, frames).entries()) {
      const started = performance.now();
      const picture = await session.decode(frame, index);
      const elapsed = performance.now() - started;
      if (!picture) continue;
      if (pictures === 0) delay = index;
      times.push(elapsed);
      pictures++;
      last = picture;
    }
    return { times, pictures, last, delay };
  } finally {
    await session.close();
  }
}

async function speed(backend: Backend, clip: Clip, passes: number) {
  const times: number[] = [];
  let pictures = 0;
  let delay = 0;
  let showsSquare = true;
  const cpu = process.cpuUsage();
  for (let pass = 0; pass < passes; pass++) {
    const run = await decodeAll(backend, clip);
    times.push(...run.times);
    pictures += run.pictures;
    delay = Math.max(delay, run.delay);
    showsSquare &&= run.last !== null && showsTheSquare(run.last);
  }
  const used = process.cpuUsage(cpu);
  const frames = passes * clip.frames.length;
  return {
    frames,
    pictures,
    shows_the_square: showsSquare,
    output_delay_frames: delay,
    decode_ms: measure(times, 3),
    cpu_ms_per_frame: Math.round(((used.user + used.system) / 1000 / frames) * 1000) / 1000,
  };
}

/**
 * Resident memory added per decoder, with `count` decoders open at once, each having decoded
 * the whole clip; after one decoder opened, used and closed first (the library's own start-up).
 */
async function memoryPerDecoder(backend: Backend, clip: Clip, count: number) {
  await decodeAll(backend, clip);
  const before = await settledRssMb();
  const sessions = [];
  for (let i = 0; i < count; i++) {
    const session = await backend.open(clip);
    sessions.push(session);
    for (const [index, frame] of clip.frames.entries()) await session.decode(frame, index);
  }
  const open = await settledRssMb();
  for (const session of sessions) await session.close();
  const closed = await settledRssMb();
  return { clip: clip.name, decoders: count, rss_before_mb: before, rss_open_mb: open, rss_after_close_mb: closed, per_decoder_mb: Math.round(((open - before) / count) * 10) / 10 };
}

/** Resident memory sampled RSS_SAMPLES times over `cycles` open / decode 3 frames / close cycles. */
async function openCloseCycles(backend: Backend, clip: Clip, cycles: number) {
  const started = performance.now();
  const samples: { cycle: number; rss_mb: number }[] = [{ cycle: 0, rss_mb: await settledRssMb() }];
  const every = Math.max(1, Math.floor(cycles / RSS_SAMPLES));
  for (let cycle = 1; cycle <= cycles; cycle++) {
    await decodeAll(backend, clip, 3);
    if (cycle % every === 0 || cycle === cycles) samples.push({ cycle, rss_mb: await settledRssMb() });
  }
  // Growth from the first sample after warm-up (cycle `every`) to the highest later one: "flat" is within 5%.
  const first = samples[1]!.rss_mb;
  const percent = (rss: number) => Math.round(((rss - first) / first) * 1000) / 10;
  const maxGrowth = percent(Math.max(...samples.slice(1).map((sample) => sample.rss_mb)));
  return {
    clip: clip.name,
    cycles,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    samples,
    growth_after_warmup_percent: percent(samples.at(-1)!.rss_mb),
    max_growth_after_warmup_percent: maxGrowth,
    flat_within_5_percent: maxGrowth <= 5,
  };
}

/** Progress on stderr, which the bench passes through: which clip a slow or stuck backend is on. */
const progress = (what: string) => process.stderr.write(`  ${what}\n`);

const messageOf = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0]!;

async function run(job: Job, candidate: Candidate): Promise<object> {
  const found = findModule(candidate.module);
  if (!found) throw new Error(`${candidate.module} is not installed`);
  const backend = await candidate.load(found.load);
  const clipNames = Object.keys(candidate.decoders);
  if (job.mode === 'probe') {
    const clip = readClip(clipNames.includes('VP8') ? 'VP8' : clipNames[0]!);
    const { pictures } = await decodeAll(backend, clip, 3);
    return { clip: clip.name, pictures };
  }
  if (job.mode === 'memory') return memoryPerDecoder(backend, readClip(job.clip!), job.openDecoders!);
  if (job.mode === 'cycles') return openCloseCycles(backend, readClip(job.clip!), job.cycles!);
  const clips: Record<string, object> = {};
  for (const name of clipNames) {
    progress(`${candidate.id} ${name}`);
    try {
      clips[name] = { decoder: candidate.decoders[name], ...(await speed(backend, readClip(name), job.passes!)) };
    } catch (error) {
      clips[name] = { decoder: candidate.decoders[name], error: messageOf(error) };
    }
  }
  return { clips };
}

async function main() {
  const job = JSON.parse(process.env.DECODER_BENCH_JOB ?? '{}') as Job;
  const candidate = CANDIDATES.find((entry) => entry.id === job.candidate);
  let result: object;
  try {
    if (!candidate) throw new Error(`no candidate ${job.candidate}`);
    result = { ok: true, ...(await run(job, candidate)) };
  } catch (error) {
    result = { ok: false, error: messageOf(error) };
  }
  process.stdout.write(`DECODER_BENCH_RESULT ${JSON.stringify({ node: process.version, ...result })}\n`);
  process.exit(0);
}

void main();
