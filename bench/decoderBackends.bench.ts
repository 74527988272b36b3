/**
 * Decoder backends compared on this machine (README "Decoder backends compared"): every
 * candidate of bench/decoderCandidates.ts that is installed, each in a process of its own
 * (bench/decoderMeasure.ts), on the VP8, VP9, H264 (constrained baseline, main, high) and AV1
 * clips of test/fixtures/video/. Candidates that are not installed are skipped with the reason
 * printed, so the bench runs with only the project's dependencies (then it measures today's
 * wasm decoders alone).
 *
 * Per candidate: ms per 640x480 frame (median, p95 by nearest rank, n), CPU ms per frame,
 * output delay, resident memory per open decoder and over open/close cycles (each measured in
 * a fresh process), install size, the Node versions it loads on, licences. Prints Markdown tables, writes
 * bench/results/decoders.json.
 *
 * Environment:
 * - DECODER_BENCH_MODULES: folders (colon-separated) with a node_modules holding candidates
 *   that are not dependencies, e.g. a scratch folder where `npm i @napi-rs/webcodecs@1.3.1` ran.
 * - DECODER_BENCH_ADDON: a build of the native addon (default: the server's, native/decoders/build).
 * - DECODER_BENCH_NODES: `20=/usr/bin/node,22=/path/to/node22,...`: Node binaries to try each
 *   candidate on; a candidate is measured on the first one it loads on that is new enough
 *   (default: this Node only).
 * - DECODER_BENCH_ONLY: candidate ids (comma-separated) to run; BENCH_PASSES (default 5),
 *   DECODER_BENCH_CYCLES (default 1000), DECODER_BENCH_OPEN (decoders open at once, default
 *   10), BENCH_RESULTS_DIR (write elsewhere).
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Summary } from '../test/helpers/stats';
import { CANDIDATES, findModule, NATIVE_ADDON, type Candidate } from './decoderCandidates';
import { runBench, writeResults } from './report';

const PASSES = Number(process.env.BENCH_PASSES ?? 5);
const CYCLES = Number(process.env.DECODER_BENCH_CYCLES ?? 1000);
const OPEN_DECODERS = Number(process.env.DECODER_BENCH_OPEN ?? 10);
const JOB_TIMEOUT_MS = 30 * 60 * 1000;
/** The clips whose decoders go through the open/close cycles: what WebRTC browsers send by default. */
const CYCLE_CLIPS = ['VP8', 'H264-CB'];
const MEASURE_SCRIPT = join(__dirname, 'decoderMeasure.ts');
/** Debian packages the native addon loads at run time (libvpx7, libdav1d6, libopenh264-7 on Debian 12). */
const ADDON_RUNTIME_PACKAGES = ['libvpx7', 'libdav1d6', 'libopenh264-7'];

interface NodeBinary {
  label: string;
  path: string;
}

function nodeBinaries(): NodeBinary[] {
  const listed = (process.env.DECODER_BENCH_NODES ?? '').split(',').filter(Boolean);
  if (listed.length === 0) return [{ label: process.versions.node.split('.')[0]!, path: process.execPath }];
  return listed.map((entry) => {
    const [label, path] = entry.split('=');
    if (!label || !path) throw new Error(`DECODER_BENCH_NODES: expected LABEL=PATH, got ${entry}`);
    return { label, path };
  });
}

/** Runs one job in a child process on the given Node; its result object, or { ok: false, error }. */
function runJob(node: NodeBinary, job: object): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    const child = spawn(node.path, ['--expose-gc', '--import', 'tsx', MEASURE_SCRIPT], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, DECODER_BENCH_JOB: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), JOB_TIMEOUT_MS);
    child.on('error', (error) => (clearTimeout(timer), resolve({ ok: false, error: error.message })));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = output.split('\n').find((text) => text.startsWith('DECODER_BENCH_RESULT '));
      if (line) resolve(JSON.parse(line.slice('DECODER_BENCH_RESULT '.length)));
      else resolve({ ok: false, error: `no result (exit code ${code}, signal ${signal}): ${output.trim().split('\n')[0] ?? ''}` });
    });
  });
}

