/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';
import base from './jest.config';

/**
 * The unit tests that cover the files `npm run test:mutation` mutates (stryker.config.mjs).
 * Stryker runs the tests that cover a mutant once per mutant, so only fast tests with fakes
 * belong here: tests with real peer connections take seconds each and would make the run hours.
 */
const config: Config = {
  ...base,
  // A mutant that makes a test wait forever fails that test soon, rather than the run's timeout
  // killing and restarting the test runner process.
  testTimeout: 5_000,
  // These tests serve no page.
  globalSetup: undefined,
  testMatch: [
    // Not the model test: it walks every planned path with a real actor, takes seconds and
    // covers every line of the machine, so it would run for each of its hundreds of mutants.
    '<rootDir>/test/machines/{peerSession.machine,delays,diagram}.test.ts',
    '<rootDir>/test/counters/*.test.ts',
    '<rootDir>/test/media/{reorderBuffer,frameAssembler,frameBuffer,videoProcessor,audioProcessor,audioRestart,hostileFrames,countInvariant}*.test.ts',
    '<rootDir>/test/sessions/{lifecycleTimeline,peerSession}*.test.ts',
  ],
};

export default config;
