import type { Redis } from 'ioredis';
import { errorMessage } from '../logger';
import type { SummarySink } from './closedRecords';
import type { SummaryWebhookStats } from './summaryWebhook';
import { newDelivery, pause, WebhookSender, type WebhookDelivery, type WebhookRecord, type WebhookSenderOptions } from './webhookSender';
import type { RedisLink } from '../cluster/redisLink';

export interface SummaryStreamOptions extends WebhookSenderOptions {
  link: RedisLink;
  /** This instance's id: its consumer name in the group. */
  instanceId: string;
  /** Prefix of every key (default "sc:"). */
  prefix?: string;
  /** An entry pending this long on a consumer that does not deliver it is taken over (default 30 s). */
  claimIdleMs?: number;
  /** The stream is capped at about this many entries (MAXLEN ~, default 100,000). */
  maxLength?: number;
}

const GROUP = 'webhook';

type StreamEntry = [id: string, fields: string[] | null];
type ReadReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * Summaries for the webhook through a Redis stream shared by every instance: `enqueue` adds an
 * entry (through the link's backlog while Redis is away), and each instance's loop reads the
 * stream in the consumer group `webhook` and delivers one entry at a time. An entry is
 * acknowledged and deleted only once delivered or given up; one left pending by an instance
 * that died is taken over by another after `claimIdleMs`, with the same delivery id.
 */
export class SummaryStream implements SummarySink {
  private readonly key: string;
  private readonly sender: WebhookSender;
  /** This instance's blocking-read connection (owned and closed by the link). */
  private readonly reader: Redis;
  private readonly claimIdleMs: number;
  private readonly blockMs: number;
  private readonly writes = new Set<Promise<void>>();
  /** Delivered or given up, not yet acknowledged (Redis went away meanwhile). */
  private unacked: string[] = [];
  /** Entries in the stream when last seen. */
  private length = 0;
  private inFlight: WebhookDelivery | null = null;
  private readerId: number | null = null;
  private blocked = false;
  /** close() was called: no new summaries; the loop stops once it finds nothing more to deliver. */
  private readonly closing = new AbortController();
  /** Aborts the delivery in flight and the loop's waits: the flush time is over. */
  private readonly stop = new AbortController();
  private readonly loop: Promise<void>;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: SummaryStreamOptions) {
    this.key = `${options.prefix ?? 'sc:'}summaries`;
    this.sender = new WebhookSender(options);
    this.reader = options.link.duplicate('webhook');
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.blockMs = Math.max(10, Math.min(1000, this.claimIdleMs / 2));
    this.loop = this.run();
  }

  enqueue(record: WebhookRecord): void {
    if (this.closing.signal.aborted) {
      this.options.logger.warn('Summary webhook closed, summary not sent', { session_id: record.session_id });
      return;
    }
    const { deliveryId, sessionId, body } = newDelivery(record);
    const maxLength = this.options.maxLength ?? 100_000;
    const write = this.options.link
      .write(`summary ${sessionId}`, (redis) =>
        redis.xadd(this.key, 'MAXLEN', '~', maxLength, '*', 'delivery_id', deliveryId, 'session_id', sessionId, 'body', body),
      )
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Resolves once every summary enqueued so far was added to the stream or put in the link's backlog. */
  async flushed(): Promise<void> {
    await Promise.all(this.writes);
  }

  /** `queued`: entries in the stream (every instance's) when last seen; the link's backlog is the link's. */
  stats(): SummaryWebhookStats {
    return { ...this.sender.stats(), dropped: 0, queued: this.length };
  }

  /**
   * Takes no new summaries, keeps delivering what the stream holds for at most flushTimeoutMs,
   * then aborts the delivery in flight, which stays pending for another instance. Leaves the
   * link open (its owner closes it). Idempotent.
   */
  close(flushTimeoutMs: number): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      let deadline: NodeJS.Timeout | undefined;
      const drained = this.flushed().then(() => {
        this.unblock();
        return this.loop;
      });
      await Promise.race([drained, new Promise<void>((resolve) => (deadline = setTimeout(resolve, flushTimeoutMs)))]);
      clearTimeout(deadline);
      const inFlight = this.inFlight;
      this.stop.abort();
      this.unblock();
      await this.loop;
      this.reader.disconnect();
      if (inFlight) {
        this.options.logger.warn('Summary webhook closed during a delivery, left for another instance', {
          session_id: inFlight.sessionId,
          delivery_id: inFlight.deliveryId,
        });
      }
    })();
    return this.closed;
  }

  private async run(): Promise<void> {
    let groupReady = false;
    let ownFirst = true;
    let nextClaim = 0;
    let warned = false;
    while (!this.stop.signal.aborted) {
      if (this.reader.status !== 'ready') {
        const closing = this.closing.signal.aborted;
        // Closing with Redis away: what the stream holds is left to the other instances.
        if (closing && !this.options.link.isUp) return;
        await this.readerReady(closing ? this.stop.signal : this.closing.signal);
        groupReady = false;
        continue;
      }
      try {
        if (!groupReady) {
          // From 0, not $: the stream holds only undelivered entries, and after a Redis restart
          // the link's backlog may add some before the group exists again.
          await this.reader.xgroup('CREATE', this.key, GROUP, '0', 'MKSTREAM').catch(ignoreBusyGroup);
          this.readerId = await this.reader.client('ID');
          groupReady = true;
          // Entries read by this consumer earlier (a previous run, or a reply lost in an outage).
          ownFirst = true;
          if (warned) this.options.logger.info('Summary webhook reading the Redis stream again');
          warned = false;
        }
        if (this.unacked.length > 0) await this.acknowledge();
        if (ownFirst) {
          ownFirst = await this.deliverEntries(await this.read('0'), false);
        } else if (!this.closing.signal.aborted && Date.now() >= nextClaim) {
          await this.claimIdle();
          nextClaim = Date.now() + this.claimIdleMs / 2;
        } else {
          const found = await this.deliverEntries(await this.read('>', this.closing.signal.aborted ? undefined : this.blockMs), false);
          this.length = await this.reader.xlen(this.key);
          if (!found && this.closing.signal.aborted) return;
        }
      } catch (error) {
        if (this.stop.signal.aborted || this.closing.signal.aborted) return;
        if (this.reader.status !== 'ready') {
          if (!warned) this.options.logger.warn('Summary webhook waiting for Redis to read the stream', { error: errorMessage(error) });
          warned = true;
        } else if (errorMessage(error).startsWith('NOGROUP')) {
          groupReady = false;
        } else {
          this.options.logger.error('Summary webhook stream read failed', { error: errorMessage(error) });
          await pause(1000, this.stop.signal);
        }
      }
    }
  }

  /** One entry of this consumer: its own pending ones from id 0, or a new one with '>'. */
  private async read(from: '0' | '>', blockMs?: number): Promise<StreamEntry[]> {
    const { instanceId } = this.options;
    this.blocked = blockMs !== undefined;
    try {
      const reply = (blockMs === undefined
        ? await this.reader.xreadgroup('GROUP', GROUP, instanceId, 'COUNT', 1, 'STREAMS', this.key, from)
        : await this.reader.xreadgroup('GROUP', GROUP, instanceId, 'COUNT', 1, 'BLOCK', blockMs, 'STREAMS', this.key, from)) as ReadReply;
      return reply?.[0]?.[1] ?? [];
    } finally {
      this.blocked = false;
    }
  }

  /** Takes over, one at a time, the entries pending longer than claimIdleMs on any consumer. */
  private async claimIdle(): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, entries] = (await this.reader.xautoclaim(this.key, GROUP, this.options.instanceId, this.claimIdleMs, cursor, 'COUNT', 1)) as [
        string,
        StreamEntry[],
      ];
      await this.deliverEntries(entries, true);
      cursor = next;
    } while (cursor !== '0-0' && !this.stop.signal.aborted);
  }

  /** Delivers the entries, acknowledging each once delivered or given up; false when there were none. */
  private async deliverEntries(entries: StreamEntry[], claimed: boolean): Promise<boolean> {
    for (const [id, fields] of entries) {
      const delivery = fields && parseDelivery(fields);
      if (delivery && claimed) {
        this.options.logger.info('Summary webhook delivery taken over from a silent consumer', {
          session_id: delivery.sessionId,
          delivery_id: delivery.deliveryId,
        });
      }
      if (delivery && (await this.deliverKeepingClaim(id, delivery)) === 'aborted') return true;
      this.unacked.push(id);
      await this.acknowledge();
    }
    return entries.length > 0;
  }

  /** Delivers while touching the entry now and then, so that no other instance takes it over meanwhile. */
  private async deliverKeepingClaim(id: string, delivery: WebhookDelivery): Promise<'delivered' | 'failed' | 'aborted'> {
    const touch = setInterval(() => {
      if (this.reader.status === 'ready') this.reader.xclaim(this.key, GROUP, this.options.instanceId, 0, id, 'JUSTID').catch(() => {});
    }, this.claimIdleMs / 3);
    this.inFlight = delivery;
    try {
      const outcome = await this.sender.deliver(delivery, this.stop.signal);
      if (outcome !== 'aborted') this.length = Math.max(0, this.length - 1);
      return outcome;
    } finally {
      this.inFlight = null;
      clearInterval(touch);
    }
  }

  private async acknowledge(): Promise<void> {
    const ids = [...this.unacked];
    await this.reader.xack(this.key, GROUP, ...ids);
    await this.reader.xdel(this.key, ...ids);
    this.unacked = this.unacked.filter((id) => !ids.includes(id));
  }

  /** Resolves when the reading connection is ready again, or on the signal. */
  private readerReady(signal: AbortSignal): Promise<void> {
    const { reader } = this;
    return new Promise((resolve) => {
      const done = (): void => {
        reader.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      reader.once('ready', done);
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted || reader.status === 'ready') done();
    });
  }

  /** Ends a blocking read at once (instead of after its timeout) when closing. */
  private unblock(): void {
    if (this.blocked && this.readerId !== null && this.options.link.isUp) {
      this.options.link.redis.client('UNBLOCK', this.readerId).catch(() => {});
    }
  }
}

function parseDelivery(fields: string[]): WebhookDelivery | null {
  const value = (name: string): string | undefined => {
    const index = fields.indexOf(name);
    return index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
  };
  const [deliveryId, sessionId, body] = [value('delivery_id'), value('session_id'), value('body')];
  return deliveryId && sessionId && body ? { deliveryId, sessionId, body } : null;
}

function ignoreBusyGroup(error: unknown): void {
  if (!errorMessage(error).startsWith('BUSYGROUP')) throw error;
}
