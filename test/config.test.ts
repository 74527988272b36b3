import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('has defaults that contact no STUN server and listen on loopback', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] });
    expect(config.summaryRetentionMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('reads timeouts and limits from the environment', () => {
    const config = loadConfig({ PORT: '0', STOP_TIMEOUT_MS: '250', FRAME_BUFFER_SIZE: '5', ICE_SERVERS: 'stun:stun.example.org:3478' });
    expect(config.port).toBe(0);
    expect(config.timeouts.stopProcessors).toBe(250);
    expect(config.frameBufferSize).toBe(5);
    expect(config.iceServers).toEqual([{ urls: 'stun:stun.example.org:3478' }]);
  });

  it.each([
    [{ PORT: 'http' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ STOP_TIMEOUT_MS: '-5' }, /STOP_TIMEOUT_MS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ ICE_SERVERS: 'http://x' }, /ICE_SERVERS entries/],
    [{ ICE_ADDITIONAL_HOST_ADDRESSES: '300.1.1.1' }, /ICE_ADDITIONAL_HOST_ADDRESSES/],
    [{ AUTH_TOKEN: 'short' }, /AUTH_TOKEN must be at least 16 characters/],
    [{ MAX_SESSIONS: '0' }, /MAX_SESSIONS must be between 1/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
