import type { ChainableCommander, Redis } from 'ioredis';
import type { SessionView } from '../../protocol';

/** A record as the cluster stores it: the session's record and the instance that held the session. */
export type StoredRecord = SessionView & { instance_id: string };

/**
 * Session records in Redis, readable from any instance: the final record of a closed session
 * for the retention window, and, while a session is live, the record it had when it opened
 * (kept alive by its instance's heartbeat). An opening record whose session has left the
 * directory without a final record is what a dead instance leaves behind.
 *
 * Keys: `<prefix>record:<id>` (JSON, expiring) and the index `<prefix>records` (a sorted set
 * scored by when each record expires, trimmed as they do).
 */
export class RecordStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; retentionMs: number },
  ) {}

  /** Writes a record (opening or final) for the retention window from now or from its end. */
  put(tx: ChainableCommander, record: StoredRecord): void {
    const expiresAt = (record.ended_at ?? Date.now()) + this.options.retentionMs;
    const ttlMs = expiresAt - Date.now();
    if (ttlMs <= 0) return;
    tx.set(this.recordKey(record.session_id), JSON.stringify(record), 'PX', ttlMs);
    tx.zadd(this.indexKey(), expiresAt, record.session_id);
  }

  /** Keeps a live session's opening record readable for the retention window from now. */
  keep(tx: ChainableCommander, sessionId: string): void {
    const expiresAt = Date.now() + this.options.retentionMs;
    tx.pexpire(this.recordKey(sessionId), this.options.retentionMs);
    tx.zadd(this.indexKey(), 'XX', expiresAt, sessionId);
  }

  async get(sessionId: string): Promise<StoredRecord | null> {
    const value = await this.redis.get(this.recordKey(sessionId));
    return value === null ? null : (JSON.parse(value) as StoredRecord);
  }

  /** Every record not yet expired. */
  async all(): Promise<StoredRecord[]> {
    const now = Date.now();
    const [, ids] = (await this.redis
      .multi()
      .zremrangebyscore(this.indexKey(), '-inf', now)
      .zrangebyscore(this.indexKey(), now, '+inf')
      .exec()) as [[Error | null, number], [Error | null, string[]]];
    if (ids[0] || ids[1].length === 0) return [];
    const values = await this.redis.mget(ids[1].map((id) => this.recordKey(id)));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as StoredRecord]));
  }

  private recordKey(sessionId: string): string {
    return `${this.options.prefix}record:${sessionId}`;
  }

  private indexKey(): string {
    return `${this.options.prefix}records`;
  }
}
