import { peerSessionMachine } from '../../machines/peerSession.machine';
import { DEFAULT_DELAYS, delayVariable, type DelayName } from '../../machines/peerSession.delays';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

const NAMES = Object.keys(DEFAULT_DELAYS) as DelayName[];

describe('one name per timeout, from environment variable to config to machine delay', () => {
  it('names each variable after its delay', () => {
    expect(NAMES.map(delayVariable)).toEqual(['STOP_TIMEOUT_MS', 'CLOSE_TIMEOUT_MS', 'EMIT_TIMEOUT_MS', 'CLEANUP_TIMEOUT_MS']);
  });

  it("the machine's defaults are the config's defaults", () => {
    expect(peerSessionMachine.implementations.delays).toEqual(DEFAULT_DELAYS);
    const { timeouts } = loadConfig({});
    for (const name of NAMES) expect(timeouts[name]).toBe(peerSessionMachine.implementations.delays[name]);
  });

  it("each variable sets the config key of the delay's name", () => {
    const env = Object.fromEntries(NAMES.map((name, i) => [delayVariable(name), String(100 + i)]));
    const { timeouts } = loadConfig(env);
    expect(NAMES.map((name) => timeouts[name])).toEqual([100, 101, 102, 103]);
  });

  it('refuses the old name of the close timeout instead of ignoring it', () => {
    expect(() => loadConfig({ CLOSE_SESSION_TIMEOUT_MS: '500' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLOSE_SESSION_TIMEOUT_MS: '500' })).toThrow(/CLOSE_TIMEOUT_MS/);
  });
});
