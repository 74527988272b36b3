import { randomUUID } from 'node:crypto';
import type { InspectionEvent } from 'xstate';
import type { ServerConfig } from '../config';
import { errorMessage, type Logger } from '../logger';
import type { OpenMedia } from '../peer/mediaPlacement';
import { SessionClosedError } from '../peer/negotiation';
import { PeerSession } from '../peer/peerSession';
import type { SessionListEntry, SessionView } from '../protocol';
import { acceptBundleOnly } from '../webrtc/bundleOnly';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import { SummaryArchive } from './summaryArchive';
import { SummaryWebhook, type SummaryWebhookStats } from './summaryWebhook';

/** How long shutdown waits for the webhook to deliver the summaries still queued. */
const WEBHOOK_FLUSH_TIMEOUT_MS = 2000;

export class NotAcceptingError extends Error {
  override name = 'NotAcceptingError';
}

export class NegotiationError extends Error {
  override name = 'NegotiationError';
}

const DEFAULT_RECEIVED_VIDEO: ReceivedVideo = { videoCodecs: ['VP8', 'VP9', 'H264'], h264Profiles: ['constrained baseline'] };

export interface SessionManagerOptions {
  config: ServerConfig;
  logger: Logger;
  /** Opens a new session's media side: on the main thread or in a media worker. */
  openMedia: OpenMedia;
  /** The video sessions receive (the decoders'); default VP8, VP9, H264 constrained baseline. */
  receivedVideo?: ReceivedVideo;
  /** Called with each new session before its offer is negotiated. */
  onSessionCreated?: (peer: PeerSession) => void;
  /** Called with each session once it is released, after its record is archived. */
  onSessionReleased?: (peer: PeerSession) => void;
  /** The inspection observer for a new session's actor (INSPECT=1). */
  inspectSession?: (sessionId: string) => (event: InspectionEvent) => void;
}

/**
 * The only place that knows where sessions live. The tracking set holds every peer connection
 * not yet cleaned up (the seed's global `peer_connections`); closed sessions move to the
 * summary archive for the retention window. Callers ask through `get`, `live` and `count`.
 */
