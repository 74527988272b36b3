/**
 * The compiled build: `npm run build` (scripts/build.js) turns src/ and machines/ into
 * JavaScript in dist/ and bundles the page into dist/web/, and `npm start` runs it with plain
 * node. The compiled server starts, serves the built page, takes a real werift session on
 * loopback (its media in compiled media and frame workers, video decoded and analysed), ends it
 * with DELETE and exits on SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StreamingClient } from '../client/streamingClient';

const ROOT = join(__dirname, '..');
const CLIP = join(__dirname, 'fixtures', 'video', 'vp8_red_square.ivf');
let server: ChildProcess | null = null;
let client: StreamingClient | null = null;

afterEach(async () => {
  await client?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGKILL');
    await new Promise((resolve) => server!.once('exit', resolve));
  }
});

describe('the compiled build', () => {
  it('builds dist/, and node dist/src/main.js serves sessions and exits cleanly on SIGTERM', async () => {
    const output = execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT, encoding: 'utf8' });
    expect(output).toMatch(/built \d+ files and the page into dist\//);
    expect(existsSync(join(ROOT, 'dist', 'src', 'main.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'src', 'peer', 'worker', 'mediaWorker.js'))).toBe(true);
    // The server ships without the CLI client (client/, which tests and benches use), and with
    // the page built (dist/web/), not its sources compiled for Node.
    expect(readdirSync(join(ROOT, 'dist')).filter((entry) => !entry.startsWith('.')).sort()).toEqual(['machines', 'src', 'web']);
    expect(readdirSync(join(ROOT, 'dist', 'web')).filter((entry) => !entry.startsWith('.')).sort()).toEqual(['app.js', 'index.html', 'styles.css']);
    expect(existsSync(join(ROOT, 'dist', 'src', 'web'))).toBe(false);
    // Fresh again: --if-stale (npm start's prestart) builds nothing.
    expect(execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--if-stale'], { cwd: ROOT, encoding: 'utf8' })).toBe('');

    server = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', ICE_INTERFACE_ADDRESS: '127.0.0.1', VIDEO_INACTIVITY_MS: '60000', AUDIO_INACTIVITY_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Listening on" within 20 s:\n${lines.join('\n')}`)), 20_000);
      const onLine = (line: string) => {
        lines.push(line);
        const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      createInterface({ input: server!.stdout! }).on('line', onLine);
      createInterface({ input: server!.stderr! }).on('line', onLine);
    });
    expect(lines.join('\n')).toMatch(/media threads .*media_workers=[1-9]/);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(await (await fetch(`${url}/page/app.js`)).text()).toContain('function pollSession');

    client = await StreamingClient.connect({ url, interfaceAddress: '127.0.0.1', audio: false, videoFile: CLIP });
    await client.waitForEvent('session_started', 5000);
    await client.sendVideoFrames(30);
    await client.waitForEvent('detection', 5000);
    const deleted = await fetch(`${url}/sessions/${client.sessionId}`, { method: 'DELETE' });
    const body = (await deleted.json()) as { reason: string; summary: { total_frames_received: number; total_detections: number } };
    expect(deleted.status).toBe(200);
    expect(body.reason).toBe('client_request');
    expect(body.summary.total_frames_received).toBeGreaterThan(0);
    expect(body.summary.total_detections).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
