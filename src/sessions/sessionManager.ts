import { randomUUID } from 'node:crypto';
import type { InspectionEvent } from 'xstate';
import type { ServerConfig } from '../config';
import { errorMessage, type Logger } from '../logger';
import type { OpenMedia } from './mediaPlacement';
import { PeerSession } from './peerSession';
import type { SessionCaller, SessionListEntry, SessionView } from '../protocol';
import type { Cluster, ClusterHost } from '../cluster/cluster';
import type { InstanceInfo } from '../cluster/instanceRegistry';
import type { RedisLinkStats } from '../cluster/redisLink';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import { ClosedRecords } from '../summaries/closedRecords';
import { IdleWait } from './idleWait';
import { endAtCredentialDeadline } from './credentialDeadline';
import type { SummaryWebhookStats } from '../summaries/summaryWebhook';
import { summarySinkFor } from '../summaries/summarySinks';
import { FIRST_PAGE, pageOf, type ListingPage, type SessionPage } from '../protocol/sessionListing';
import { NotAcceptingError, NegotiationError, isError } from '../errors';

/** How long shutdown waits for the webhook to deliver the summaries still queued. */
const WEBHOOK_FLUSH_TIMEOUT_MS = 2000;

const DEFAULT_RECEIVED_VIDEO: ReceivedVideo = { videoCodecs: ['VP8', 'VP9', 'H264'], h264Profiles: ['constrained baseline'] };

/** Who creates a session: the subject that owns it, and how long its credential lets it last. */
export interface SessionOwner {
  subject: string;
  maxSessionMs?: number;
  /** The label its record carries (`name`): a JWT's `session_name`. */
  sessionName?: string;
}

/** The slices of the configuration the session manager uses (and hands to each session and to its summaries' sink). */
export type SessionManagerSettings = Pick<ServerConfig, 'sessions' | 'timeouts' | 'summaries' | 'cluster'>;

export interface SessionManagerOptions {
  settings: SessionManagerSettings;
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
  /** The other instances (REDIS_URL); without it this instance is alone and everything is in memory. */
  cluster?: Cluster;
  /** Connections each media worker holds, published to the cluster. */
  mediaWorkerLoads?: () => Record<string, number>;
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
  /** Closed sessions' records: archived here, sent to the webhook, written to the cluster. */
  private readonly archive: ClosedRecords;
  private readonly cluster: Cluster | null;
  private accepting = true;
  private readonly createdAt = Date.now();
  private shuttingDown: Promise<void> | null = null;
  /** Drains waiting for the last session to be released. */
  private readonly idle = new IdleWait(() => this.trackingSet.size === 0 && this.releasing.size === 0);

