import type { ClusterConfig, SummarySettings } from '../config';
import type { Logger } from '../logger';
import type { SummarySink } from './closedRecords';
import type { Cluster } from '../cluster/cluster';
import { SummaryStream } from './summaryStream';
import { SummaryWebhook } from './summaryWebhook';

/**
 * The summary webhook the configuration asks for, or null without SUMMARY_WEBHOOK_URL: in a
 * cluster, a Redis stream every instance delivers from (a summary outlives its instance);
 * alone, a queue in this process's memory.
 */
export function summarySinkFor(config: SummarySettings, clusterConfig: ClusterConfig | null, logger: Logger, cluster: Cluster | null): SummarySink | null {
  if (!config.summaryWebhookUrl) return null;
  const sender = { url: config.summaryWebhookUrl, secret: config.summaryWebhookSecret, maxAttempts: config.summaryWebhookMaxAttempts, logger };
  if (cluster && clusterConfig) {
    const { instanceId, keyPrefix, webhookClaimIdleMs } = clusterConfig;
    return new SummaryStream({ ...sender, link: cluster.link, instanceId, prefix: keyPrefix, claimIdleMs: webhookClaimIdleMs });
  }
  return new SummaryWebhook({ ...sender, queueSize: config.summaryWebhookQueueSize });
}
