import type { ServerConfig } from '../config';
import type { Logger } from '../logger';
import type { SummarySink } from './closedRecords';
import type { Cluster } from './cluster/cluster';
import { SummaryWebhook } from './summaryWebhook';

/** The summary webhook the configuration asks for, or null without SUMMARY_WEBHOOK_URL. */
export function summarySinkFor(config: ServerConfig, logger: Logger, _cluster: Cluster | null): SummarySink | null {
  if (!config.summaryWebhookUrl) return null;
  return new SummaryWebhook({
    url: config.summaryWebhookUrl,
    secret: config.summaryWebhookSecret,
    maxAttempts: config.summaryWebhookMaxAttempts,
    queueSize: config.summaryWebhookQueueSize,
    logger,
  });
}
