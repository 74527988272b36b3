/**
 * A server under load, in a child process of its own, so that its CPU time and memory are its
 * own (bench/procStats.ts reads them by pid): this repo's server (`node --import tsx
 * src/main.ts`, one process: tsx is a loader here, not a parent that forks) or the aiortc
 * baseline (bench/aiortc/server.py). Both listen on an ephemeral port on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AIORTC_PYTHON } from '../test/foreign/aiortcClient';

export type ServerKind = 'this' | 'aiortc';

export const SERVER_KINDS: readonly ServerKind[] = ['this', 'aiortc'];

const ROOT = join(__dirname, '..');
export const AIORTC_SERVER_SCRIPT = join(__dirname, 'aiortc', 'server.py');
/** Output lines kept for an error message. */
const KEPT_LINES = 40;

export interface ServerProcess {
  kind: ServerKind;
  pid: number;
  url: string;
  /** What it printed before it announced its port (this server: which video decoders it uses). */
  startupLines: string[];
  /** The last lines the process printed (stdout and stderr), for error messages. */
  recentOutput(): string;
  /** How many lines it has printed that match `pattern`, from now on (worker deaths, warnings). */
  countLines(pattern: RegExp): () => number;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Added to this process's environment (this server's configuration: PORT is set here). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

function command(kind: ServerKind): { file: string; args: string[] } {
  return kind === 'this'
    ? { file: process.execPath, args: ['--import', 'tsx', join(ROOT, 'src', 'main.ts')] }
    : { file: AIORTC_PYTHON, args: [AIORTC_SERVER_SCRIPT, '--port', '0'] };
}

/** The URL a ready line announces: this server's log line, or the baseline's JSON line. */
function readyUrl(kind: ServerKind, line: string): string | null {
  if (kind === 'this') return /Listening on (http:\/\/[\d.]+:\d+)/.exec(line)?.[1] ?? null;
  try {
    const event = JSON.parse(line) as { event?: string; port?: number };
    return event.event === 'listening' ? `http://127.0.0.1:${event.port}` : null;
  } catch {
    return null; // a warning or a traceback line
  }
}

export function startServerProcess(kind: ServerKind, options: StartOptions = {}): Promise<ServerProcess> {
  const { file, args } = command(kind);
  const child = spawn(file, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
  });
  const lines: string[] = [];
  const startupLines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const recentOutput = () => lines.join('\n');
  const watchers: Array<{ pattern: RegExp; count: number }> = [];
  const countLines = (pattern: RegExp) => {
    const watcher = { pattern, count: 0 };
    watchers.push(watcher);
    return () => watcher.count;
  };

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not announce its port within ${options.startTimeoutMs ?? 30_000} ms:\n${recentOutput()}`));
    }, options.startTimeoutMs ?? 30_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      for (const watcher of watchers) if (watcher.pattern.test(line)) watcher.count++;
      const url = readyUrl(kind, line);
      if (url) {
        clearTimeout(timer);
        resolve({ kind, pid: child.pid!, url, startupLines: [...startupLines], recentOutput, countLines, stop: stopper(child, exited) });
      } else if (startupLines.length < KEPT_LINES) {
        startupLines.push(line);
      }
    };
    // Both streams are read to their end, so that a chatty server never blocks on a full pipe.
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited (code ${code}, signal ${signal}) before announcing its port:\n${recentOutput()}`));
    });
  });
}

function stopper(child: ChildProcess, exited: Promise<void>): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 15_000) => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
}
