import { LogBudget } from '../../src/limits/logBudget';
import { refusals } from '../../src/limits/refusals';

describe('LogBudget', () => {
  beforeEach(() => refusals.take());

  it('lets the 1st, 10th, 100th and 1,000th occurrence of a kind through, and counts the others as refused log lines', () => {
    const budget = new LogBudget();
    const logged: number[] = [];
    for (let i = 0; i < 2500; i++) {
      const occurrences = budget.take('bad_rtp');
      if (occurrences !== null) logged.push(occurrences);
    }
    expect(logged).toEqual([1, 10, 100, 1000]);
    expect(refusals.take()).toEqual({ log_line: 2496 });
  });

  it('keeps one count per kind', () => {
    const budget = new LogBudget();
    expect(budget.take('a')).toBe(1);
    expect(budget.take('b')).toBe(1);
    expect(budget.take('a')).toBeNull();
  });

  it('warn() writes the allowed occurrences with their count', () => {
    const budget = new LogBudget();
    const lines: unknown[] = [];
    const log = { warn: (message: string, meta: unknown) => lines.push([message, meta]) } as never;
    for (let i = 0; i < 12; i++) budget.warn(log, 'junk', 'Junk message', { bytes: 3 });
    expect(lines).toEqual([
      ['Junk message', { bytes: 3, occurrences: 1 }],
      ['Junk message', { bytes: 3, occurrences: 10 }],
    ]);
  });
});
