import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry is `<dir>/<name>.ts` or `.js`, as `dir` holds: run from
 * the TypeScript sources (tsx, jest), the worker loads its entry through tsx too.
 */
export function startWorkerThread(dir: string, name: string, workerData: unknown): Worker {
  const typescript = __filename.endsWith('.ts');
  return new Worker(join(dir, `${name}.${typescript ? 'ts' : 'js'}`), {
    workerData,
    execArgv: typescript ? ['--require', require.resolve('tsx/cjs')] : [],
  });
}
