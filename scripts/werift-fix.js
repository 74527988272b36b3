#!/usr/bin/env node
/**
 * Applies one source edit to every compiled copy of werift that holds the code, so that a fix is
 * written once: werift ships each module several times (lib/<package>/src/*.js CommonJS,
 * lib/index.mjs, lib/polyfill/dom.mjs, lib/polyfill/index.mjs), and the copy that runs depends on
 * how werift is loaded.
 *
 *   node scripts/werift-fix.js EDIT_FILE [--root DIR] [--only REGEX] [--dry-run | --applied]
 *
 * EDIT_FILE is a CommonJS module exporting `{ edits: [{ find, replace }, ...] }` (see
 * scripts/werift-fixes/ for examples). `find` and `replace` are lines of code as in werift's
 * TypeScript-ish output, indented with any unit:
 *   - lines are compared without their leading whitespace, so the 4-space CommonJS files and the
 *     2-space bundles both match; `replace` is re-indented to the file's own unit from the
 *     indentation of the first matched line;
 *   - `@{name}` stands for an imported binding: it matches `(0, module_1.name)` and `module_1.name`
 *     (CommonJS) as well as `name` and esbuild's renamed `name2` (bundles); in `replace` it is
 *     written back as the file spelled it.
 * Each edit must match at least once somewhere; the script lists every file and the number of
 * matches per edit, and fails when an edit matches nothing or matches twice in one file (make
 * `find` longer). DIR defaults to node_modules/werift; --only limits the edit to files whose path
 * under DIR matches REGEX; --dry-run lists the matches and writes nothing.
 *
 * --applied checks an installed tree instead (writes nothing): every edit's `replace` must be found
 * in some copy, and each copy where an edit's `find` still matches is listed as
 * `unfixed: FILE edit N` (a copy the patch left as it was). test/webrtc/weriftPatches.test.ts runs
 * it on node_modules/werift for every scripts/werift-fixes/*.js.
 *
 * Making a new patch of the series (patches/werift+0.25.2+NNN+NAME.patch):
 *   1. npm ci                                   (werift with the series applied)
 *   2. write scripts/werift-fixes/NAME.js, then node scripts/werift-fix.js scripts/werift-fixes/NAME.js
 *      (also edit the .d.ts by hand when a type changes)
 *   3. npx patch-package werift --append NAME   (writes the next numbered patch from your edits)
 *   4. open the new patch with the comment block the others have (defect, fix, RFC, test) and
 *      add the regression test named after it (test/webrtc/<name>.test.ts);
 *      scripts/check-werift-patches.sh still compares the series with its reference.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const editFile = args.find((a, i) => !a.startsWith('--') && !['--root', '--only'].includes(args[i - 1]));
const only = option('--only') ? new RegExp(option('--only')) : /./;
if (!editFile) {
  console.error('usage: node scripts/werift-fix.js EDIT_FILE [--root DIR] [--only REGEX] [--dry-run | --applied]');
  process.exit(2);
}
const root = path.resolve(option('--root') ?? path.join(__dirname, '..', 'node_modules', 'werift'));
const { edits } = require(path.resolve(editFile));

/** Every compiled JavaScript file of werift: the CommonJS modules and the bundles. */
function compiledFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...compiledFiles(full));
    } else if (/\.(m?js)$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

const indentOf = (line) => /^\s*/.exec(line)[0].length;
/** The indentation unit of a text: the smallest non-zero step between indented lines. */
function indentUnit(lines, fallback) {
  let unit = Infinity;
  for (const line of lines) {
    const n = indentOf(line);
    if (line.trim() && n > 0) unit = Math.min(unit, n);
  }
  return Number.isFinite(unit) ? unit : fallback;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const REF = /@\{([A-Za-z_$][\w$]*)\}/g;

/** A regular expression for one trimmed line of `find`; its groups capture each @{name}. */
function lineMatcher(text) {
  const names = [];
  let source = '';
  let last = 0;
  for (const m of text.matchAll(REF)) {
    source += escape(text.slice(last, m.index));
    names.push(m[1]);
    // (0, module_1.name) | module_1.name | name | name2 (esbuild renames a clash with a suffix)
    source += `(\\(0, [\\w$]+\\.${m[1]}\\)|[\\w$]+_\\d+\\.${m[1]}|${m[1]}\\d*)`;
    last = m.index + m[0].length;
  }
  source += escape(text.slice(last));
  return { re: new RegExp(`^${source}$`), names };
}

/** Where a block of lines (trimmed, @{name} as in lineMatcher) starts in `lines`, with the names it bound. */
function findBlock(lines, block) {
  const matchers = block.map((l) => lineMatcher(l.trim()));
  const hits = [];
  for (let i = 0; i + block.length <= lines.length; i++) {
    const refs = {};
    let ok = true;
    for (let j = 0; ok && j < block.length; j++) {
      const m = matchers[j].re.exec(lines[i + j].trim());
      if (!m) ok = false;
      else matchers[j].names.forEach((name, k) => (refs[name] = m[k + 1]));
    }
    if (ok) hits.push({ at: i, refs });
  }
  return hits;
}

const blockOf = (text) => text.replace(/^\n+|\s+$/g, '').split('\n');

function applyEdit(lines, edit, fileUnit) {
  const find = blockOf(edit.find);
  const replace = blockOf(edit.replace);
  const findBase = indentOf(find[0]);
  const specUnit = indentUnit(find.concat(replace).map((l) => l.slice(findBase)), 2);
  const hits = findBlock(lines, find);
  if (hits.length !== 1) return hits.length;
  const { at, refs } = hits[0];
  const base = indentOf(lines[at]);
  const written = replace.map((l) => {
    if (!l.trim()) return '';
    const depth = Math.round((indentOf(l) - findBase) / specUnit);
    const body = l.trim().replace(REF, (whole, name) => {
      if (!(name in refs)) throw new Error(`@{${name}} in replace must also appear in find`);
      return refs[name];
    });
    return ' '.repeat(Math.max(0, base + depth * fileUnit)) + body;
  });
  lines.splice(at, find.length, ...written);
  return 1;
}

if (flag('--applied')) {
  const found = edits.map(() => 0);
  for (const file of compiledFiles(path.join(root, 'lib'))) {
    if (!only.test(path.relative(root, file))) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const rel = path.relative(root, file);
    edits.forEach((edit, i) => {
      const applied = findBlock(lines, blockOf(edit.replace)).length;
      found[i] += applied;
      if (applied) console.log(`applied: ${rel} edit ${i + 1}`);
      if (findBlock(lines, blockOf(edit.find)).length) console.log(`unfixed: ${rel} edit ${i + 1}`);
    });
  }
  const missing = found.flatMap((n, i) => (n === 0 ? [i + 1] : []));
  for (const i of missing) console.error(`edit ${i}: its replace is in no copy (the patch is not applied)`);
  process.exit(missing.length ? 1 : 0);
}

let failed = false;
const totals = edits.map(() => 0);
for (const file of compiledFiles(path.join(root, 'lib'))) {
  if (!only.test(path.relative(root, file))) continue;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const unit = file.endsWith('.mjs') ? 2 : 4; // esbuild's bundles vs tsc's CommonJS output
  const counts = edits.map((edit) => applyEdit(lines, edit, unit));
  if (counts.every((n) => n === 0)) continue;
  counts.forEach((n, i) => (totals[i] += n));
  const rel = path.relative(root, file);
  console.log(`${rel}: ${counts.map((n, i) => `edit ${i + 1} x${n}`).join(', ')}`);
  if (counts.some((n) => n > 1)) {
    console.error(`  ${rel}: an edit matches more than once; make its find longer`);
    failed = true;
    continue;
  }
  if (!flag('--dry-run')) fs.writeFileSync(file, lines.join('\n'));
}
totals.forEach((n, i) => {
  if (n === 0) {
    console.error(`edit ${i + 1} matches nothing (already applied, or the code differs)`);
    failed = true;
  }
});
process.exit(failed ? 1 : 0);
