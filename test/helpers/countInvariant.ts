import type { StreamSummary } from '../../src/protocol';

/** The fields of a summary the counting promise is about. */
export type CountedSummary = Pick<
  StreamSummary,
  'total_frames_received' | 'total_frames_processed' | 'total_frames_dropped' | 'dropped_by_reason' | 'total_frames_analyzed' | 'total_frames_not_sampled'
>;

/**
 * What breaks the counting promise in `summary`, one sentence each; empty when it holds:
 * received = processed + dropped, dropped = the sum of dropped_by_reason, and an analysed or a
 * not-sampled frame is a processed one (a not-sampled frame is decoded).
 */
export function countInvariantProblems(summary: CountedSummary): string[] {
  const {
    total_frames_received: received,
    total_frames_processed: processed,
    total_frames_dropped: dropped,
    total_frames_analyzed: analyzed,
    total_frames_not_sampled: notSampled,
  } = summary;
  const byReason = Object.values(summary.dropped_by_reason ?? {}).reduce<number>((sum, count) => sum + (count ?? 0), 0);
  const problems: string[] = [];
  const counts = { received, processed, dropped, analyzed, notSampled, ...summary.dropped_by_reason };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || (value as number) < 0) problems.push(`${name} is ${String(value)}, not a count`);
  }
  if (received !== processed + dropped) problems.push(`received ${received} != processed ${processed} + dropped ${dropped}`);
  if (dropped !== byReason) problems.push(`dropped ${dropped} != ${byReason}, the sum of dropped_by_reason ${JSON.stringify(summary.dropped_by_reason)}`);
  if (notSampled > processed) problems.push(`not sampled ${notSampled} > processed ${processed}`);
  if (analyzed > processed) problems.push(`analyzed ${analyzed} > processed ${processed}`);
  return problems;
}

/** Throws, naming `what` (e.g. the session), when `summary` breaks the counting promise. */
export function expectCountInvariant(summary: CountedSummary, what = 'summary'): void {
  const problems = countInvariantProblems(summary);
  if (problems.length > 0) throw new Error(`${what} breaks the counting promise: ${problems.join('; ')}\n${JSON.stringify(summary)}`);
}
