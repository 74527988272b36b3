/**
 * `npm run docs:tables`: renders the benchmark tables of README.md and docs/*.md from the
 * committed results in bench/results/ and writes them between their markers
 * (`<!-- table:NAME -->` ... `<!-- /table -->`, bench/docs/markers.ts). With --check it changes
 * nothing and exits 1 when a table in the docs differs from what the results give (the jest
 * test test/docs/benchmarkTables.test.ts makes the same check).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rewrite } from './docs/markers';
import { render } from './docs/tables';

const ROOT = join(__dirname, '..');

/** The markdown files that may hold generated tables. */
export function documents(): string[] {
  const docs = join(ROOT, 'docs');
  return [join(ROOT, 'README.md'), ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join(docs, name))];
}

/** Each document's text now and with its tables rendered from the results. */
export function renderDocuments(): Array<{ file: string; current: string; rendered: string }> {
  return documents().map((file) => {
    const current = readFileSync(file, 'utf8');
    return { file, current, rendered: rewrite(current, render) };
  });
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, current, rendered } of renderDocuments()) {
    if (current === rendered) continue;
    stale += 1;
    if (check) console.error(`${relative(ROOT, file)}: a generated table differs from bench/results/ (npm run docs:tables)`);
    else {
      writeFileSync(file, rendered);
      console.log(`rewrote the tables of ${relative(ROOT, file)}`);
    }
  }
  if (check && stale > 0) process.exit(1);
}

if (require.main === module) main();
