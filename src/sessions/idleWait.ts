/**
 * Waits for a condition that other code reports when it may have become true (the manager: no
 * session left), or for a timeout, whichever comes first. Each wait cleans up after itself.
 */
export class IdleWait {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves once idle (at once if it is already), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      if (this.isIdle()) done();
    });
  }

  /** Something changed: wake the waits if it is idle now. */
  check(): void {
    if (this.isIdle()) for (const waiter of [...this.waiters]) waiter();
  }
}
