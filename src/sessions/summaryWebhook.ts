import { createHmac, randomUUID } from 'node:crypto';
import { errorMessage, type Logger } from '../logger';
import type { SessionSummaryWebhookBody, SessionView } from '../protocol';

export interface SummaryWebhookOptions {
  url: string;
  /** When set, each body is signed with HMAC-SHA256 in `X-Signature-256`. */
  secret?: string;
  logger: Logger;
  /** Attempts per record, the first included. */
  maxAttempts: number;
  queueSize: number;
  attemptTimeoutMs?: number;
  /** Retry n waits about backoffBaseMs * 2^n (with jitter), at most backoffCapMs. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface SummaryWebhookStats {
  delivered: number;
  /** Given up: a 4xx other than 429, or every attempt used. */
  failed: number;
  retried: number;
  /** Pushed out of a full queue before they were sent. */
  dropped: number;
  /** Waiting or being delivered. */
  queued: number;
}

type WebhookRecord = Pick<SessionView, 'session_id' | 'reason' | 'summary' | 'ended_at'>;

interface Delivery {
  deliveryId: string;
  sessionId: string;
  body: string;
}

type AttemptOutcome = 'delivered' | 'retry' | 'give_up';

/**
 * Pushes each closed session's record to a webhook: a bounded queue drained by a single
 * delivery loop, so a slow receiver delays summaries rather than piling up requests.
 */
export class SummaryWebhook {
  private readonly queue: Delivery[] = [];
  private readonly counters = { delivered: 0, failed: 0, retried: 0, dropped: 0 };
  private inFlight: Delivery | null = null;
  private draining: Promise<void> | null = null;
  private closed: Promise<void> | null = null;
  /** Aborts the request in flight and any backoff wait when the flush time is over. */
  private readonly stop = new AbortController();
  private readonly attemptTimeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;

  constructor(private readonly options: SummaryWebhookOptions) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.backoffCapMs = options.backoffCapMs ?? 30_000;
  }

  enqueue(record: WebhookRecord): void {
    if (this.stop.signal.aborted) {
      this.options.logger.warn('Summary webhook closed, summary not sent', { session_id: record.session_id });
      return;
    }
    if (this.queue.length >= this.options.queueSize) {
      const oldest = this.queue.shift();
      this.counters.dropped += 1;
      this.options.logger.warn('Summary webhook queue full, oldest summary dropped', {
        session_id: oldest?.sessionId,
        queue_size: this.options.queueSize,
      });
    }
    this.queue.push({
      deliveryId: randomUUID(),
      sessionId: record.session_id,
      body: JSON.stringify(webhookBody(record)),
    });
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  stats(): SummaryWebhookStats {
    return { ...this.counters, queued: this.queue.length + (this.inFlight ? 1 : 0) };
  }

  /**
   * Keeps delivering what is queued for at most flushTimeoutMs, then aborts the request in
   * flight and any backoff wait; what is left is logged as undelivered. Idempotent.
   */
  close(flushTimeoutMs: number): Promise<void> {
    this.closed ??= (async () => {
      let deadline: NodeJS.Timeout | undefined;
      const flushed = this.draining ?? Promise.resolve();
      await Promise.race([flushed, new Promise<void>((resolve) => (deadline = setTimeout(resolve, flushTimeoutMs)))]);
      clearTimeout(deadline);
      this.stop.abort();
      await flushed;
      const undelivered = this.queue.splice(0);
      if (undelivered.length > 0) {
        this.options.logger.warn('Summary webhook closed with summaries undelivered', {
          session_ids: undelivered.map((delivery) => delivery.sessionId),
        });
      }
    })();
    return this.closed;
  }

  private async drain(): Promise<void> {
    for (let delivery = this.queue.shift(); delivery; delivery = this.queue.shift()) {
      this.inFlight = delivery;
      const delivered = await this.deliver(delivery);
      this.inFlight = null;
      if (!delivered && this.stop.signal.aborted) {
        this.queue.unshift(delivery);
        return;
      }
    }
  }

  /** False when the delivery was cut short by close(), so the record is still undelivered. */
  private async deliver(delivery: Delivery): Promise<boolean> {
    const { logger, maxAttempts } = this.options;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(delivery);
      if (this.stop.signal.aborted && outcome !== 'delivered') return false;
      if (outcome === 'delivered') {
        this.counters.delivered += 1;
        logger.debug('Summary delivered to webhook', { session_id: delivery.sessionId, attempts: attempt });
        return true;
      }
      if (outcome === 'give_up' || attempt >= maxAttempts) {
        this.counters.failed += 1;
        logger.error('Summary webhook delivery failed, giving up', { session_id: delivery.sessionId, attempts: attempt });
        return true;
      }
      this.counters.retried += 1;
      await this.backoff(attempt);
      if (this.stop.signal.aborted) return false;
    }
  }

  private async attempt(delivery: Delivery): Promise<AttemptOutcome> {
    const { url, logger } = this.options;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: this.headers(delivery),
        body: delivery.body,
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.attemptTimeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return 'delivered';
      const retryable = response.status >= 500 || response.status === 429;
      logger.warn('Summary webhook answered with an error', {
        session_id: delivery.sessionId,
        status: response.status,
        will_retry: retryable,
      });
      return retryable ? 'retry' : 'give_up';
    } catch (error) {
      if (!this.stop.signal.aborted) {
        logger.warn('Summary webhook unreachable', { session_id: delivery.sessionId, error: errorMessage(error) });
      }
      return 'retry';
    }
  }

  private headers(delivery: Delivery): Record<string, string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Delivery-Id': delivery.deliveryId };
    if (this.options.secret !== undefined) {
      const digest = createHmac('sha256', this.options.secret).update(delivery.body).digest('hex');
      headers['X-Signature-256'] = `sha256=${digest}`;
    }
    return headers;
  }

  private backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(this.backoffCapMs, this.backoffBaseMs * 2 ** (attempt - 1));
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    const { signal } = this.stop;
    return new Promise((resolve) => {
      const timer = setTimeout(done, delayMs);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}

function webhookBody({ session_id, reason, summary, ended_at }: WebhookRecord): SessionSummaryWebhookBody {
  return { event_type: 'session_summary', session_id, reason, summary, ended_at };
}
