import type { ChainableCommander, Redis } from 'ioredis';

/** Where a live session is, as every instance sees it. */
export interface DirectoryEntry {
  sessionId: string;
  /** The instance that answered its offer and holds its connection. */
  instanceId: string;
  /** Its lifecycle state when last written (Active, TrackEnding, ...). */
  state: string;
  startedAt: number;
}

export interface SessionDirectoryOptions {
  /** This instance's id. */
  instanceId: string;
  /** An entry not refreshed within this time expires: its instance is presumed dead. */
  ttlMs: number;
  /** Prefix of every key (default "sc:"), so that several deployments can share one Redis. */
  prefix?: string;
}

/**
 * The cluster's session directory in Redis: session id -> owning instance. Each instance writes
 * its sessions' entries with an expiry and rewrites them with its heartbeat (with their current
 * state); an instance that dies (SIGKILL) stops, and its entries expire instead of living on as
 * ghosts. Writes are added to a caller's transaction, so that an entry leaves the directory in
 * the same step as the session's final record is written.
 */
export class SessionDirectory {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: SessionDirectoryOptions,
  ) {
    this.prefix = options.prefix ?? 'sc:';
  }

  /** Writes one of this instance's sessions and lists it in the instance's set. */
  put(tx: ChainableCommander, sessionId: string, state: string, startedAt: number): void {
    this.writeEntry(tx, { sessionId, state, startedAt });
    tx.sadd(this.instanceKey(), sessionId);
    tx.pexpire(this.instanceKey(), this.options.ttlMs);
  }

  /** The heartbeat: rewrites the entries of this instance's sessions (already in its set) with their current state. */
  rewrite(tx: ChainableCommander, sessions: Iterable<Omit<DirectoryEntry, 'instanceId'>>): void {
    for (const session of sessions) this.writeEntry(tx, session);
    tx.pexpire(this.instanceKey(), this.options.ttlMs);
  }

  private writeEntry(tx: ChainableCommander, { sessionId, state, startedAt }: Omit<DirectoryEntry, 'instanceId'>): void {
    const entry: DirectoryEntry = { sessionId, instanceId: this.options.instanceId, state, startedAt };
    tx.set(this.sessionKey(sessionId), JSON.stringify(entry), 'PX', this.options.ttlMs);
  }

  /** The session has ended here: it leaves the directory (its record lives on in the record store). */
  drop(tx: ChainableCommander, sessionId: string): void {
    tx.del(this.sessionKey(sessionId));
    tx.srem(this.instanceKey(), sessionId);
  }

  /** This instance's entries that are no longer live here (after an outage): to be dropped. */
  async stale(liveIds: ReadonlySet<string>): Promise<string[]> {
    const listed = await this.redis.smembers(this.instanceKey());
    return listed.filter((sessionId) => !liveIds.has(sessionId));
  }

  async lookup(sessionId: string): Promise<DirectoryEntry | null> {
    const value = await this.redis.get(this.sessionKey(sessionId));
    return value === null ? null : (JSON.parse(value) as DirectoryEntry);
  }

  /** The entries of `sessionIds`, in their order (null where a session is not live). */
  async lookupMany(sessionIds: string[]): Promise<Array<DirectoryEntry | null>> {
    if (sessionIds.length === 0) return [];
    const values = await this.redis.mget(sessionIds.map((id) => this.sessionKey(id)));
    return values.map((value) => (value === null ? null : (JSON.parse(value) as DirectoryEntry)));
  }

  /** Every live session of the cluster. */
  async list(): Promise<DirectoryEntry[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}session:*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as DirectoryEntry]));
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  private instanceKey(): string {
    return `${this.prefix}instance:${this.options.instanceId}:sessions`;
  }
}
