import { randomUUID } from 'node:crypto';
import type { ClusterConfig } from './clusterConfig';
import { errorMessage, type Logger } from '../logger';
import type { SessionCaller, SessionListEntry, SessionView } from '../protocol';
import { listSessions, lookupSession, type LookupParts } from './clusterLookup';
import { ClusterRpc, type RpcMethod } from './clusterRpc';
import { InstanceRegistry, type InstanceInfo } from './instanceRegistry';
import type { ListingPage } from '../protocol/sessionListing';
import { RecordStore } from './recordStore';
import { RedisLink, type RedisLinkStats } from './redisLink';
import { SessionDirectory, type DirectoryEntry } from './sessionDirectory';
import { ClusterUnavailableError } from '../errors';

/** What the cluster needs from this instance's session manager. */
export interface ClusterHost {
  /** This instance's own record of a session (live, closing or archived), if it has one. */
  view(sessionId: string): SessionView | undefined;
  /** Ends one of this instance's sessions (another instance's DELETE). */
  /** Ends a session of this instance for `caller` (undefined: with no check), as SessionManager.endHere. */
  endHere(sessionId: string, caller?: SessionCaller): Promise<SessionView | undefined>;
  /** The sessions this instance holds. */
  liveSessions(): Array<Omit<DirectoryEntry, 'instanceId'>>;
  /** The records of sessions that ended here within the retention window. */
  archived(): SessionView[];
  load(): Pick<InstanceInfo, 'sessions' | 'max_sessions' | 'accepting' | 'media_workers'>;
}

export interface ClusterOptions {
  config: ClusterConfig;
  retentionMs: number;
  logger: Logger;
}

/**
 * This instance's part in a cluster coordinated through Redis: it publishes its load and its
 * sessions (directory entries and records) with a heartbeat, answers other instances' calls
 * about its sessions, and looks up the sessions it does not hold. While Redis is away the
 * sessions go on here; records wait in the link's backlog, and when Redis is back everything
 * this instance knows is written again (all of it when Redis came back empty).
 */
