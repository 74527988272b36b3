#!/usr/bin/env node
// Compiles the server (src/ and machines/) to JavaScript in dist/ with esbuild: one file per
// source file, CommonJS for Node 20+, with source maps. Types are checked by `npm run typecheck`
// (tsc), not here. `--if-stale` builds only when a source file is newer than the last build, so
// `npm start` can build on a fresh clone and start at once afterwards.
'use strict';
const { build } = require('esbuild');
const { readdirSync, statSync, writeFileSync, existsSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist');
const stamp = join(out, '.built');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

async function main() {
  const files = [...sources(join(root, 'src')), ...sources(join(root, 'machines'))];
  if (process.argv.includes('--if-stale') && existsSync(stamp)) {
    const built = statSync(stamp).mtimeMs;
    if (files.every((file) => statSync(file).mtimeMs <= built)) return;
  }
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: files,
    outdir: out,
    outbase: root,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  console.log(`built ${files.length} files into ${relative(root, out)}/ in ${Date.now() - started} ms`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
