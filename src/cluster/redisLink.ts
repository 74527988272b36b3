import { Redis } from 'ioredis';
import { errorMessage, type Logger } from '../logger';
import type { RedisLinkView } from '../protocol';

export interface RedisLinkOptions {
  url: string;
  logger: Logger;
  /** Writes kept while Redis is unreachable; beyond, the oldest is dropped (and counted). */
  backlogLimit: number;
}

/** The link's state: whether Redis is up, and the backlog. */
export type RedisLinkStats = RedisLinkView;

/**
 * A command on a connection that is up but not answered within this time fails (a Redis that
 * hangs must not hold a session's setup): a write that timed out is kept for a retry, like one
 * made while Redis was away. The writes are idempotent (a summary written twice keeps its
 * delivery id, which the receiver deduplicates).
 */
const COMMAND_TIMEOUT_MS = 2000;

function timedOut(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

interface PendingWrite {
  label: string;
  run: (redis: Redis) => Promise<unknown>;
}

/**
 * This instance's connections to Redis and what it does while Redis is away.
 *
 * Commands fail at once when the connection is down (no ioredis offline queue: a request must
 * not hang on a missing Redis). Writes that must not be lost (closed sessions' records, summaries
 * for the webhook) go through `write()`: while Redis is unreachable they wait in a bounded
 * backlog, in order, and run when the connection is ready again. Reconnection is ioredis's, with
 * a delay capped at one second.
 */
export class RedisLink {
  /** The command connection (everything but subscriptions and blocking reads). */
  readonly redis: Redis;
  private readonly extra = new Set<Redis>();
  private readonly backlog: PendingWrite[] = [];
  private readonly readyListeners = new Set<() => void>();
  private counters = { dropped: 0, outages: 0 };
  private wasUp = false;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: RedisLinkOptions) {
    this.redis = this.connect('commands', COMMAND_TIMEOUT_MS);
    this.redis.on('ready', () => {
      if (!this.wasUp) options.logger.info('Redis connected', { redis: redactedUrl(options.url) });
      this.wasUp = true;
      this.flush();
      for (const listener of [...this.readyListeners]) listener();
    });
    this.redis.on('close', () => {
      if (!this.wasUp || this.closed) return;
      this.wasUp = false;
      this.counters.outages += 1;
      options.logger.warn('Redis unreachable: sessions go on locally, records and summaries wait in memory until it is back', {
        redis: redactedUrl(options.url),
        backlog_limit: options.backlogLimit,
      });
    });
  }

  get url(): string {
    return this.options.url;
  }

  get isUp(): boolean {
    return this.redis.status === 'ready';
  }

  /** Another connection (a subscriber, a blocking reader), closed with the link. */
  duplicate(purpose: string): Redis {
    const redis = this.connect(purpose);
    this.extra.add(redis);
    return redis;
  }

  /** Called each time the command connection becomes ready (the first time and after every outage). */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Runs a write now, or keeps it for when Redis is back if it cannot run. Resolves once it ran
   * or was put in the backlog: callers never wait on an absent Redis.
   */
  async write(label: string, run: (redis: Redis) => Promise<unknown>): Promise<void> {
    if (this.closed) return;
    if (this.isUp && this.backlog.length === 0) {
      try {
        await run(this.redis);
        return;
      } catch (error) {
        if (this.isUp && !timedOut(error)) {
          this.options.logger.error('Redis write failed', { write: label, error: errorMessage(error) });
          return;
        }
      }
    }
    this.keep({ label, run });
    if (this.isUp) void this.flush();
  }

  /** Tries the backlog again (after writes timed out on a connection that stayed up). */
  retryBacklog(): void {
    if (this.backlog.length > 0 && this.isUp && !this.closed) void this.flush();
  }

  stats(): RedisLinkStats {
    return { up: this.isUp, backlog: this.backlog.length, ...this.counters };
  }

  /** Labels of the writes still waiting (logged at close). */
  pendingLabels(): string[] {
    return this.backlog.map((write) => write.label);
  }

  /** Gives a last flush up to `flushTimeoutMs`, then closes every connection. Idempotent. */
  async close(flushTimeoutMs = 0): Promise<void> {
    if (this.closed) return;
    if (this.backlog.length > 0 && this.isUp && flushTimeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, flushTimeoutMs)))]);
      clearTimeout(timer);
    }
    this.closed = true;
    if (this.backlog.length > 0) {
      this.options.logger.warn('Redis link closed with writes never made', { writes: this.pendingLabels().slice(0, 100), count: this.backlog.length });
    }
    this.backlog.length = 0;
    this.readyListeners.clear();
    const connections = [this.redis, ...this.extra];
    this.extra.clear();
    for (const redis of connections) {
      redis.removeAllListeners('ready');
      redis.disconnect();
    }
  }

  private connect(purpose: string, commandTimeout?: number): Redis {
    const redis = new Redis(this.options.url, {
      connectionName: `stream-closure:${purpose}`,
      commandTimeout,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      autoResubscribe: false,
    });
    // Without a listener ioredis reports every failed reconnection on stderr; the outage is logged once above.
    redis.on('error', () => {});
    return redis;
  }

  private keep(write: PendingWrite): void {
    if (this.backlog.length >= this.options.backlogLimit) {
      const oldest = this.backlog.shift();
      this.counters.dropped += 1;
      this.options.logger.error('Redis backlog full, oldest write dropped', { write: oldest?.label, backlog_limit: this.options.backlogLimit });
    }
    this.backlog.push(write);
  }

  /** Runs the backlog in order; stops (keeping the rest) if Redis goes away again. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      let flushed = 0;
      while (this.backlog.length > 0 && this.isUp && !this.closed) {
        const write = this.backlog[0]!;
        try {
          await write.run(this.redis);
        } catch (error) {
          if (!this.isUp || timedOut(error)) break;
          this.options.logger.error('Redis write failed', { write: write.label, error: errorMessage(error) });
        }
        if (this.backlog[0] === write) this.backlog.shift();
        flushed += 1;
      }
      if (flushed > 0) this.options.logger.info('Redis backlog flushed', { writes: flushed, left: this.backlog.length });
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}