  constructor(private readonly options: SessionManagerOptions) {
    const { settings } = options;
    this.cluster = options.cluster ?? null;
    const summaries = summarySinkFor(settings.summaries, settings.cluster, options.logger, this.cluster);
    this.archive = new ClosedRecords(settings.summaries.summaryRetentionMs, summaries, this.cluster);
    this.cluster?.start(this.clusterHost());
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

  /** Video tracks, and audio tracks, one session's offer may send (MAX_TRACKS_PER_KIND). */
  get maxTracksPerKind(): number {
    return this.options.settings.sessions.maxTracksPerKind;
  }

  /** How many sessions are tracked (what `maxSessions` limits). */
  get count(): number {
    return this.trackingSet.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  get isFull(): boolean {
    return this.trackingSet.size >= this.options.settings.sessions.maxSessions;
  }

  /**
   * Creates the peer connection, its session and actor, and answers the offer. `owner` is the
   * creating credential's subject, and its `maxSessionMs` ends the session then (CLOSE_REQUESTED).
   */
  async createSession(offerSdp: string, owner?: SessionOwner): Promise<{ sessionId: string; answerSdp: string }> {
    if (!this.accepting) throw new NotAcceptingError('the server is shutting down');
    if (this.isFull) {
      throw new NotAcceptingError(`the server holds its maximum of ${this.options.settings.sessions.maxSessions} sessions`);
    }
    const id = randomUUID();
    const peer = new PeerSession({
      id,
      owner: owner?.subject,
      name: owner?.sessionName,
      timeouts: this.options.settings.timeouts,
      logger: this.options.logger,
      openMedia: this.options.openMedia,
      untrack: (session) => {
        if (this.trackingSet.delete(session.id)) this.releasing.set(session.id, session);
        this.idle.check();
      },
      inspect: this.options.inspectSession?.(id),
    });
    this.trackingSet.set(peer.id, peer);
    this.options.onSessionCreated?.(peer);
    void peer.released.then(() => {
      this.releasing.delete(peer.id);
      const record = peer.view();
      this.archive.add(record);
      this.options.onSessionReleased?.(peer);
      this.idle.check();
    });
    try {
      const answerSdp = await peer.negotiate(offerSdp);
      // Published before the client has its answer: a DELETE on any instance finds it.
      await this.cluster?.sessionOpened(peer.view());
      if (owner?.maxSessionMs !== undefined) endAtCredentialDeadline(peer, owner.maxSessionMs, this.options.logger);
      return { sessionId: peer.id, answerSdp };
    } catch (error) {
      const message = errorMessage(error);
      await peer.close('SESSION_FAILED');
      if (isError(error, 'NoCandidateError')) {
        // Not the client's fault: this server has no port left (or no address) to offer.
        this.options.logger.error('Session refused: no ICE candidate to answer with', { session_id: peer.id, error: message, sessions: this.count });
        throw new NotAcceptingError(`${message}; try again later or another server`);
      }
      this.options.logger.warn('Offer rejected', { session_id: peer.id, error: message });
      throw new NegotiationError(message);
    }
  }

  /** Applies a new offer to a live session; undefined for an id not in the tracking set. */
  async renegotiate(sessionId: string, offerSdp: string): Promise<string | undefined> {
    const peer = this.trackingSet.get(sessionId);
    if (!peer) return undefined;
    try {
      return await peer.renegotiate(offerSdp);
    } catch (error) {
      if (isError(error, 'SessionClosedError') || isError(error, 'FingerprintChangedError')) throw error;
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
   * Ends a session of this instance (HTTP DELETE, or another instance's) and resolves with its
   * final record, or undefined for an unknown id. Ending a session that already ended returns its record.
   * A publisher `caller` ends only its own sessions: another's is undefined, as if unknown.
   */
  async endHere(sessionId: string, caller?: SessionCaller): Promise<SessionView | undefined> {
    const peer = this.trackingSet.get(sessionId) ?? this.releasing.get(sessionId);
    const mayEnd = (owner: string | undefined) => caller?.role !== 'publish' || owner === caller.subject;
    if (!peer) {
      const record = this.archive.get(sessionId);
      return record && mayEnd(record.owner) ? record : undefined;
    }
    if (!mayEnd(peer.owner)) return undefined;
    await peer.close('CLOSE_REQUESTED');
    await this.archive.written(sessionId);
    return this.archive.get(sessionId) ?? peer.view();
  }

  /** A session of any instance: this one's, or what the cluster knows (GET /sessions/<id>). */
  async find(sessionId: string): Promise<SessionView | undefined> {
    return this.view(sessionId) ?? (await this.cluster?.find(sessionId));
  }

  /** The sessions of every instance, newest first (GET /sessions); this instance's own records win. */
  async listAll(page: ListingPage = FIRST_PAGE): Promise<SessionPage> {
    const local = this.list();
    if (!this.cluster) return pageOf(local, page);
    const known = new Set(local.map((entry) => entry.session_id));
    const others = (await this.cluster.list(page)).filter((entry) => !known.has(entry.session_id));
    return pageOf([...local, ...others], page);
  }

  /** Ends a session wherever it lives (DELETE): here, or through the instance holding it. */
  async end(sessionId: string, caller?: SessionCaller): Promise<SessionView | undefined> {
    const here = this.trackingSet.has(sessionId) || this.releasing.has(sessionId) || this.archive.get(sessionId);
    if (here || !this.cluster) return this.endHere(sessionId, caller);
    return this.cluster.endElsewhere(sessionId, caller);
  }

  /** The instance holding a live session when another one does (a renegotiation must go there). */
  async ownerOf(sessionId: string): Promise<InstanceInfo | null> {
    return (await this.cluster?.ownerOf(sessionId)) ?? null;
  }

  /** This instance's name in the cluster ('local' without one). */
  get instanceId(): string {
    return this.cluster?.instanceId ?? 'local';
  }

  /** Redis's state in a cluster, or null without one. */
  clusterStats(): RedisLinkStats | null {
    return this.cluster?.stats() ?? null;
  }

  /** The cluster's instances, or this one alone. */
  async instances(): Promise<InstanceInfo[]> {
    return this.cluster ? this.cluster.instances() : [this.instanceInfo()];
  }

  /** This instance alone, as GET /cluster lists it without Redis. */
  private instanceInfo(): InstanceInfo {
    const now = Date.now();
    return { instance_id: this.instanceId, url: null, ...this.clusterHost().load(), started_at: this.createdAt, heartbeat_at: now };
  }

  /** Where the cluster finds this instance's sessions and load. */
  private clusterHost(): ClusterHost {
    return {
      view: (id) => this.view(id),
      endHere: (id, caller) => this.endHere(id, caller),
      liveSessions: () => this.live().map((peer) => ({ sessionId: peer.id, state: peer.state, startedAt: peer.startTime })),
      archived: () => this.archive.all(),
      load: () => ({
        sessions: this.count,
        max_sessions: this.options.settings.sessions.maxSessions,
        accepting: this.accepting,
        media_workers: this.options.mediaWorkerLoads?.() ?? {},
      }),
    };
  }

  /** The summary webhook's counters, or null when no webhook is configured. */
  webhookStats(): SummaryWebhookStats | null {
    return this.archive.summaryStats();
  }

  /**
   * Stops taking sessions, gives the open ones up to `timeoutMs` to end on their own, then
   * shuts down (closing whatever is left with server_shutdown).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    this.cluster?.publishNow();
    if (this.count + this.releasing.size > 0 && timeoutMs > 0 && !this.shuttingDown) {
      this.options.logger.info('Draining: waiting for sessions to end', { sessions: this.trackingSet.size, timeout_ms: timeoutMs });
      await this.idle.wait(timeoutMs);
    }
    await this.shutdown();
  }

  /** A5: closes every session concurrently; a session that fails to close does not stop the others. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.accepting = false;
      this.cluster?.publishNow();
      const peers = [...this.trackingSet.values(), ...this.releasing.values()];
      this.options.logger.info('Shutting down, closing all peer connections...', { sessions: peers.length });
      const results = await Promise.allSettled(peers.map((peer) => peer.close('SHUTDOWN')));
      for (const result of results) {
        if (result.status === 'rejected') {
          this.options.logger.error('Session failed to close during shutdown', { error: errorMessage(result.reason) });
        }
      }
      this.trackingSet.clear();
      this.options.logger.info('All peer connections closed');
      await this.archive.close(WEBHOOK_FLUSH_TIMEOUT_MS);
    })();
    return this.shuttingDown;
  }
}