export class Cluster {
  readonly link: RedisLink;
  private readonly parts: LookupParts;
  private readonly startedAt = Date.now();
  private host: ClusterHost | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** The value of `<prefix>epoch` this instance last saw: a different one means Redis lost its data. */
  private epoch: string | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: ClusterOptions) {
    const { config, logger } = options;
    const prefix = config.keyPrefix;
    this.link = new RedisLink({ url: config.redisUrl, logger, backlogLimit: config.backlogLimit });
    const redis = this.link.redis;
    this.parts = {
      instanceId: config.instanceId,
      directory: new SessionDirectory(redis, { instanceId: config.instanceId, ttlMs: config.entryTtlMs, prefix }),
      records: new RecordStore(redis, { prefix, retentionMs: options.retentionMs }),
      registry: new InstanceRegistry(redis, { prefix, ttlMs: config.entryTtlMs }),
      rpc: new ClusterRpc({ link: this.link, prefix, instanceId: config.instanceId, timeoutMs: config.rpcTimeoutMs, logger, handle: (method, id, caller) => this.answer(method, id, caller) }),
    };
  }

  get instanceId(): string {
    return this.options.config.instanceId;
  }

  /** Starts publishing this instance and its sessions (now, if Redis is there; else when it comes). */
  start(host: ClusterHost): void {
    this.host = host;
    this.link.onReady(() => void this.resync());
    if (this.link.isUp) void this.resync();
    this.heartbeat = setInterval(() => void this.beat(), this.options.config.heartbeatMs);
  }

  /** Publishes a new session before its answer is sent, so any instance finds it at once. */
  async sessionOpened(record: SessionView): Promise<void> {
    if (!this.link.isUp) return; // written by the resync when Redis is back
    const tx = this.link.redis.multi();
    this.parts.directory.put(tx, record.session_id, record.state, record.started_at);
    this.parts.records.put(tx, { ...record, instance_id: this.instanceId });
    await tx.exec().catch((error: unknown) => this.options.logger.warn('Cluster: session not published', { session_id: record.session_id, error: errorMessage(error) }));
  }

  /** The final record replaces the opening one and the session leaves the directory, in one step; kept while Redis is away. */
  sessionEnded(record: SessionView): Promise<void> {
    return this.link.write(`record ${record.session_id}`, (redis) => {
      const tx = redis.multi();
      this.parts.records.put(tx, { ...record, instance_id: this.instanceId });
      this.parts.directory.drop(tx, record.session_id);
      return tx.exec();
    });
  }

  /** A session another instance holds or held. */
  find(sessionId: string): Promise<SessionView | undefined> {
    return this.fromRedis(() => lookupSession(this.parts, sessionId));
  }

  /** One page of the cluster's sessions as Redis knows them (this instance's included). */
  list(page: ListingPage): Promise<SessionListEntry[]> {
    return this.fromRedis(() => listSessions(this.parts, page));
  }

  /** Ends a session another instance holds, through that instance; an ended one's record. */
  async endElsewhere(sessionId: string, caller?: SessionCaller): Promise<SessionView | undefined> {
    const entry = await this.fromRedis(() => this.parts.directory.lookup(sessionId));
    if (entry && entry.instanceId !== this.instanceId) {
      return ((await this.parts.rpc.call(entry.instanceId, 'close', sessionId, caller)) as SessionView | null) ?? undefined;
    }
    return this.find(sessionId);
  }

  /** The instance holding a live session, if another one does. */
  async ownerOf(sessionId: string): Promise<InstanceInfo | null> {
    const entry = await this.fromRedis(() => this.parts.directory.lookup(sessionId));
    if (!entry || entry.instanceId === this.instanceId) return null;
    return this.fromRedis(() => this.parts.registry.get(entry.instanceId));
  }

  instances(): Promise<InstanceInfo[]> {
    return this.fromRedis(() => this.parts.registry.list());
  }

  stats(): RedisLinkStats {
    return this.link.stats();
  }

  /** Publishes this instance's state now (it stopped accepting). */
  publishNow(): void {
    void this.beat();
  }

  /**
   * Leaves the cluster: the records still in the backlog get up to `flushTimeoutMs`, then the
   * instance is removed from the index and the connections close. Idempotent.
   */
  close(flushTimeoutMs: number): Promise<void> {
    this.closing ??= (async () => {
      if (this.heartbeat) clearInterval(this.heartbeat);
      await this.parts.rpc.close();
      if (this.link.isUp) await this.parts.registry.remove(this.instanceId).catch(() => {});
      await this.link.close(flushTimeoutMs);
    })();
    return this.closing;
  }

  /** A read from Redis; an absent Redis is said plainly rather than as the client library's error. */
  private async fromRedis<T>(read: () => Promise<T>): Promise<T> {
    if (!this.link.isUp) throw new ClusterUnavailableError('Redis is unreachable: only the sessions of the instance answering are known');
    try {
      return await read();
    } catch (error) {
      if (!this.link.isUp) throw new ClusterUnavailableError(`Redis became unreachable: ${errorMessage(error)}`);
      throw error;
    }
  }

  private async answer(method: RpcMethod, sessionId: string, caller: SessionCaller | null): Promise<SessionView | undefined> {
    if (!this.host) return undefined;
    return method === 'close' ? this.host.endHere(sessionId, caller ?? undefined) : this.host.view(sessionId);
  }

  private info(): InstanceInfo {
    const now = Date.now();
    return { instance_id: this.instanceId, url: this.options.config.instanceUrl ?? null, ...this.host!.load(), started_at: this.startedAt, heartbeat_at: now };
  }

  /** Rewrites this instance's entry and its sessions' directory entries, and keeps their opening records. */
  private async beat(): Promise<void> {
    if (!this.host || !this.link.isUp || this.closing) return;
    this.link.retryBacklog();
    const tx = this.link.redis.multi();
    this.parts.registry.publish(tx, this.info());
    const live = this.host.liveSessions();
    this.parts.directory.rewrite(tx, live);
    for (const session of live) this.parts.records.keep(tx, session.sessionId);
    await tx.exec().catch(() => {}); // Redis went away: the next beat after it is back resyncs
  }

  /** After a (re)connection: everything this instance knows is written again. */
  private async resync(): Promise<void> {
    const host = this.host;
    if (!host || this.closing) return;
    try {
      const redis = this.link.redis;
      const key = `${this.options.config.keyPrefix}epoch`;
      await redis.set(key, randomUUID(), 'NX');
      const epoch = await redis.get(key);
      const emptied = this.epoch !== null && epoch !== this.epoch;
      this.epoch = epoch;
      const live = host.liveSessions();
      const tx = redis.multi();
      for (const session of live) {
        this.parts.directory.put(tx, session.sessionId, session.state, session.startedAt);
        const record = host.view(session.sessionId);
        if (record) this.parts.records.put(tx, { ...record, instance_id: this.instanceId });
      }
      if (emptied) for (const record of host.archived()) this.parts.records.put(tx, { ...record, instance_id: this.instanceId });
      for (const stale of await this.parts.directory.stale(new Set(live.map((session) => session.sessionId)))) this.parts.directory.drop(tx, stale);
      await tx.exec();
      await this.beat();
      if (emptied) this.options.logger.warn('Redis came back empty: this instance wrote again the sessions it holds and the records it keeps', { sessions: live.length });
    } catch (error) {
      this.options.logger.warn('Cluster: resync with Redis failed; the next connection retries', { error: errorMessage(error) });
    }
  }
}
