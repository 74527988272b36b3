import { AsyncLocalStorage } from 'node:async_hooks';
import { errorMessage } from '../logger';
import { LogBudget } from './logBudget';
import { refusals } from './refusals';

/**
 * Who owns the work under way: a session id in a media worker, a stream id in a frame worker.
 * Everything started inside `runAsOwner` (sockets and their events, timers, promise
 * continuations) carries the owner, and an exception that escapes it can be traced back.
 */
const owners = new AsyncLocalStorage<string>();

/** Runs `fn` as `owner`'s: what it starts is traced back to `owner` if it throws later. */
export function runAsOwner<T>(owner: string, fn: () => T): T {
  return owners.run(owner, fn);
}

export interface ThreadFaultOptions {
  /** Writes a (rate-limited) warning. */
  warn(message: string, meta: Record<string, unknown>): void;
  /** Ends what `owner` was doing: its state may be half-updated. */
  failOwner(owner: string, error: unknown): void;
  /** Told of every fault, logged or not (a thread whose refusals nobody collects reports them so). */
  counted?(): void;
}

/**
 * The thread's last line of defence: an exception or rejection that nothing else caught.
 *
 * Why the thread goes on instead of exiting: an exception unwinds only the stack of the callback
 * that threw. The objects that callback was changing may be half-updated, but they belong to
 * one owner (a session's connection, a stream's decoder) when the work was started under
 * `runAsOwner`; that owner is failed and closed through its normal path, with its counters
 * (plain numbers, each updated in one step, so never torn). Other owners share nothing mutable
 * with it but this thread's queues and pools, which keep their own invariants per call. Exiting
 * instead would end every session on the thread for one peer's bad datagram, which is exactly
 * what an attacker wants. A fault with no owner (shared code) is logged and counted and the
 * thread goes on; out-of-memory is not an exception and still ends the thread (the main thread
 * then releases its sessions with partial summaries).
 *
 * Counted as `peer_exception`; logged at the 1st, 10th, 100th... occurrence of each kind.
 * Returns an uninstall.
 */
export function catchThreadFaults(options: ThreadFaultOptions): () => void {
  const budget = new LogBudget();
  const onFault = (kind: 'uncaughtException' | 'unhandledRejection') => (error: unknown) => {
    refusals.count('peer_exception');
    options.counted?.();
    const owner = owners.getStore();
    const occurrences = budget.take(kind);
    if (occurrences !== null) {
      options.warn(`Caught an ${kind === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection'}; the thread goes on`, {
        error: errorMessage(error),
        owner: owner ?? null,
        occurrences,
      });
    }
    if (owner !== undefined) {
      try {
        options.failOwner(owner, error);
      } catch {
        // Failing the owner is best effort: nothing more can be done from here.
      }
    }
  };
  const onException = onFault('uncaughtException');
  const onRejection = onFault('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
