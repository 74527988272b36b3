import type { SessionView } from '../protocol';

const MAX_RECORDS = 10_000;

/**
 * Final records of closed sessions, readable for `retentionMs` after they end and capped in
 * number, so a long-running server does not grow without bound.
 */
export class SummaryArchive {
  private readonly records = new Map<string, SessionView>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly retentionMs: number) {
    this.sweeper = setInterval(() => this.expire(), Math.max(1000, Math.min(60_000, retentionMs / 10)));
    this.sweeper.unref();
  }

  add(record: SessionView): void {
    this.records.set(record.session_id, record);
    if (this.records.size > MAX_RECORDS) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  get(sessionId: string): SessionView | undefined {
    const record = this.records.get(sessionId);
    if (record && this.expired(record)) {
      this.records.delete(sessionId);
      return undefined;
    }
    return record;
  }

  all(): SessionView[] {
    return [...this.records.values()].filter((record) => !this.expired(record));
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private expired(record: SessionView): boolean {
    return (record.ended_at ?? Date.now()) + this.retentionMs < Date.now();
  }

  private expire(): void {
    for (const [sessionId, record] of this.records) {
      if (this.expired(record)) this.records.delete(sessionId);
    }
  }
}
