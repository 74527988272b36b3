import { randomUUID } from 'node:crypto';
import { errorMessage, type Logger } from '../logger';
import { webhookBody } from '../counters/summary';
import type { SessionView } from '../protocol';
import { signatureHeaders } from './webhookSignature';

export interface WebhookSenderOptions {
  url: string;
  /** When set, each attempt is signed: `webhook-signature` (and, deprecated, `X-Signature-256`); see webhookSignature. */
  secret?: string;
  logger: Logger;
  /** Attempts per record, the first included. */
  maxAttempts: number;
  attemptTimeoutMs?: number;
  /** Retry n waits about backoffBaseMs * 2^n (with jitter), or what the receiver's Retry-After says; at most backoffCapMs. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface WebhookSenderStats {
  delivered: number;
  /** Given up: a 3xx (never followed), a 4xx other than 429, or every attempt used. */
  failed: number;
  retried: number;
}

/** What a closed session's record gives the webhook. */
export type WebhookRecord = Pick<SessionView, 'session_id' | 'reason' | 'summary' | 'ended_at'>;

/** One summary to deliver; its id stays the same across attempts (and redeliveries). */
export interface WebhookDelivery {
  deliveryId: string;
  sessionId: string;
  body: string;
}

/** delivered, given up (failed), or cut short by the stop signal (still undelivered). */
export type DeliveryOutcome = 'delivered' | 'failed' | 'aborted';

/** A retry carries the wait the receiver asked for (Retry-After), if it did. */
type AttemptOutcome = 'delivered' | 'give_up' | { retryAfterMs: number | undefined };

/**
 * Delivers one summary to the webhook, following Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature): POSTs it (signed when there is a secret), retries 5xx, 429 and network
 * errors with exponential backoff and jitter, or after the receiver's Retry-After, gives up on
 * other 4xx or after maxAttempts. Whoever holds the deliveries (a memory queue, a Redis stream) decides when.
 *
 * Redirects are never followed: a 307 or 308 would re-post the signed summary to wherever the
 * answer points (another host, an internal address). A 3xx is a receiver's configuration
 * error that a retry does not mend, so it ends the delivery as failed, logged with its status
 * and Location: fix WEBHOOK_URL to the final address.
 */
export class WebhookSender {
  private readonly counters: WebhookSenderStats = { delivered: 0, failed: 0, retried: 0 };
  private readonly attemptTimeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;

  constructor(private readonly options: WebhookSenderOptions) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.backoffCapMs = options.backoffCapMs ?? 30_000;
  }

  stats(): WebhookSenderStats {
    return { ...this.counters };
  }

  /** Attempts until delivered or given up; `stop` aborts the request in flight and any backoff wait. */
  async deliver(delivery: WebhookDelivery, stop: AbortSignal): Promise<DeliveryOutcome> {
    const { logger, maxAttempts } = this.options;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(delivery, stop);
      if (stop.aborted && outcome !== 'delivered') return 'aborted';
      if (outcome === 'delivered') {
        this.counters.delivered += 1;
        logger.debug('Summary delivered to webhook', { session_id: delivery.sessionId, attempts: attempt });
        return 'delivered';
      }
      if (outcome === 'give_up' || attempt >= maxAttempts) {
        this.counters.failed += 1;
        logger.error('Summary webhook delivery failed, giving up', { session_id: delivery.sessionId, attempts: attempt });
        return 'failed';
      }
      this.counters.retried += 1;
      await pause(outcome.retryAfterMs ?? this.backoffMs(attempt), stop);
      if (stop.aborted) return 'aborted';
    }
  }

  private async attempt(delivery: WebhookDelivery, stop: AbortSignal): Promise<AttemptOutcome> {
    const { url, logger } = this.options;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: this.headers(delivery, Math.floor(Date.now() / 1000)),
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.any([stop, AbortSignal.timeout(this.attemptTimeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return 'delivered';
      if (response.status >= 300 && response.status < 400) {
        logger.warn('Summary webhook answered with a redirect, not followed', {
          session_id: delivery.sessionId,
          status: response.status,
          location: (response.headers.get('location') ?? '').slice(0, 200),
          will_retry: false,
        });
        return 'give_up';
      }
      const retryable = response.status >= 500 || response.status === 429;
      const retryAfter = retryable ? response.headers.get('retry-after') : null;
      const retryAfterMs = retryAfter === null ? undefined : this.retryAfterMs(retryAfter);
      logger.warn('Summary webhook answered with an error', {
        session_id: delivery.sessionId,
        status: response.status,
        will_retry: retryable,
        ...(retryAfter !== null && { retry_after: retryAfter, retry_after_ms: retryAfterMs }),
      });
      return retryable ? { retryAfterMs } : 'give_up';
    } catch (error) {
      if (!stop.aborted) {
        logger.warn('Summary webhook unreachable', { session_id: delivery.sessionId, error: errorMessage(error) });
      }
      return { retryAfterMs: undefined };
    }
  }

  /** `X-Delivery-Id` is the deprecated alias of `webhook-id`. */
  private headers({ deliveryId, body }: WebhookDelivery, timestamp: number): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      'webhook-id': deliveryId,
      'webhook-timestamp': String(timestamp),
      'X-Delivery-Id': deliveryId,
      ...(this.options.secret !== undefined && signatureHeaders(this.options.secret, deliveryId, timestamp, body)),
    };
  }

  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.backoffCapMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** Retry-After (delay seconds, or an HTTP date) in ms, at most backoffCapMs; undefined when unreadable. */
  private retryAfterMs(value: string): number | undefined {
    const trimmed = value.trim();
    const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) - Date.now() : NaN;
    if (Number.isNaN(ms)) return undefined;
    return Math.min(this.backoffCapMs, Math.max(0, ms));
  }
}

/** A new delivery of a record: a fresh delivery id and the JSON body the receiver gets. */
export function newDelivery(record: WebhookRecord): WebhookDelivery {
  return { deliveryId: randomUUID(), sessionId: record.session_id, body: JSON.stringify(webhookBody(record)) };
}

/** Waits delayMs, or less if the signal aborts (resolves either way). */
export function pause(delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, delayMs);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
