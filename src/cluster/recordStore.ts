import type { ChainableCommander, Redis } from 'ioredis';
import type { SessionView } from '../protocol';
import { isAfter, type ListingCursor } from '../protocol/sessionListing';

/** Ids read from the started index per round trip while a page is filled. */
const PAGE_BATCH = 500;
/** Expired ids dropped from the indexes per listing (the rest on the next ones). */
const TRIM_BATCH = 1000;

/** A record as the cluster stores it: the session's record and the instance that held the session. */
export type StoredRecord = SessionView & { instance_id: string };

/**
 * Session records in Redis, readable from any instance: the final record of a closed session
 * for the retention window, and, while a session is live, the record it had when it opened
 * (kept alive by its instance's heartbeat). An opening record whose session has left the
 * directory without a final record is what a dead instance leaves behind.
 *
 * Keys: `<prefix>record:<id>` (JSON, expiring), the index `<prefix>records` (a sorted set
 * scored by when each record expires, trimmed as they do) and `<prefix>records:started` (the
 * same ids scored by when each session started: the listing reads it a page at a time).
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
    tx.zadd(this.startedKey(), record.started_at, record.session_id);
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

  /**
   * Up to `count` records, newest first, after `after` (listing order: started_at, then id,
   * descending). Reads the ids a bounded batch at a time, and only the records it returns.
   */
  async page(count: number, after: ListingCursor | null): Promise<StoredRecord[]> {
    await this.trim();
    const records: StoredRecord[] = [];
    const max = after ? String(after.startedAt) : '+inf';
    for (let offset = 0; records.length < count; ) {
      const batch = Math.min(PAGE_BATCH, count - records.length + 1);
      const ids = await this.redis.zrevrangebyscore(this.startedKey(), max, '-inf', 'LIMIT', offset, batch);
      offset += ids.length;
      const values = ids.length === 0 ? [] : await this.redis.mget(ids.map((id) => this.recordKey(id)));
      for (const value of values) {
        const record = value === null ? null : (JSON.parse(value) as StoredRecord);
        if (record && isAfter(record, after) && records.length < count) records.push(record);
      }
      if (ids.length < batch) break;
    }
    return records;
  }

  /** Drops expired ids from both indexes, a bounded number per call. */
  private async trim(): Promise<void> {
    const expired = await this.redis.zrangebyscore(this.indexKey(), '-inf', Date.now(), 'LIMIT', 0, TRIM_BATCH);
    if (expired.length === 0) return;
    await this.redis.multi().zrem(this.indexKey(), ...expired).zrem(this.startedKey(), ...expired).exec();
  }

  private recordKey(sessionId: string): string {
    return `${this.options.prefix}record:${sessionId}`;
  }

  private indexKey(): string {
    return `${this.options.prefix}records`;
  }

  private startedKey(): string {
    return `${this.options.prefix}records:started`;
  }
}
