/**
 * Runs the aiortc load generator (bench/aiortc/load.py) and types what it prints: one line per
 * session, then the totals. Needs Debian's python3-aiortc and ffmpeg (the clip is made once).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AIORTC_PYTHON } from '../../test/foreign/aiortcClient';

export const LOAD_SCRIPT = join(__dirname, 'load.py');
const STDERR_KEPT = 8000;

/** A summary as either server sends it in `stream_closed` (API.md fields, and whatever else it adds). */
export type Summary = Record<string, unknown> & {
  total_frames_received: number;
  total_frames_processed: number;
  total_frames_dropped: number;
};

export interface SessionLine {
  event: 'session';
  session: number;
  ok: boolean;
  session_id: string | null;
  setup_ms: number | null;
  end_to_closed_ms: number | null;
  reason: string | null;
  summary: Summary | null;
  video_frames_sent: number;
  audio_frames_sent: number;
  /** Keyframe requests (PLI) answered by skipping ahead to the clip's next keyframe. */
  keyframes_on_request: number;
  /** Frames (video and audio) handed to aiortc more than a frame period after their time, and the latest. */
  late_frames: number;
  max_late_ms: number;
  errors: string[];
}

export interface TotalsLine {
  event: 'totals';
  sessions: number;
  ok: number;
  summaries: number;
  video_frames_sent: number;
  audio_frames_sent: number;
  keyframes_on_request: number;
  late_frames: number;
  max_late_ms: number;
  /** Sums over the summaries received; null when no summary had the field. */
  total_frames_received: number | null;
  total_frames_processed: number | null;
  total_frames_dropped: number | null;
  total_frames_analyzed: number | null;
  total_frames_not_sampled: number | null;
  total_detections: number | null;
  audio_frames: number | null;
  /** The load generator's own CPU time (user + system, every thread). */
  cpu_seconds: number;
  wall_seconds: number;
}

export interface LoadOptions {
  url: string;
  sessions: number;
  seconds: number;
  /** Seconds to wait for `connected`, and again for `stream_closed` (default 20). */
  timeoutSeconds?: number;
  spreadMs?: number;
  /** Kill the generator if it is still running after this long (default: its own waits, plus 30 s). */
  processTimeoutMs?: number;
}

export interface LoadRun {
  sessions: SessionLine[];
  totals: TotalsLine | null;
  exitCode: number | null;
  /** Lines that were not the JSON expected (a traceback, a warning). */
  unparsed: string[];
  stderr: string;
}

export function loadArgs(options: LoadOptions): string[] {
  return [
    LOAD_SCRIPT,
    ...['--url', options.url, '--sessions', String(options.sessions), '--seconds', String(options.seconds)],
    ...(options.timeoutSeconds === undefined ? [] : ['--timeout', String(options.timeoutSeconds)]),
    ...(options.spreadMs === undefined ? [] : ['--spread-ms', String(options.spreadMs)]),
  ];
}

/** Makes the clip if it is not in the cache yet (ffmpeg, some seconds), so no measured run does; returns its path. */
export async function prepareClip(): Promise<string> {
  const { stdout } = await promisify(execFile)(AIORTC_PYTHON, [LOAD_SCRIPT, '--prepare'], { encoding: 'utf8' });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { clip: string }).clip;
}

/** Runs load.py to its end (it bounds its own waits by --timeout); resolves, never rejects. */
export function runLoadGenerator(options: LoadOptions): Promise<LoadRun> {
  const child = spawn(AIORTC_PYTHON, loadArgs(options), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  const run: LoadRun = { sessions: [], totals: null, exitCode: null, unparsed: [], stderr: '' };
  const waits = options.seconds + 2 * (options.timeoutSeconds ?? 20) + (options.spreadMs ?? 0) / 1000;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.processTimeoutMs ?? 1000 * (waits + 30));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: SessionLine | TotalsLine | null = null;
    try {
      line = JSON.parse(text) as SessionLine | TotalsLine;
    } catch {
      // kept in `unparsed`
    }
    if (line?.event === 'session') run.sessions.push(line);
    else if (line?.event === 'totals') run.totals = line;
    else run.unparsed.push(text);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    run.stderr = (run.stderr + chunk.toString()).slice(-STDERR_KEPT);
  });
  return new Promise((resolve) => {
    // 'close', not 'exit': stdout has been read to its end.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...run, exitCode: code, stderr: signal ? `${run.stderr}\nkilled by ${signal}` : run.stderr });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ...run, stderr: `${run.stderr}\n${error.message}` });
    });
  });
}