export class SessionManager {
  private readonly trackingSet = new Map<string, PeerSession>();
  /** Untracked by their Cleanup step, waiting for Released. */
  private readonly releasing = new Map<string, PeerSession>();
  private readonly archive: SummaryArchive;
  private readonly webhook: SummaryWebhook | null;
  private accepting = true;
  private shuttingDown: Promise<void> | null = null;
  /** Drains waiting for the last session to be released. */
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly options: SessionManagerOptions) {
    this.archive = new SummaryArchive(options.config.summaryRetentionMs);
    const { config } = options;
    this.webhook = config.summaryWebhookUrl
      ? new SummaryWebhook({
          url: config.summaryWebhookUrl,
          secret: config.summaryWebhookSecret,
          maxAttempts: config.summaryWebhookMaxAttempts,
          queueSize: config.summaryWebhookQueueSize,
          logger: options.logger,
        })
      : null;
  }

  /** A tracked session (not yet cleaned up), or undefined. */
  get(sessionId: string): PeerSession | undefined {
    return this.trackingSet.get(sessionId);
  }

  /** Every tracked session, oldest first. */
  live(): PeerSession[] {
    return [...this.trackingSet.values()];
  }

  /** The video offers may use: the codecs and H264 profiles the decoders decode, in the server's order of preference. */
  get receivedVideo(): ReceivedVideo {
    return this.options.receivedVideo ?? DEFAULT_RECEIVED_VIDEO;
  }

  /** How many sessions are tracked (what `maxSessions` limits). */
  get count(): number {
    return this.trackingSet.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  get isFull(): boolean {
    return this.trackingSet.size >= this.options.config.maxSessions;
  }

  /** Creates the peer connection, its session and actor, and answers the offer. */
  async createSession(offerSdp: string): Promise<{ sessionId: string; answerSdp: string }> {
    if (!this.accepting) throw new NotAcceptingError('the server is shutting down');
    if (this.isFull) {
      throw new NotAcceptingError(`the server holds its maximum of ${this.options.config.maxSessions} sessions`);
    }
    const id = randomUUID();
    const peer = new PeerSession({
      id,
      config: this.options.config,
      logger: this.options.logger,
      openMedia: this.options.openMedia,
      untrack: (session) => {
        if (this.trackingSet.delete(session.id)) this.releasing.set(session.id, session);
        this.notifyIfIdle();
      },
      inspect: this.options.inspectSession?.(id),
    });
    this.trackingSet.set(peer.id, peer);
    this.options.onSessionCreated?.(peer);
    void peer.released.then(() => {
      this.releasing.delete(peer.id);
      const record = peer.view();
      this.archive.add(record);
      this.webhook?.enqueue(record);
      this.options.onSessionReleased?.(peer);
      this.notifyIfIdle();
    });
    try {
      const answerSdp = await peer.negotiate(acceptBundleOnly(offerSdp));
      return { sessionId: peer.id, answerSdp };
    } catch (error) {
      this.options.logger.warn('Offer rejected', { session_id: peer.id, error: errorMessage(error) });
      await peer.close('SESSION_FAILED');
      throw new NegotiationError(errorMessage(error));
    }
  }

  /** Applies a new offer to a live session; undefined for an id not in the tracking set. */
  async renegotiate(sessionId: string, offerSdp: string): Promise<string | undefined> {
    const peer = this.trackingSet.get(sessionId);
    if (!peer) return undefined;
    try {
      return await peer.renegotiate(acceptBundleOnly(offerSdp));
    } catch (error) {
      if (error instanceof SessionClosedError) throw error;
      this.options.logger.warn('Renegotiation failed', { session_id: sessionId, error: errorMessage(error) });
      throw new NegotiationError(errorMessage(error));
    }
  }

  /** A live session, or the record of one that ended within the retention window. */
  view(sessionId: string): SessionView | undefined {
    return this.trackingSet.get(sessionId)?.view() ?? this.archive.get(sessionId) ?? this.releasing.get(sessionId)?.view();
  }

  list(): SessionListEntry[] {
    const live = [...this.trackingSet.values(), ...this.releasing.values()].map((peer) => peer.view());
    return [...live, ...this.archive.all()]
      .map(({ session_id, state, started_at, ended_at }) => ({ session_id, state, started_at, ended_at }))
      .sort((a, b) => b.started_at - a.started_at);
  }

  /**
   * Ends a session (HTTP DELETE) and resolves with its final record, or undefined for an
   * unknown id. Ending a session that already ended returns its record.
   */
  async closeSession(sessionId: string): Promise<SessionView | undefined> {
    const peer = this.trackingSet.get(sessionId) ?? this.releasing.get(sessionId);
    if (!peer) return this.archive.get(sessionId);
    await peer.close('CLOSE_REQUESTED');
    return this.archive.get(sessionId) ?? peer.view();
  }

  /** The summary webhook's counters, or null when no webhook is configured. */
  webhookStats(): SummaryWebhookStats | null {
    return this.webhook?.stats() ?? null;
  }

  /**
   * Stops taking sessions, gives the open ones up to `timeoutMs` to end on their own, then
   * shuts down (closing whatever is left with server_shutdown).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    if (!this.isIdle && timeoutMs > 0 && !this.shuttingDown) {
      this.options.logger.info('Draining: waiting for sessions to end', { sessions: this.trackingSet.size, timeout_ms: timeoutMs });
      await this.untilIdle(timeoutMs);
    }
    await this.shutdown();
  }

  private get isIdle(): boolean {
    return this.trackingSet.size === 0 && this.releasing.size === 0;
  }

  private untilIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
      if (this.isIdle) done();
    });
  }

  private notifyIfIdle(): void {
    if (this.isIdle) for (const waiter of [...this.idleWaiters]) waiter();
  }

  /** A5: closes every session concurrently; a session that fails to close does not stop the others. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.accepting = false;
      const peers = [...this.trackingSet.values(), ...this.releasing.values()];
      this.options.logger.info('Shutting down, closing all peer connections...', { sessions: peers.length });
      const results = await Promise.allSettled(peers.map((peer) => peer.close('SHUTDOWN')));
      for (const result of results) {
        if (result.status === 'rejected') {
          this.options.logger.error('Session failed to close during shutdown', { error: errorMessage(result.reason) });
        }
      }
      this.trackingSet.clear();
      this.archive.close();
      this.options.logger.info('All peer connections closed');
      await this.webhook?.close(WEBHOOK_FLUSH_TIMEOUT_MS);
    })();
    return this.shuttingDown;
  }
}
