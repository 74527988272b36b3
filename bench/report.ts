/**
 * How every bench ends: its report written as JSON to bench/results/<name>.json (or to the
 * folder BENCH_RESULTS_DIR names, for a trial run that must not replace the committed results),
 * lists of numbers on one line each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeResults(name: string, report: object): void {
  const folder = process.env.BENCH_RESULTS_DIR ?? join(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${name}.json`);
  const json = JSON.stringify(report, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, items: string) => `[${items.split(/,\s+/).join(', ')}]`);
  writeFileSync(file, `${json}\n`);
  console.log(`wrote ${file}`);
}

/** Runs a bench's main(): exit code 0 once it is done, 1 (with the error printed) if it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
