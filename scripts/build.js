#!/usr/bin/env node
// Builds what `npm start` runs into dist/, with esbuild (a devDependency):
// - the server: src/ (but the page) and machines/ compiled to JavaScript, one file per source
//   file, CommonJS for Node 20+, with source maps (dist/src/, dist/machines/);
// - the page: src/web/app.ts bundled into one browser script beside index.html and
//   styles.css (dist/web/), which the server serves as they are: it bundles nothing at run time.
// Types are checked by `npm run typecheck` (tsc), not here.
//
// --if-stale  builds only when a source file is newer than the last build, so `npm start`
//             builds on a fresh clone and starts at once afterwards; with a fresh dist/ it needs
//             no esbuild, so a production install (npm ci --omit=dev) of a built tree starts.
// --page      builds the page alone (dist/web/): `npm run dev` and the tests run the server from
//             its TypeScript sources and serve this build of the page.
'use strict';
const { copyFileSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist');
const pageSource = join(root, 'src', 'web');
const pageOut = join(out, 'web');
/** Copied beside the bundle as they are. */
const PAGE_FILES = ['index.html', 'styles.css'];

function files(dir, keep = () => true) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path, keep);
    return keep(path) ? [path] : [];
  });
}

const isTypeScript = (path) => path.endsWith('.ts') && !path.endsWith('.d.ts');
const outsidePage = (path) => relative(pageSource, path).startsWith('..');

/** Whether the build stamped `stamp` is older than one of `sources` (or missing). */
function stale(stamp, sources) {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return sources.some((file) => statSync(file).mtimeMs > built);
}

/** esbuild, or a clear exit when it is not installed (a production install). */
function esbuild() {
  try {
    return require('esbuild');
  } catch {
    console.error('dist/ is missing or older than the sources, and esbuild (a devDependency) is not installed: run `npm ci` with dev dependencies, then `npm run build`.');
    process.exit(1);
  }
}

async function buildPage() {
  rmSync(pageOut, { recursive: true, force: true });
  await esbuild().build({
    entryPoints: [join(pageSource, 'app.ts')],
    outfile: join(pageOut, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  for (const name of PAGE_FILES) copyFileSync(join(pageSource, name), join(pageOut, name));
  writeFileSync(join(pageOut, '.built'), `${new Date().toISOString()}\n`);
}

async function buildServer(serverFiles) {
  rmSync(out, { recursive: true, force: true });
  await esbuild().build({
    entryPoints: serverFiles,
    outdir: out,
    outbase: root,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  await buildPage();
  writeFileSync(join(out, '.built'), `${new Date().toISOString()}\n`);
}

async function main() {
  const ifStale = process.argv.includes('--if-stale');
  const pageFiles = files(pageSource);
  const started = Date.now();
  if (process.argv.includes('--page')) {
    if (ifStale && !stale(join(pageOut, '.built'), pageFiles)) return;
    await buildPage();
    console.log(`built the page into ${relative(root, pageOut)}/ in ${Date.now() - started} ms`);
    return;
  }
  const serverFiles = [...files(join(root, 'src'), (path) => isTypeScript(path) && outsidePage(path)), ...files(join(root, 'machines'), isTypeScript)];
  if (ifStale && !stale(join(out, '.built'), [...serverFiles, ...pageFiles])) return;
  await buildServer(serverFiles);
  console.log(`built ${serverFiles.length} files and the page into ${relative(root, out)}/ in ${Date.now() - started} ms`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
