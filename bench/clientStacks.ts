/**
 * The three client stacks the latency benches drive against one in-process server: this repo's
 * werift client, aiortc (test/foreign/aiortc_client.py, a separate Python process) and Chromium
 * (test/web/chromiumSessions.ts, K connections in one page). A round starts K sessions of one
 * stack, lets them stream, ends them all one way, and returns one sample per session.
 *
 * Every time is epoch milliseconds with sub-millisecond resolution, taken where it happens: the
 * server's moments in this process (performance.timeOrigin + now), the client's in the client's
 * own process (the page's timeOrigin + now; aiortc's CLOCK_MONOTONIC converted here). All run on
 * one host, so the clocks agree to well under a millisecond.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { Browser } from 'playwright-core';
import winston from 'winston';
import { StreamingClient } from '../src/client/streamingClient';
import { loadConfig, type ServerConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer, type RunningServer } from '../src/server';
import { aiortcAvailable, monotonicNowMs, runAiortc, type AiortcEnd } from '../test/foreign/aiortcClient';
import { CHROMIUM_PATH, launchChromium } from '../test/web/browserHarness';
import { ChromiumSessions, type EndMode } from '../test/web/chromiumSessions';
import { existsSync } from 'node:fs';

export type Stack = 'werift' | 'aiortc' | 'chromium';

/** How a round ends its sessions; not every stack has every way (see PATHS). */
export type EndPath = 'bye' | 'end_stream' | 'delete' | 'close' | 'stop_tracks' | 'transceiver_stop';

export const PATHS: Record<Stack, readonly EndPath[]> = {
  werift: ['bye', 'end_stream', 'delete', 'close'],
  aiortc: ['bye', 'end_stream', 'delete', 'close'],
  // Chromium sends no RTCP BYE when a track stops: the server sees the end by inactivity.
  chromium: ['end_stream', 'stop_tracks', 'transceiver_stop', 'delete', 'close'],
};

export interface Sample {
  stack: Stack;
  path: EndPath;
  sessionId: string;
  /** Offer POST sent -> connected, client side. */
  setupMs: number | null;
  /** Client takes the end action -> client holds `stream_closed` (null: none can come, or none came). */
  actionToClosedMs: number | null;
  /** Client takes the end action -> server released the session. */
  actionToReleasedMs: number | null;
  /** Server sees the end (last track ended, or the close request) -> client holds `stream_closed`. */
  endSeenToClosedMs: number | null;
  /** Server sees the end -> server released the session. */
  endSeenToReleasedMs: number | null;
}

export const epochNowMs = (): number => performance.timeOrigin + performance.now();

/** Which stacks can run here: werift always; aiortc and Chromium when installed. */
export function availableStacks(): Stack[] {
  return ['werift', ...(aiortcAvailable() ? (['aiortc'] as const) : []), ...(existsSync(CHROMIUM_PATH) ? (['chromium'] as const) : [])];
}

/** The real server on loopback, with when each session's end was seen and when it was released. */
export class BenchServer {
  private readonly endSeen = new Map<string, number>();
  private readonly closeRequested = new Set<string>();
  private readonly released = new Map<string, number>();
  private browser: Browser | null = null;

  private constructor(readonly server: RunningServer) {}

  static async start(overrides: Partial<ServerConfig>): Promise<BenchServer> {
    let bench: BenchServer | null = null;
    const logger = createLogger({ level: 'info', format: 'json', console: false });
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          objectMode: true,
          write(entry: { message: string; session_id?: string }, _encoding, done) {
            bench?.noteLog(entry.message, entry.session_id);
            done();
          },
        }),
      }),
    );
    const config: ServerConfig = {
      ...loadConfig({ PORT: '0', HOST: '127.0.0.1' }),
      iceInterfaceAddress: '127.0.0.1',
      rateLimits: { offersPerMinute: 100_000, deletesPerMinute: 100_000 },
      detector: 'off',
      ...overrides,
    };
    bench = new BenchServer(await startServer({ config, logger }));
    return bench;
  }

  get url(): string {
    return this.server.url;
  }

  /**
   * The end is seen at the close request, or else at the last "Track ended" (a track ending
   * after a close request is part of the closing, not its cause).
   */
  private noteLog(message: string, sessionId: string | undefined): void {
    if (!sessionId) return;
    if (message === 'Session close requested' && !this.closeRequested.has(sessionId)) {
      this.closeRequested.add(sessionId);
      this.endSeen.set(sessionId, epochNowMs());
    } else if (message === 'Track ended' && !this.closeRequested.has(sessionId)) {
      this.endSeen.set(sessionId, epochNowMs());
    }
  }

  /** Starts timing a live session's release; call as soon as its id is known. */
  watch(sessionId: string): void {
    const peer = this.server.manager.get(sessionId);
    if (!peer) throw new Error(`session ${sessionId} is not live on the server`);
    void peer.released.then(() => this.released.set(sessionId, epochNowMs()));
  }

  async releasedAt(sessionId: string, timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.released.has(sessionId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.released.get(sessionId) ?? null;
  }

  endSeenAt(sessionId: string): number | null {
    return this.endSeen.get(sessionId) ?? null;
  }

  async chromium(): Promise<Browser> {
    this.browser ??= await launchChromium();
    return this.browser;
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.server.close();
  }

  /** One sample from the client's moments (epoch ms) and the server's. */
  async sample(stack: Stack, path: EndPath, sessionId: string, client: { setupMs: number | null; actionAt: number; closedAt: number | null }): Promise<Sample> {
    const releasedAt = await this.releasedAt(sessionId);
    const endSeenAt = this.endSeenAt(sessionId);
    const minus = (later: number | null, earlier: number | null) => (later === null || earlier === null ? null : later - earlier);
    return {
      stack,
      path,
      sessionId,
      setupMs: client.setupMs,
      actionToClosedMs: minus(client.closedAt, client.actionAt),
      actionToReleasedMs: minus(releasedAt, client.actionAt),
      endSeenToClosedMs: minus(client.closedAt, endSeenAt),
      endSeenToReleasedMs: minus(releasedAt, endSeenAt),
    };
  }
}

