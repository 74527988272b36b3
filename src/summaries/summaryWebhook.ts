import { newDelivery, WebhookSender, type WebhookDelivery, type WebhookRecord, type WebhookSenderOptions } from './webhookSender';

export interface SummaryWebhookOptions extends WebhookSenderOptions {
  /** Summaries waiting at most; beyond, the oldest is dropped (and counted). */
  queueSize: number;
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

/**
 * Pushes each closed session's record to a webhook: a bounded queue drained by a single
 * delivery loop, so a slow receiver delays summaries rather than piling up requests.
 */
export class SummaryWebhook {
  private readonly queue: WebhookDelivery[] = [];
  private readonly sender: WebhookSender;
  private dropped = 0;
  private inFlight: WebhookDelivery | null = null;
  private draining: Promise<void> | null = null;
  private closed: Promise<void> | null = null;
  /** Aborts the request in flight and any backoff wait when the flush time is over. */
  private readonly stop = new AbortController();

  constructor(private readonly options: SummaryWebhookOptions) {
    this.sender = new WebhookSender(options);
  }

  enqueue(record: WebhookRecord): void {
    if (this.stop.signal.aborted) {
      this.options.logger.warn('Summary webhook closed, summary not sent', { session_id: record.session_id });
      return;
    }
    if (this.queue.length >= this.options.queueSize) {
      const oldest = this.queue.shift();
      this.dropped += 1;
      this.options.logger.warn('Summary webhook queue full, oldest summary dropped', {
        session_id: oldest?.sessionId,
        queue_size: this.options.queueSize,
      });
    }
    this.queue.push(newDelivery(record));
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  stats(): SummaryWebhookStats {
    return { ...this.sender.stats(), dropped: this.dropped, queued: this.queue.length + (this.inFlight ? 1 : 0) };
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
      const outcome = await this.sender.deliver(delivery, this.stop.signal);
      this.inFlight = null;
      if (outcome === 'aborted') {
        this.queue.unshift(delivery);
        return;
      }
    }
  }
}
