import type { Logger } from '../logger';
import { refusals } from './refusals';

/**
 * Rate limit for warnings a peer can trigger at will (a bad packet, a junk message): the 1st,
 * 10th, 100th, 1,000th... occurrence of each kind is logged, with its count; the others are
 * counted only (`input_refused_total{resource="log_line"}`). One budget per session, so one noisy
 * peer cannot flood the log or, in a media worker, the channel to the main thread.
 */
export class LogBudget {
  private readonly seen = new Map<string, number>();

  /** Counts one occurrence of `kind`; the number of occurrences when it should be logged, else null. */
  take(kind: string): number | null {
    const occurrences = (this.seen.get(kind) ?? 0) + 1;
    this.seen.set(kind, occurrences);
    if (isPowerOfTen(occurrences)) return occurrences;
    refusals.count('log_line');
    return null;
  }

  /** Logs `message` as a warning when the budget of `kind` allows it, with `occurrences`. */
  warn(log: Logger, kind: string, message: string, meta: Record<string, unknown> = {}): void {
    const occurrences = this.take(kind);
    if (occurrences !== null) log.warn(message, { ...meta, occurrences });
  }
}

function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}