export interface RoundOptions {
  sessions: number;
  /** How long the sessions stream before they are ended. */
  streamMs: number;
}

/** K sessions of one stack, ended one way at once; one sample per session. */
export function runRound(bench: BenchServer, stack: Stack, path: EndPath, options: RoundOptions): Promise<Sample[]> {
  if (!PATHS[stack].includes(path)) throw new Error(`${stack} clients have no ${path} ending`);
  if (stack === 'werift') return weriftRound(bench, path, options);
  if (stack === 'aiortc') return aiortcRound(bench, path as AiortcEnd, options);
  return chromiumRound(bench, path as EndMode, options);
}

async function weriftRound(bench: BenchServer, path: EndPath, { sessions, streamMs }: RoundOptions): Promise<Sample[]> {
  const clients = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const startedAt = epochNowMs();
      const client = await StreamingClient.connect({ url: bench.url, interfaceAddress: '127.0.0.1' });
      bench.watch(client.sessionId);
      return { client, setupMs: epochNowMs() - startedAt };
    }),
  );
  const frames = Math.max(1, Math.round(streamMs / 33));
  await Promise.all(clients.flatMap(({ client }) => [client.sendVideoFrames(frames), client.sendAudioFrames(frames)]));
  const ends = await Promise.all(
    clients.map(async ({ client, setupMs }) => {
      const actionAt = epochNowMs();
      const closed = path === 'close' ? null : client.waitForStreamClosed(10_000).then(() => epochNowMs());
      if (path === 'bye') {
        client.stopVideo();
        client.stopAudio();
      } else if (path === 'end_stream') client.sendMessage({ type: 'end_stream' });
      else if (path === 'delete') await fetch(`${bench.url}/sessions/${client.sessionId}`, { method: 'DELETE' });
      else await client.close();
      return { client, setupMs, actionAt, closedAt: closed ? await closed : null };
    }),
  );
  const samples = await Promise.all(ends.map((end) => bench.sample('werift', path, end.client.sessionId, end)));
  await Promise.all(clients.map(({ client }) => client.close()));
  return samples;
}

async function aiortcRound(bench: BenchServer, path: AiortcEnd, { sessions, streamMs }: RoundOptions): Promise<Sample[]> {
  const run = await runAiortc({
    url: bench.url,
    sessions,
    end: path,
    mediaSeconds: streamMs / 1000,
    onLine: (line) => {
      if (line.event === 'connected') bench.watch(line.session_id);
    },
  });
  const offset = epochNowMs() - monotonicNowMs();
  const failed = run.sessions.filter((session) => !session.done?.ok);
  if (failed.length > 0) throw new Error(`aiortc: ${failed.length} of ${sessions} sessions failed: ${JSON.stringify(failed.map((s) => s.done?.errors))}\n${run.stderr.slice(-2000)}`);
  return Promise.all(
    run.sessions.map((session) =>
      bench.sample('aiortc', path, session.sessionId!, {
        setupMs: session.connected?.setup_ms ?? null,
        actionAt: session.ending!.t_ms + offset,
        closedAt: session.streamClosed ? session.streamClosed.t_ms + offset : null,
      }),
    ),
  );
}

async function chromiumRound(bench: BenchServer, path: EndMode, { sessions: count, streamMs }: RoundOptions): Promise<Sample[]> {
  const sessions = await ChromiumSessions.start(await bench.chromium(), { serverUrl: bench.url, sessions: count });
  try {
    for (const id of sessions.sessionIds) bench.watch(id);
    await sessions.page.waitForTimeout(streamMs);
    const results = await sessions.end(path);
    return await Promise.all(
      results.map((result) =>
        bench.sample('chromium', path as EndPath, result.session_id, {
          setupMs: result.setup_ms,
          actionAt: result.time_origin_ms + result.end_action_at_ms!,
          closedAt: result.stream_closed_at_ms === null ? null : result.time_origin_ms + result.stream_closed_at_ms,
        }),
      ),
    );
  } finally {
    await sessions.close();
  }
}
