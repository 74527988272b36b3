import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Jest's global setup: the tests run the server from its TypeScript sources, which serves the
 * built page (dist/web/, as `npm run dev` does); build it when a page source is newer.
 */
export default function buildPage(): void {
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--page', '--if-stale'], { cwd: root, stdio: 'inherit' });
}
