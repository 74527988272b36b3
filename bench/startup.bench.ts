/**
 * Start time and idle memory of the server: run from its TypeScript sources through tsx (what
 * `npm start` did, `npm run dev` now) against the compiled build (`npm start`: node
 * dist/src/main.js), the two taking turns. Start time is from spawning to the "Listening on"
 * line; idle memory is the RSS of every process of the server (tsx starts a second node) and
 * its threads, 3 s after it listens, with no session. BENCH_RUNS (per variant, default 5),
 * BENCH_RESULTS_DIR (write elsewhere, for a trial run). Run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { measure } from '../test/helpers/stats';
import { runBench, writeResults } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = join(__dirname, '..');
const IDLE_MS = 3000;

const VARIANTS = {
  'tsx src/main.ts (before)': [join(ROOT, 'node_modules', '.bin', 'tsx'), join(ROOT, 'src', 'main.ts')],
  'node dist/src/main.js (compiled)': [process.execPath, '--enable-source-maps', join(ROOT, 'dist', 'src', 'main.js')],
} as const;

/** The pid and its descendants, from /proc. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}

async function once(command: readonly string[]): Promise<{ startMs: number; rssMb: number; processes: number }> {
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not listen within 60 s')), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('Listening on')) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      });
      child.stderr!.resume();
    });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const pids = processTree(child.pid!);
    return { startMs, rssMb: rssMb(pids), processes: pids.length };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const samples = new Map<string, Array<{ startMs: number; rssMb: number; processes: number }>>(Object.keys(VARIANTS).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, command] of Object.entries(VARIANTS)) samples.get(name)!.push(await once(command));
  }
  const rows = [...samples].map(([variant, runs]) => ({
    variant,
    processes: runs[0]!.processes === runs.at(-1)!.processes ? runs[0]!.processes : runs.map((r) => r.processes),
    start_ms: measure(runs.map((r) => r.startMs)),
    idle_rss_mb: measure(runs.map((r) => r.rssMb)),
  }));
  console.table(rows.map((row) => ({ variant: row.variant, processes: row.processes, n: row.start_ms.n, start_median_ms: row.start_ms.median, start_max_ms: row.start_ms.max, rss_median_mb: row.idle_rss_mb.median, rss_max_mb: row.idle_rss_mb.max })));
  writeResults('startup', { date: new Date().toISOString(), node: process.version, runs_per_variant: RUNS, idle_ms: IDLE_MS, rows });
}

runBench(main);