/** Disk usage of a folder, as du counts it (allocated blocks), in MB. */
function folderMb(folder: string): number {
  let bytes = 0;
  const walk = (path: string) => {
    const stat = lstatSync(path);
    bytes += stat.blocks * 512;
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(folder);
  return bytes / 1024 / 1024;
}

/** The folder of an installed package (its exports may hide package.json, so from its main file up). */
function packageFolder(name: string): string | null {
  const found = findModule(name) ?? findModule(`${name}/package.json`);
  for (let folder = found && dirname(found.path); folder && folder !== dirname(folder); folder = dirname(folder)) {
    if (folder.endsWith(join('node_modules', name))) return folder;
  }
  return null;
}

/** Install size: the candidate's package folders, or for the addon its folder's build plus the Debian libraries it loads. */
function installSize(candidate: Candidate): { mb: number; what: string } | null {
  if (candidate.id === 'native-addon') {
    const addon = dirname(NATIVE_ADDON);
    let debianKb = 0;
    try {
      const sizes = execFileSync('dpkg-query', ['-W', '-f=${Installed-Size}\n', ...ADDON_RUNTIME_PACKAGES], { encoding: 'utf8' });
      debianKb = sizes.split('\n').filter(Boolean).reduce((sum, kb) => sum + Number(kb), 0);
    } catch {
      return { mb: folderMb(addon), what: 'addon build only (dpkg-query found no Debian packages)' };
    }
    const addonMb = folderMb(addon);
    return { mb: addonMb + debianKb / 1024, what: `addon build ${addonMb.toFixed(1)} MB + Debian ${ADDON_RUNTIME_PACKAGES.join(', ')} ${(debianKb / 1024).toFixed(1)} MB` };
  }
  let mb = 0;
  const parts: string[] = [];
  for (const name of candidate.packages) {
    const folder = packageFolder(name);
    if (!folder) continue;
    const size = folderMb(folder);
    mb += size;
    parts.push(`${name} ${size.toFixed(1)} MB`);
  }
  return parts.length ? { mb, what: parts.join(' + ') } : null;
}

function skipReason(candidate: Candidate): string | null {
  if (candidate.id === 'native-addon' && !findModule(candidate.module)) return `${candidate.module} is not built (npm run build:native)`;
  if (!findModule(candidate.module)) return `${candidate.module} is not installed here nor in DECODER_BENCH_MODULES`;
  return null;
}

async function evaluate(candidate: Candidate, nodes: NodeBinary[]) {
  const skip = skipReason(candidate);
  if (skip) return { id: candidate.id, title: candidate.title, skipped: skip };
  console.log(`${candidate.id}: trying Node ${nodes.map((node) => node.label).join(', ')}`);
  const loadsOn: Record<string, string> = {};
  for (const node of nodes) {
    const probe = await runJob(node, { candidate: candidate.id, mode: 'probe' });
    loadsOn[node.label] = probe.ok ? `ok (${probe.node})` : `fails: ${probe.error}`;
  }
  const size = installSize(candidate);
  const base = { id: candidate.id, title: candidate.title, licence: candidate.licence, install_mb: size && Math.round(size.mb * 10) / 10, install: size?.what, loads_on: loadsOn };
  const node = nodes.find((entry) => Number(entry.label) >= candidate.minNodeMajor && loadsOn[entry.label]!.startsWith('ok'));
  if (!node) return { ...base, skipped: `loads on none of Node ${nodes.map((entry) => entry.label).join(', ')} (needs Node >= ${candidate.minNodeMajor})` };
  console.log(`${candidate.id}: measuring on Node ${node.label}`);
  const job = { candidate: candidate.id };
  const speed = await runJob(node, { ...job, mode: 'speed', passes: PASSES });
  if (!speed.ok) return { ...base, skipped: `failed on Node ${node.label}: ${speed.error}` };
  const decodable = Object.keys(speed.clips).filter((clip) => !speed.clips[clip].error);
  const memory: Record<string, object> = {};
  for (const clip of decodable) memory[clip] = await runJob(node, { ...job, mode: 'memory', clip, openDecoders: OPEN_DECODERS });
  const cycles: object[] = [];
  for (const clip of CYCLE_CLIPS.filter((name) => CYCLES > 0 && decodable.includes(name))) cycles.push(await runJob(node, { ...job, mode: 'cycles', clip, cycles: CYCLES }));
  return { ...base, measured_on: speed.node, clips: speed.clips, memory, cycles };
}

const cell = (value: unknown) => (value === null || value === undefined ? '-' : String(value));

function printTables(results: Record<string, any>[]) {
  console.log('\n| backend | clip | decoder | median ms | p95 ms | n | CPU ms/frame | delay (frames) | MB per open decoder |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const result of results) {
    if (!result.clips) continue;
    for (const [clip, value] of Object.entries<Record<string, any>>(result.clips)) {
      if (value.error) {
        console.log(`| ${result.id} | ${clip} | ${value.decoder} | fails: ${value.error} | | | | | |`);
        continue;
      }
      const time = value.decode_ms as Summary;
      console.log(`| ${result.id} | ${clip} | ${value.decoder} | ${cell(time.median)} | ${cell(time.p95)} | ${time.n} | ${value.cpu_ms_per_frame} | ${value.output_delay_frames} | ${cell(result.memory?.[clip]?.per_decoder_mb)} |`);
    }
  }
  console.log(`\n| backend | install MB | loads on | RSS over ${CYCLES} open/close cycles (MB, after ${CYCLES / 10} → end, highest growth) | licence (package / binaries) |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const result of results) {
    if (result.skipped && !result.loads_on) {
      console.log(`| ${result.id} | skipped: ${result.skipped} | | | |`);
      continue;
    }
    const loads = Object.entries<string>(result.loads_on ?? {}).map(([label, text]) => `${label}: ${text.startsWith('ok') ? 'yes' : 'no'}`).join(', ');
    const cycles = (result.cycles ?? [])
      .map((run: Record<string, any>) => (run.ok ? `${run.clip}: ${run.samples[1].rss_mb} → ${run.samples.at(-1).rss_mb}, max +${run.max_growth_after_warmup_percent}% (${run.flat_within_5_percent ? 'flat' : 'grows'})` : `fails: ${run.error}`))
      .join('; ');
    console.log(`| ${result.id} | ${cell(result.install_mb)} | ${loads} | ${result.skipped ? `skipped: ${result.skipped}` : cycles} | ${result.licence.package} / ${result.licence.binaries} |`);
  }
}

async function main() {
  const nodes = nodeBinaries();
  const only = (process.env.DECODER_BENCH_ONLY ?? '').split(',').filter(Boolean);
  const results: Record<string, any>[] = [];
  for (const candidate of CANDIDATES) {
    if (only.length && !only.includes(candidate.id)) continue;
    const result = await evaluate(candidate, nodes);
    if (result.skipped) console.log(`${candidate.id}: skipped: ${result.skipped}`);
    results.push(result);
  }
  printTables(results);
  writeResults('decoders', { date: new Date().toISOString(), cores: availableParallelism(), passes: PASSES, cycles: CYCLES, open_decoders: OPEN_DECODERS, nodes, results });
}

runBench(main);
