/**
 * The werift patch series as CI can check it offline, from patches/, scripts/werift-fixes/ and
 * node_modules/werift as `npm ci` left it (no clean werift, no registry): the series is numbered
 * without a gap, each patch opens with its header and names a test whose title names the patch,
 * patch-package applied every patch as it is now, and each fix written for scripts/werift-fix.js
 * is in the installed werift. (scripts/check-werift-patches.sh and check-werift-fix.sh compare
 * whole trees against a clean werift from npm's cache; they are run by hand.)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PATCHES = join(ROOT, 'patches');
const FIXES = join(ROOT, 'scripts', 'werift-fixes');
const NAME = /^werift\+0\.25\.2\+(\d{3})\+([a-z0-9-]+)\.patch$/;

/**
 * Copies of werift that hold a fix's code but that its patch leaves as they were, by fix: werift's
 * polyfill bundles, which this project never loads (it loads the CommonJS copy).
 */
const KNOWN_UNFIXED: Record<string, string[]> = {
  'ice-restart-checks': ['lib/polyfill/dom.mjs edit 1', 'lib/polyfill/index.mjs edit 1'],
};

interface Patch {
  file: string;
  number: string;
  name: string;
  text: string;
}

function series(): Patch[] {
  return readdirSync(PATCHES)
    .filter((file) => file.startsWith('werift'))
    .sort()
    .map((file) => {
      const [, number = '', name = ''] = NAME.exec(file) ?? [];
      return { file, number, name, text: readFileSync(join(PATCHES, file), 'utf8') };
    });
}

/** The comment block before the first `diff --git` (patch-package reads from there). */
function header(patch: Patch): string {
  return patch.text.slice(0, patch.text.indexOf('diff --git'));
}

/** The test files a header's `# Test:` line names. */
function testsNamed(patch: Patch): string[] {
  const line = /^# Test: (.*)$/m.exec(header(patch))?.[1] ?? '';
  return [...new Set(line.match(/test\/[\w/.-]+\.test\.ts/g) ?? [])];
}

/** Whether a test file has a describe/it/test title that names the patch ("NNN name"). */
function hasTitleNaming(source: string, { number, name }: Patch): boolean {
  const title = new RegExp(`\\b(describe|it|test)(\\.each\\([^)]*\\))?\\(\\s*['"\`][^'"\`]*\\b${number} ${name}\\b`);
  return title.test(source);
}

describe('the werift patch series (patches/)', () => {
  it('is numbered 001, 002, ... without a gap, each file named werift+0.25.2+NNN+name.patch', () => {
    const patches = series();
    expect(patches.length).toBeGreaterThan(0);
    patches.forEach((patch, index) => {
      expect({ file: patch.file, number: patch.number }).toEqual({ file: patch.file, number: String(index + 1).padStart(3, '0') });
    });
  });

  it.each(series().map((patch) => [patch.file, patch] as const))(
    '%s opens with its defect, fix, RFC and a test whose title names it',
    (_file, patch) => {
      const text = header(patch);
      expect(text).toMatch(new RegExp(`^# werift 0\\.25\\.2 fix ${patch.number}: ${patch.name}\\n`));
      for (const part of ['# Defect:', '# Fix', '# RFC:', '# Test:']) expect(text).toContain(`\n${part}`);
      const tests = testsNamed(patch);
      expect(tests.length).toBeGreaterThan(0);
      for (const test of tests) expect({ test, exists: existsSync(join(ROOT, test)) }).toEqual({ test, exists: true });
      const titled = tests.filter((test) => existsSync(join(ROOT, test)) && hasTitleNaming(readFileSync(join(ROOT, test), 'utf8'), patch));
      expect({ patch: `${patch.number} ${patch.name}`, titled: titled.length > 0 }).toEqual({ patch: `${patch.number} ${patch.name}`, titled: true });
    },
  );

  it('is what node_modules/werift holds: patch-package applied every patch, as it is now (else run npm ci)', () => {
    const state = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'werift', '.patch-package.json'), 'utf8')) as {
      patches: Array<{ patchFilename: string; patchContentHash: string; didApply: boolean }>;
    };
    const applied = state.patches.map(({ patchFilename, patchContentHash, didApply }) => ({ patchFilename, patchContentHash, didApply }));
    const expected = series().map((patch) => ({
      patchFilename: patch.file,
      patchContentHash: createHash('sha256').update(readFileSync(join(PATCHES, patch.file))).digest('hex'),
      didApply: true,
    }));
    expect(applied).toEqual(expected);
  });
});

describe('the fixes written once for scripts/werift-fix.js (scripts/werift-fixes/)', () => {
  const fixes = readdirSync(FIXES)
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -'.js'.length));

  it.each(fixes)('%s is the source of a patch of the series and is in the installed werift', (fix) => {
    const patch = series().find(({ name }) => name === fix);
    expect({ fix, patch: patch?.file }).toEqual({ fix, patch: expect.stringMatching(NAME) });
    expect(readFileSync(join(FIXES, `${fix}.js`), 'utf8')).toContain(`patches/${patch!.file}`);
    // --applied: every edit's replace is found in some copy (exit 1 otherwise); copies where an
    // edit's find still matches are listed.
    const report = execFileSync(process.execPath, [join(ROOT, 'scripts', 'werift-fix.js'), join(FIXES, `${fix}.js`), '--applied'], {
      encoding: 'utf8',
    });
    const unfixed = report
      .split('\n')
      .filter((line) => line.startsWith('unfixed: '))
      .map((line) => line.slice('unfixed: '.length));
    expect(unfixed).toEqual(KNOWN_UNFIXED[fix] ?? []);
  });
});
