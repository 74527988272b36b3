/**
 * The three client stacks the latency benches drive against one in-process server: this repo's
 * werift client, aiortc (test/foreign/aiortc_client.py, a separate Python process) and Chromium
 * (test/web/chromiumSessions.ts, K connections in one page). A round starts K sessions of one
 * stack, lets them stream, ends them all one way, and returns one sample per session.
 *
 * Every time is epoch milliseconds, taken where it happens and from events, never from log text:
 * the server's release when the session's `released` resolves in this process (performance
 * timeOrigin + now), the end it saw from the session's timeline of states (see endSeenAt), the
 * client's moments in the client's own process (the page's timeOrigin + now; aiortc's
 * CLOCK_MONOTONIC converted here; the werift client's here). All run on one host, so the clocks
 * agree to well under a millisecond; the timeline's whole milliseconds add up to one more.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Browser } from 'playwright-core';
import { StreamingClient } from '../client/streamingClient';
import type { PeerSession } from '../src/sessions/peerSession';
import type { SessionView } from '../src/protocol';
import { aiortcAvailable, monotonicNowMs, runAiortc, type AiortcEnd } from '../test/foreign/aiortcClient';
import { startLoopbackServer, type ConfigOverrides, type LoopbackServer } from '../test/helpers/loopbackServer';
import { CHROMIUM_PATH, launchChromium } from '../test/web/browserHarness';
import { ChromiumSessions, type EndMode } from '../test/web/chromiumSessions';

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

/**
 * When the server saw a session's end, on this process's clock: the last time its actor went
 * from `Active` to `TrackEnding` (its last live track ended, or a close trigger came), read from
 * the session's timeline. Timeline times are whole milliseconds of the wall clock (Date.now()),
 * so the end is placed by its distance to the timeline's `Released`, taken back from the moment
 * `released` resolved here (the same tick as the actor's last step). Null without both entries.
 */
export function endSeenAt(timeline: SessionView['timeline'], releasedAt: number): number | null {
  const last = timeline.at(-1);
  if (last?.state !== 'Released') return null;
  for (let i = timeline.length - 1; i > 0; i--) {
    if (timeline[i]!.state === 'TrackEnding' && timeline[i - 1]!.state === 'Active') return releasedAt - (last.at - timeline[i]!.at);
  }
  return null;
}

/**
 * The real server on loopback (test/helpers/loopbackServer.ts), watching every session from its
 * creation (startServer's onSessionCreated): when it was released, and its timeline.
 */
export class BenchServer {
  private browser: Browser | null = null;

  private constructor(
    readonly server: LoopbackServer,
    private readonly sessions: Map<string, { peer: PeerSession; releasedAt: Promise<number> }>,
  ) {}

  static async start(config: ConfigOverrides): Promise<BenchServer> {
    const sessions = new Map<string, { peer: PeerSession; releasedAt: Promise<number> }>();
    const server = await startLoopbackServer({
      config,
      logLevel: 'warn',
      onSessionCreated: (peer) => sessions.set(peer.id, { peer, releasedAt: peer.released.then(() => epochNowMs()) }),
    });
    return new BenchServer(server, sessions);
  }

  get url(): string {
    return this.server.url;
  }

  /** When the session was released (epoch ms, this process's clock); null if not within the timeout. */
  async releasedAt(sessionId: string, timeoutMs = 10_000): Promise<number | null> {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`session ${sessionId} was never created on the server`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([session.releasedAt, timeout]);
    } finally {
      clearTimeout(timer);
    }
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
    const endSeen = releasedAt === null ? null : endSeenAt(this.sessions.get(sessionId)!.peer.view().timeline, releasedAt);
    const minus = (later: number | null, earlier: number | null) => (later === null || earlier === null ? null : later - earlier);
    return {
      stack,
      path,
      sessionId,
      setupMs: client.setupMs,
      actionToClosedMs: minus(client.closedAt, client.actionAt),
      actionToReleasedMs: minus(releasedAt, client.actionAt),
      endSeenToClosedMs: minus(client.closedAt, endSeen),
      endSeenToReleasedMs: minus(releasedAt, endSeen),
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
