/**
 * The last line of defence of media and frame workers (catchThreadFaults): an exception or a
 * rejection that escapes fails only the session it is traced to (runAsOwner), never the thread;
 * each is counted as peer_exception and logged at the 1st, 10th, 100th... occurrence.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

interface Report {
  type: 'warn' | 'failed' | 'alive';
  owner?: string;
  error?: string;
  message?: string;
  meta?: { owner: string | null; occurrences: number; error: string };
  refused?: Record<string, number>;
}

/** Runs the worker to its end: everything it reported, and an error that ended it, if one did. */
function runWorker(): Promise<{ reports: Report[]; error: string | null }> {
  const worker = new Worker(join(__dirname, 'threadFaults.worker.ts'), { execArgv: ['--require', require.resolve('tsx/cjs')] });
  const reports: Report[] = [];
  let error: string | null = null;
  return new Promise((resolve) => {
    worker.on('message', (report: Report) => reports.push(report));
    worker.on('error', (thrown) => (error = thrown.message));
    worker.on('exit', () => resolve({ reports, error }));
  });
}

describe('catchThreadFaults', () => {
  it("fails the owner of an escaped exception or rejection, counts and rate-limits the rest, and the thread lives on", async () => {
    const { reports, error } = await runWorker();

    // It went on to the end and said so, after every fault.
    expect(error).toBeNull();
    expect(reports.at(-1)?.type).toBe('alive');
    const failed = reports.filter((report) => report.type === 'failed');
    expect(failed.map((report) => report.error).sort()).toEqual(['datagram of session-a', 'promise of session-a', 'timer of session-a']);
    expect(new Set(failed.map((report) => report.owner))).toEqual(new Set(['session-a']));
    // 28 faults, 3 owned: all counted; logged at the 1st and 10th of each kind only.
    const alive = reports.find((report) => report.type === 'alive');
    expect(alive?.refused).toMatchObject({ peer_exception: 28 });
    const warnings = reports.filter((report) => report.type === 'warn');
    expect(warnings.map((report) => report.meta?.occurrences)).toEqual([1, 1, 10]);
    expect(warnings.find((report) => report.meta?.owner === null)?.meta?.error).toBe('shared code');
  }, 20_000);
});
