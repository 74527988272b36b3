import type { SessionView } from '../protocol';
import type { Cluster } from '../cluster/cluster';
import { SummaryArchive } from './summaryArchive';
import type { SummaryWebhook, SummaryWebhookStats } from './summaryWebhook';

/** Where closed sessions' summaries go: the webhook's in-memory queue, or a Redis stream in a cluster. */
export type SummarySink = Pick<SummaryWebhook, 'enqueue' | 'stats' | 'close'>;

/**
 * Where a released session's final record goes: this instance's archive (readable for the
 * retention window), the summary webhook, and, in a cluster, Redis (readable from every
 * instance). Closing it closes the archive and flushes the webhook.
 */
export class ClosedRecords {
  private readonly archive: SummaryArchive;
  /** Final records on their way to Redis: a DELETE answers once its record is readable everywhere. */
  private readonly clusterWrites = new Map<string, Promise<void>>();

  constructor(
    retentionMs: number,
    private readonly summaries: SummarySink | null,
    private readonly cluster: Cluster | null,
  ) {
    this.archive = new SummaryArchive(retentionMs);
  }

  add(record: SessionView): void {
    this.archive.add(record);
    this.summaries?.enqueue(record);
    const written = this.cluster?.sessionEnded(record);
    if (written) {
      const id = record.session_id;
      this.clusterWrites.set(id, written);
      void written.finally(() => this.clusterWrites.delete(id));
    }
  }

  get(sessionId: string): SessionView | undefined {
    return this.archive.get(sessionId);
  }

  all(): SessionView[] {
    return this.archive.all();
  }

  /** Resolves once the session's record is in Redis (or waits in the backlog for it); at once otherwise. */
  async written(sessionId: string): Promise<void> {
    await this.clusterWrites.get(sessionId);
  }

  summaryStats(): SummaryWebhookStats | null {
    return this.summaries?.stats() ?? null;
  }

  /** Stops the archive's sweeper and gives the summaries still queued up to `flushTimeoutMs`. Idempotent. */
  async close(flushTimeoutMs: number): Promise<void> {
    this.archive.close();
    await this.summaries?.close(flushTimeoutMs);
  }
}
