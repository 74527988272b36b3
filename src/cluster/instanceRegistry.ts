import type { ChainableCommander, Redis } from 'ioredis';
import type { InstanceInfo } from '../protocol';

export type { InstanceInfo };

/** Instances not heard from for this long leave the index (their own key expired long before). */
const FORGET_AFTER_MS = 24 * 3600_000;

/**
 * The cluster's instances in Redis: `<prefix>instance:<id>` (its latest InstanceInfo, expiring
 * unless its heartbeat rewrites it) and the index `<prefix>instances`, scored by the last
 * heartbeat, which also tells when a dead instance was last heard from.
 */
export class InstanceRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlMs: number },
  ) {}

  publish(tx: ChainableCommander, info: InstanceInfo): void {
    tx.set(this.instanceKey(info.instance_id), JSON.stringify(info), 'PX', this.options.ttlMs);
    tx.zadd(this.indexKey(), info.heartbeat_at, info.instance_id);
  }

  /** A graceful exit: gone at once rather than after its entry expires. */
  async remove(instanceId: string): Promise<void> {
    await this.redis.multi().del(this.instanceKey(instanceId)).zrem(this.indexKey(), instanceId).exec();
  }

  async get(instanceId: string): Promise<InstanceInfo | null> {
    const value = await this.redis.get(this.instanceKey(instanceId));
    return value === null ? null : (JSON.parse(value) as InstanceInfo);
  }

  /** When the instance last published, or null if it never did (or was forgotten). */
  async lastSeen(instanceId: string): Promise<number | null> {
    const score = await this.redis.zscore(this.indexKey(), instanceId);
    return score === null ? null : Number(score);
  }

  /** The live instances, by id. */
  async list(): Promise<InstanceInfo[]> {
    const now = Date.now();
    const [, ids] = (await this.redis
      .multi()
      .zremrangebyscore(this.indexKey(), '-inf', now - FORGET_AFTER_MS)
      .zrangebyscore(this.indexKey(), now - this.options.ttlMs, '+inf')
      .exec()) as [[Error | null, number], [Error | null, string[]]];
    if (ids[0] || ids[1].length === 0) return [];
    const values = await this.redis.mget(ids[1].map((id) => this.instanceKey(id)));
    return values
      .flatMap((value) => (value === null ? [] : [JSON.parse(value) as InstanceInfo]))
      .sort((a, b) => a.instance_id.localeCompare(b.instance_id));
  }

  private instanceKey(instanceId: string): string {
    return `${this.options.prefix}instance:${instanceId}`;
  }

  private indexKey(): string {
    return `${this.options.prefix}instances`;
  }
}
