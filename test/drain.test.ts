/**
 * Draining on SIGTERM: no new sessions, open ones may end on their own until the drain timeout,
 * then the rest are closed with server_shutdown. In-process through RunningServer.drain, and
 * through src/main.ts as a child process receiving real signals.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { StreamingClient } from '../client/streamingClient';
import { eventually, finishTestServer, messages, startTestServer, type TestServer } from './helpers/testServer';

/**
 * A drain timeout no test outlives (jest's timeout is 30 s): a drain that finishes did so for a
 * reason other than its timeout, whatever the machine's speed.
 */
const NEVER_MS = 600_000;

/** Long enough that a quiet session never ends by itself during a test. */
const quietTracksStayOpen = { videoInactivityMs: 60_000, audioInactivityMs: 60_000 };

const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n' };

function postOffer(url: string): Promise<Response> {
  return fetch(`${url}/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OFFER) });
}

describe('RunningServer.drain', () => {
  let server: TestServer;

  afterEach(async () => {
    await finishTestServer(server);
  });

  it('refuses new sessions at once and finishes as soon as the open session ends on its own', async () => {
    server = await startTestServer(quietTracksStayOpen);
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(5, { intervalMs: 10 });

    let drained = false;
    const drain = server.drain(NEVER_MS).then(() => {
      drained = true;
    });

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    const offer = await postOffer(server.url);
    expect(offer.status).toBe(503);
    expect(offer.headers.get('retry-after')).toBe('5');
    expect(drained).toBe(false);
    expect(peer.view().state).toBe('Active');

    client.sendMessage({ type: 'end_stream' });
    const closed = await client.waitForStreamClosed(2000);
    // Resolves before the test's timeout, so not by its own: the session's end finished it.
    await drain;

    expect(closed).toMatchObject({ reason: 'client_request', summary: { total_frames_received: 5 } });
    expect(peer.view().reason).toBe('client_request');
    const shutdownLog = server.logs.find((entry) => entry.message === 'Shutting down, closing all peer connections...');
    expect(shutdownLog).toMatchObject({ sessions: 0 });
  });

  it('closes a session still open at the drain timeout with server_shutdown', async () => {
    server = await startTestServer(quietTracksStayOpen);
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(3, { intervalMs: 10 });

    const started = Date.now();
    const closedEvent = client.waitForStreamClosed(3000);
    await server.drain(300);

    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await closedEvent).toMatchObject({ reason: 'server_shutdown', summary: { total_frames_received: 3 } });
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'server_shutdown' });
    expect(messages(server)).toContain('Draining: waiting for sessions to end');
  });

  it('with no session open, finishes at once', async () => {
    server = await startTestServer();
    // Resolves before the test's timeout, so not by the drain timeout.
    await server.drain(NEVER_MS);
    expect(messages(server)).not.toContain('Draining: waiting for sessions to end');
  });
});

interface MainProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  logs: Array<{ message: string; [field: string]: unknown }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startMain(env: Record<string, string>): Promise<MainProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../src/main.ts')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', ICE_INTERFACE_ADDRESS: '127.0.0.1', ...env },
  });
  const logs: MainProcess['logs'] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: MainProcess['logs'][number];
        try {
          entry = JSON.parse(line) as MainProcess['logs'][number];
        } catch {
          continue;
        }
        logs.push(entry);
        const match = /^Listening on (http:\/\/\S+)/.exec(entry.message);
        if (match) resolve(match[1]!);
      }
    });
    void exited.then(() => reject(new Error('src/main.ts exited before listening')));
  });
  return { child, url, logs, exited };
}

describe('src/main.ts signals', () => {
  let main: MainProcess | undefined;

  afterEach(() => {
    if (main && main.child.exitCode === null && main.child.signalCode === null) main.child.kill('SIGKILL');
    main = undefined;
  });

  it('SIGTERM with nothing open drains and exits 0', async () => {
    main = await startMain({ DRAIN_TIMEOUT_MS: '10000' });
    main.child.kill('SIGTERM');
    expect(await main.exited).toEqual({ code: 0, signal: null });
    expect(main.logs.map((entry) => entry.message)).toContain('SIGTERM received, draining');
  }, 20_000);

  it('a second SIGTERM during a drain closes the open session at once and exits 0', async () => {
    main = await startMain({ DRAIN_TIMEOUT_MS: '60000', VIDEO_INACTIVITY_MS: '60000' });
    const client = await StreamingClient.connect({ url: main.url, interfaceAddress: '127.0.0.1', audio: false });
    try {
      await client.waitForEvent('session_started', 5000);
      await client.sendVideoFrames(3, { intervalMs: 10 });

      main.child.kill('SIGTERM');
      const logs = main.logs;
      await eventually(() => logs.some((entry) => entry.message === 'Draining: waiting for sessions to end'), 5000, 'drain started');
      expect((await fetch(`${main.url}/readyz`)).status).toBe(503);

      const closedEvent = client.waitForStreamClosed(5000);
      main.child.kill('SIGTERM');
      // The drain timeout (60 s) is longer than this test's (30 s): exiting at all means the second SIGTERM forced it.
      expect(await main.exited).toEqual({ code: 0, signal: null });
      expect(await closedEvent).toMatchObject({ reason: 'server_shutdown', summary: { total_frames_received: 3 } });
      expect(logs.map((entry) => entry.message)).toEqual(
        expect.arrayContaining(['SIGTERM again: closing every session now', 'All peer connections closed']),
      );
    } finally {
      await client.close();
    }
  }, 30_000);
});
