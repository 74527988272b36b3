import { MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { RedisLink } from '../cluster/redisLink';
import { errorMessage, type Logger } from '../logger';

/**
 * Rate-limit counts kept in Redis (REDIS_URL), so that a client's budget holds across every
 * instance behind one address: one key per budget and client address, expiring with its window
 * (rate-limit-redis's fixed window, counted by a Lua script in one round trip).
 *
 * While Redis is away a budget is counted in this instance's memory instead: the limit still
 * holds per instance (at most one budget per instance, as before REDIS_URL), a request neither
 * waits on Redis nor fails with a 500, and no client gets an unlimited window by timing its
 * requests with an outage. Failing open would hand exactly that to whoever can make Redis slow.
 * Each outage is logged once, with the number of requests counted locally when Redis is back.
 */
export class SharedRateLimits {
  private readonly stats = { countedLocally: 0, outages: 0 };
  private away = false;
  /** After a failed count, Redis is left alone until then (or until it reconnects). */
  private skipUntil = 0;

  constructor(
    private readonly link: RedisLink,
    /** REDIS_KEY_PREFIX; each budget's keys go under `<prefix>rl:<budget>:`. */
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    link.onReady(() => (this.skipUntil = 0));
  }

  /** @internal Whether to count in Redis: up, and not failing a moment ago. */
  get usable(): boolean {
    return this.link.isUp && Date.now() >= this.skipUntil;
  }

  /** A store for one budget (express-rate-limit wants one store per limiter). */
  store(budget: string): Store {
    return new FallbackStore(this.link, `${this.keyPrefix}rl:${budget}:`, this);
  }

  /** Requests counted in memory because Redis was away, and how many outages that took. */
  counts(): { countedLocally: number; outages: number } {
    return { ...this.stats };
  }

  /**
   * @internal A request was counted here instead of in Redis. After a failed command (a Redis
   * that hangs answers nothing until the link's 2 s command timeout), Redis is not asked again for
   * a few seconds: one slow request per pause, not every request waiting on it.
   */
  countedLocally(reason: string, failed = false): void {
    if (failed) this.skipUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
    this.stats.countedLocally += 1;
    if (this.away) return;
    this.away = true;
    this.stats.outages += 1;
    this.logger.warn('Rate limits counted per instance while Redis is away', { reason });
  }

  /** @internal A request was counted in Redis again. */
  countedInRedis(): void {
    if (!this.away) return;
    this.away = false;
    this.logger.info('Rate limits shared through Redis again', { counted_locally: this.stats.countedLocally });
  }
}

const RETRY_AFTER_FAILURE_MS = 5000;

class FallbackStore implements Store {
  readonly localKeys = false;
  private readonly redis: RedisStore;
  private readonly memory = new MemoryStore();
  private options: Options | undefined;

  constructor(
    private readonly link: RedisLink,
    readonly prefix: string,
    private readonly shared: SharedRateLimits,
  ) {
    // ioredis types a raw command's reply as unknown; the store checks the reply's shape itself.
    this.redis = new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => link.redis.call(command, ...args) as never });
    // The store loads its scripts at init; loaded while Redis was away they stay failed, so
    // they are loaded again each time the connection is ready (Redis may also have restarted).
    link.onReady(() => void this.loadScripts());
  }

  init(options: Options): void {
    this.options = options;
    this.memory.init(options);
    if (this.link.isUp) void this.loadScripts();
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    if (this.shared.usable) {
      try {
        const counted = await this.redis.increment(key);
        this.shared.countedInRedis();
        return counted;
      } catch (error) {
        this.shared.countedLocally(errorMessage(error), true);
      }
    } else {
      this.shared.countedLocally('Redis is unreachable');
    }
    return this.memory.increment(key);
  }

  async decrement(key: string): Promise<void> {
    await this.memory.decrement(key);
    if (this.link.isUp) await this.redis.decrement(key).catch(() => {});
  }

  async resetKey(key: string): Promise<void> {
    await this.memory.resetKey(key);
    if (this.link.isUp) await this.redis.resetKey(key).catch(() => {});
  }

  shutdown(): void {
    this.memory.shutdown();
  }

  private async loadScripts(): Promise<void> {
    if (!this.options) return;
    await this.redis.init(this.options).catch(() => {
      // Counted and logged by the first request that finds Redis away.
    });
  }
}
