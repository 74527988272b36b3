/**
 * Runs `work` with a deadline. On timeout the signal passed to `work` is aborted and the
 * returned promise rejects with `timeoutMessage()` (evaluated then, so it can say how far
 * the work got); `work` itself is abandoned, not awaited.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  timeoutMessage: () => string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(timeoutMessage()));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(abort.signal), deadline]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
