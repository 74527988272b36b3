import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AIORTC_PYTHON, requireAiortc } from './foreign/aiortcClient';
import { expectNothingLeft, startTestServer } from './helpers/testServer';

/**
 * The tools of `npm run bench:analysis` (bench/aiortc/): the aiortc load generator against the
 * aiortc baseline server and against this server, one session for a second, so that neither
 * rots between bench runs. Run as the bench runs them (their own processes); the scripts are
 * spawned by path, as bench/ depends on test/ and not the other way.
 */

const SCRIPTS = join(__dirname, '..', 'bench', 'aiortc');
const TIMEOUT_MS = 30_000;

interface Lines {
  lines: Array<Record<string, unknown>>;
  exitCode: number | null;
  stderr: string;
}

const PYTHON_ENV = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };

/** Runs a script to its end; its stdout as JSON lines. */
function runScript(script: string, args: string[]): Promise<Lines> {
  const child = spawn(AIORTC_PYTHON, [join(SCRIPTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: PYTHON_ENV });
  const result: Lines = { lines: [], exitCode: null, stderr: '' };
  createInterface({ input: child.stdout! }).on('line', (line) => result.lines.push(JSON.parse(line) as Record<string, unknown>));
  child.stderr!.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...result, exitCode: code })));
}

/** One load generator session of a second against `url`: its session line, after checking the run went well. */
async function oneSession(url: string): Promise<Record<string, any>> {
  const run = await runScript('load.py', ['--url', url, '--sessions', '1', '--seconds', '1', '--timeout', '10']);
  const [session, totals] = run.lines;
  expect({ exitCode: run.exitCode, errors: session?.errors, stderr: run.exitCode === 0 ? '' : run.stderr.slice(-2000) }).toEqual({
    exitCode: 0,
    errors: [],
    stderr: '',
  });
  expect(totals).toMatchObject({ event: 'totals', sessions: 1, ok: 1, summaries: 1 });
  return session!;
}

beforeAll(() => requireAiortc());

describe('bench/aiortc: the aiortc load generator', () => {
  let baseline: ChildProcess | undefined;

  afterEach(() => {
    baseline?.kill('SIGKILL'); // only if a test failed before stopping it
  });

  it('against the aiortc baseline server: stream_closed after RTCP BYE, with every received frame decoded', async () => {
    baseline = spawn(AIORTC_PYTHON, [join(SCRIPTS, 'server.py'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: PYTHON_ENV });
    const serverLines: Array<Record<string, any>> = [];
    const listening = new Promise<number>((resolve) =>
      createInterface({ input: baseline!.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as Record<string, any>;
        serverLines.push(event);
        if (event.event === 'listening') resolve(event.port as number);
      }),
    );
    const port = await listening;

    const session = await oneSession(`http://127.0.0.1:${port}`);
    expect(session).toMatchObject({ event: 'session', ok: true, reason: 'tracks_ended' });
    const summary = session.summary;
    expect(summary.total_frames_received).toBeGreaterThan(15);
    expect(summary.total_frames_received).toBeLessThanOrEqual(session.video_frames_sent);
    // aiortc decodes what is queued before a track ends: everything received is decoded.
    expect(summary.total_frames_processed).toBe(summary.total_frames_received);
    expect(summary.total_frames_dropped).toBe(0);
    expect(summary.audio_frames).toBeGreaterThan(0);
    expect(serverLines).toContainEqual(expect.objectContaining({ event: 'session_closed', session_id: session.session_id, summary }));

    const exited = new Promise((resolve) => baseline!.once('exit', (code, signal) => resolve({ code, signal })));
    baseline.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, TIMEOUT_MS);

  it('against this server: the tracks end by RTCP BYE and the summary counts the frames sent', async () => {
    const server = await startTestServer();
    try {
      const session = await oneSession(server.url);
      expect(session).toMatchObject({ event: 'session', ok: true, reason: 'tracks_ended' });
      expect(session.summary.total_frames_received).toBeGreaterThan(15);
      expect(session.summary.total_frames_received).toBeLessThanOrEqual(session.video_frames_sent);
      expect(session.summary.tracks_ended_by).toEqual({ rtcp_bye: 2 });
      await expectNothingLeft(server);
    } finally {
      await server.close();
    }
  }, TIMEOUT_MS);
});
