// @ts-check
/**
 * Mutation testing (`npm run test:mutation`): StrykerJS changes the code that decides the
 * lifecycle and the counts one small edit at a time and checks that some test fails.
 * Scope: the session machine, the counting path and the close path on the main thread.
 * Reports go to reports/mutation/ (git-ignored).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  mutate: [
    'machines/peerSession.machine.ts',
    'machines/peerSession.delays.ts',
    'src/counters/session.ts',
    'src/counters/durationStats.ts',
    'src/counters/audioLevelStats.ts',
    'src/counters/summary.ts',
    'src/media/reorderBuffer.ts',
    'src/media/frameAssembler.ts',
    'src/media/frameBuffer.ts',
    'src/media/videoProcessor.ts',
    'src/sessions/peerSession.ts',
    'src/sessions/lifecycleTimeline.ts',
    'src/sessions/sessionView.ts',
  ],
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.ts', enableFindRelatedTests: false },
  // Each mutant runs only the tests that reached its code.
  coverageAnalysis: 'perTest',
  // No TypeScript checker: @stryker-mutator/typescript-checker drives TypeScript's JavaScript
  // API, which TypeScript 7 (this project's compiler) no longer ships. swc strips types, so a
  // mutant that would not typecheck still runs and is killed or survives on behaviour.
  checkers: [],
  // The machine has 2 cores; each test runner is one jest process with one worker.
  concurrency: 2,
  // The sandbox is a copy of the project with node_modules symlinked, so patch-package's
  // patches and the native decoder build (native/decoders/build/) are used as installed;
  // nothing is installed or built in the sandbox. Copy only what the tests need.
  // tsconfig.json stays out too: Stryker would rewrite it with TypeScript's JavaScript API,
  // which TypeScript 7 no longer has, and jest (swc) does not read it.
  ignorePatterns: ['bench', 'docs', 'dist', 'test-output', 'reports', '.scratch', '*.log', '/tsconfig.json'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0, reportScoreTable: true, reportMutants: true },
  // `npm run test:mutation -- --incremental` reruns only the mutants whose code or tests changed
  // since the last run, from this file.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 80, break: 80 },
  timeoutMS: 10000,
};

export default config;
