/**
 * Drives K concurrent WebRTC sessions from one Chromium page, for tests and benchmarks: each
 * streams a clone of the fake camera and microphone to POST /offer with an `events` data
 * channel, records every message with its arrival time, and is ended in a chosen way.
 *
 * One page holds all K connections (one renderer, one capture device): on two cores K pages
 * would cost K renderer processes. Every time is the page's performance.now() in milliseconds;
 * `time_origin_ms` (performance.timeOrigin, epoch ms) converts one to Date.now() terms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * How a session is ended, all sessions at once. Chromium sends no RTCP BYE for any of these
 * (checked on the server's decrypted RTCP), so none ends a track with `rtcp_bye`.
 * - `end_stream`: `{"type":"end_stream"}` on the data channel (server: `client_request`);
 * - `stop_tracks`: `track.stop()` on both tracks: RTP just stops, the server ends each track by inactivity;
 * - `replace_track_null`: `sender.replaceTrack(null)` on both senders: the same, by inactivity;
 * - `transceiver_stop`: `transceiver.stop()` on both, then a new offer to POST /sessions/<id>/offer
 *   (server: `transceiver_stopped`). The audio m-section is the BUNDLE tag: stopping it makes
 *   Chromium move the data channel to a new transport (ICE at setLocalDescription, SCTP when it
 *   applies the answer) that werift never connects, so `stream_closed` is lost (it races with the
 *   move and almost always loses): use `end_to_released_ms`;
 * - `delete`: DELETE /sessions/<id> from the page (server: `client_request`);
 * - `close`: `pc.close()` (server: `peer_closed`); no `stream_closed` can arrive.
 */
export type EndMode = 'end_stream' | 'stop_tracks' | 'replace_track_null' | 'transceiver_stop' | 'delete' | 'close';

export const END_MODES: readonly EndMode[] = ['end_stream', 'stop_tracks', 'replace_track_null', 'transceiver_stop', 'delete', 'close'];

export interface PageMessage {
  /** Arrival (the channel's message event), page clock. */
  at_ms: number;
  /** The message as received (binary ones as a placeholder). */
  data: string;
}

/** What the page recorded for one session; every `*_ms` is page clock or null when it did not happen. */
export interface PageSessionRecord {
  index: number;
  session_id: string | null;
  /** Why the session could not start (its offer or connection failed). */
  error: string | null;
  created_at_ms: number;
  offer_posted_at_ms: number | null;
  answered_at_ms: number | null;
  connected_at_ms: number | null;
  channel_open_at_ms: number | null;
  connection_states: Array<{ state: string; at_ms: number }>;
  end_mode: EndMode | null;
  /** Just before the end action was taken. */
  end_action_at_ms: number | null;
  /** The action finished (the renegotiation answered, the DELETE answered, ...). */
  end_action_done_at_ms: number | null;
  end_action_error: string | null;
  stream_closed_at_ms: number | null;
  channel_closed_at_ms: number | null;
  messages: PageMessage[];
}

/** The session as the server tells it afterwards (GET /sessions/<id>). */
export interface ServerSessionRecord {
  state: string;
  reason: string | null;
  tracks: Array<{ kind: string; status: string; end_reason: string | null }>;
  summary: Record<string, unknown> | null;
  /** Epoch ms when the server released the session. */
  ended_at: number | null;
}

export interface ChromiumSessionResult extends PageSessionRecord {
  session_id: string;
  time_origin_ms: number;
  /** POST /offer sent -> connectionState `connected`. */
  setup_ms: number;
  /** End action taken -> `stream_closed` arrived (both page clock), null when it did not arrive. */
  end_to_closed_ms: number | null;
  /**
   * End action taken -> the server released the session (its `ended_at`). Two clocks of the same
   * host (the page's timeOrigin + now, the server's Date.now()): good to a millisecond or so.
   */
  end_to_released_ms: number | null;
  /** GET /sessions/<id> after the wait (its state is not Released if the wait timed out); null if it failed. */
  server: ServerSessionRecord | null;
}

export interface ChromiumSessionsOptions {
  /** e.g. http://127.0.0.1:8080 ; the page is opened on this origin so its fetches need no CORS. */
  serverUrl: string;
  sessions: number;
  /** Bearer token when the server has AUTH_TOKEN. */
  token?: string;
  /** Per session, from its creation. Default 20 s. */
  connectTimeoutMs?: number;
}

export interface EndOptions {
  /**
   * How long to wait, after the end action, for every session to be released by the server and
   * to have its `stream_closed` (or closed channel, or the grace after release). Default 15 s.
   */
  timeoutMs?: number;
}

/**
 * The server releases a session only once `stream_closed` is acknowledged (or when it cannot
 * be sent): an acknowledged message is in the page within milliseconds. Nothing by this long
 * after the release means it was not delivered.
 */
const AFTER_RELEASE_GRACE_MS = 300;
/** Between looks at the page and the server while waiting (the times measured do not depend on it). */
const POLL_MS = 50;

const PAGE_SCRIPT = readFileSync(path.join(__dirname, 'chromiumSessionsPage.js'), 'utf8');

