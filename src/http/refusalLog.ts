import { LogBudget } from '../limits/logBudget';
import type { Logger } from '../logger';

/** Client addresses whose refusals are tracked at once; the oldest is forgotten beyond. */
const MAX_ADDRESSES = 1024;

/**
 * 'Request refused' lines, rate-limited per client address and status with LogBudget (the 1st,
 * 10th, 100th... of each): a client sending junk requests (404s, bad bodies) cannot fill the log
 * or be used to, while the first of each kind is still there to read.
 */
export class RefusalLog {
  private readonly budgets = new Map<string, LogBudget>();

  constructor(private readonly logger: Logger) {}

  refused(address: string, status: number, meta: Record<string, unknown>): void {
    const occurrences = this.budgetOf(address).take(String(status));
    if (occurrences !== null) this.logger.info('Request refused', { ...meta, status, client: address, occurrences });
  }

  private budgetOf(address: string): LogBudget {
    let budget = this.budgets.get(address);
    if (budget) {
      // Most recently used last: the first key is the one to forget.
      this.budgets.delete(address);
    } else {
      budget = new LogBudget();
      if (this.budgets.size >= MAX_ADDRESSES) this.budgets.delete(this.budgets.keys().next().value!);
    }
    this.budgets.set(address, budget);
    return budget;
  }
}