export class ChromiumSessions {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly options: ChromiumSessionsOptions,
    /** Server session ids, in session order. */
    readonly sessionIds: string[],
    readonly timeOriginMs: number,
  ) {}

  /**
   * Opens a fresh context and page on the server's origin and starts every session at once.
   * Throws (after closing the context) unless every session connected.
   */
  static async start(browser: Browser, options: ChromiumSessionsOptions): Promise<ChromiumSessions> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // /healthz needs no token: any page of the origin will do, the script brings its own code.
      await page.goto(`${options.serverUrl}/healthz`);
      await page.evaluate(PAGE_SCRIPT);
      const args = { count: options.sessions, token: options.token ?? null, connectTimeoutMs: options.connectTimeoutMs ?? 20_000 };
      const records = await page.evaluate<PageSessionRecord[]>(`window.chromiumSessions.start(${JSON.stringify(args)})`);
      const failed = records.filter((record) => record.error !== null || record.session_id === null);
      if (failed.length > 0) {
        throw new Error(`${failed.length} of ${records.length} sessions did not start: ${failed.map((r) => r.error).join('; ')}`);
      }
      const timeOriginMs = await page.evaluate<number>('performance.timeOrigin');
      return new ChromiumSessions(context, page, options, records.map((record) => record.session_id!), timeOriginMs);
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  /** What the page has recorded so far (messages included). */
  records(): Promise<PageSessionRecord[]> {
    return this.page.evaluate<PageSessionRecord[]>('window.chromiumSessions.records()');
  }

  /** Each connection's and data channel's state now, e.g. to see why a session went quiet. */
  states(): Promise<Array<{ connection: string; ice: string; dtls: string | null; sctp: string | null; channel: string }>> {
    return this.page.evaluate('window.chromiumSessions.states()');
  }

  /** Polls the page until `accept` holds for every session's record; throws after `timeoutMs`. */
  async waitUntilEvery(accept: (record: PageSessionRecord) => boolean, timeoutMs: number, what: string): Promise<PageSessionRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await this.records();
      if (records.every(accept)) return records;
      if (Date.now() > deadline) throw new Error(`not every session ${what} within ${timeoutMs} ms`);
      await this.page.waitForTimeout(50);
    }
  }

  /**
   * Ends every session with `mode` at once, waits until each is released by the server and has
   * its `stream_closed` (or will not get it), and returns one result per session, in order.
   */
  async end(mode: EndMode, options: EndOptions = {}): Promise<ChromiumSessionResult[]> {
    await this.page.evaluate(`window.chromiumSessions.end(${JSON.stringify({ mode })})`);
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    const releasedSeenAt = new Map<string, number>();
    let records = await this.records();
    for (;;) {
      const unreleased = this.sessionIds.filter((id) => !releasedSeenAt.has(id));
      const states = await Promise.all(unreleased.map((id) => this.serverRecord(id)));
      unreleased.forEach((id, i) => {
        if (states[i]?.state === 'Released') releasedSeenAt.set(id, Date.now());
      });
      const finished = records.every((record, index) => {
        const seen = releasedSeenAt.get(this.sessionIds[index]!);
        const actionOver = record.end_action_done_at_ms !== null || record.end_action_error !== null;
        const heard = record.stream_closed_at_ms !== null || record.channel_closed_at_ms !== null;
        return actionOver && seen !== undefined && (heard || Date.now() - seen >= AFTER_RELEASE_GRACE_MS);
      });
      if (finished || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      records = await this.records();
    }
    const servers = await Promise.all(this.sessionIds.map((id) => this.serverRecord(id)));
    return records.map((record, index) => {
      const server = servers[index] ?? null;
      const endedAt = server?.state === 'Released' ? server.ended_at : null;
      const endAction = record.end_action_at_ms;
      return {
        ...record,
        session_id: record.session_id!,
        time_origin_ms: this.timeOriginMs,
        setup_ms: record.connected_at_ms! - record.offer_posted_at_ms!,
        end_to_closed_ms: record.stream_closed_at_ms === null || endAction === null ? null : record.stream_closed_at_ms - endAction,
        end_to_released_ms: endedAt === null || endAction === null ? null : endedAt - (this.timeOriginMs + endAction),
        server,
      };
    });
  }

  /** Closes the page's connections and the context (safe to call twice). */
  async close(): Promise<void> {
    await this.page.evaluate('window.chromiumSessions.closeAll()').catch(() => {});
    await this.context.close();
  }

  private get headers(): Record<string, string> {
    return this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
  }

  /** GET /sessions/<id>, or null when the server cannot say. */
  private async serverRecord(sessionId: string): Promise<ServerSessionRecord | null> {
    const response = await fetch(`${this.options.serverUrl}/sessions/${sessionId}`, { headers: this.headers }).catch(() => null);
    return response?.ok ? ((await response.json()) as ServerSessionRecord) : null;
  }
}

/** Starts `sessions`, lets them stream for `streamMs` once all are connected, ends them with `endMode`. */
export async function runChromiumSessions(
  browser: Browser,
  options: ChromiumSessionsOptions & EndOptions & { endMode: EndMode; streamMs: number },
): Promise<ChromiumSessionResult[]> {
  const sessions = await ChromiumSessions.start(browser, options);
  try {
    await sessions.page.waitForTimeout(options.streamMs);
    return await sessions.end(options.endMode, options);
  } finally {
    await sessions.close();
  }
}
