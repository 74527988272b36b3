import { availableParallelism } from 'node:os';
import express from 'express';
import fc from 'fast-check';
import { loadConfig, type ServerConfig } from '../src/config';
import { ConfigError } from '../src/errors';
import { checkMediaSettings } from '../src/media/settingsCheck';

/** As main.ts reads it: the settings, then what only the media code can check (a detector's options, a native decoder). */
function loadChecked(env: Record<string, string>): ServerConfig {
  const config = loadConfig(env);
  checkMediaSettings(config.analysis, config.threads.decoder);
  return config;
}

describe('loadConfig', () => {
  it('has defaults that contact no STUN server and listen on loopback', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ http: { port: 8080, host: '127.0.0.1' }, ice: { iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] } });
    expect(config.summaries.summaryRetentionMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('reads timeouts and limits from the environment', () => {
    const config = loadConfig({ PORT: '0', STOP_TIMEOUT_MS: '250', FRAME_BUFFER_SIZE: '5', ICE_SERVERS: 'stun:stun.example.org:3478' });
    expect(config.http.port).toBe(0);
    expect(config.timeouts.stopTimeout).toBe(250);
    expect(config.peer.frameBufferSize).toBe(5);
    expect(config.ice.iceServers).toEqual([{ urls: 'stun:stun.example.org:3478' }]);
  });

  it('takes two video and two audio tracks per session by default, and reads MAX_TRACKS_PER_KIND', () => {
    expect(loadConfig({}).sessions.maxTracksPerKind).toBe(2);
    expect(loadConfig({ MAX_TRACKS_PER_KIND: '64' }).sessions.maxTracksPerKind).toBe(64);
  });

  it('has no summary webhook by default, and reads one from the environment', () => {
    expect(loadConfig({}).summaries).toMatchObject({
      summaryWebhookUrl: undefined,
      summaryWebhookSecret: undefined,
      summaryWebhookMaxAttempts: 5,
      summaryWebhookQueueSize: 1000,
    });
    const config = loadConfig({
      SUMMARY_WEBHOOK_URL: 'https://hooks.example.org/summaries',
      SUMMARY_WEBHOOK_SECRET: 'a-long-enough-secret',
      SUMMARY_WEBHOOK_MAX_ATTEMPTS: '3',
      SUMMARY_WEBHOOK_QUEUE_SIZE: '10',
    });
    expect(config.summaries).toMatchObject({
      summaryWebhookUrl: 'https://hooks.example.org/summaries',
      summaryWebhookSecret: 'a-long-enough-secret',
      summaryWebhookMaxAttempts: 3,
      summaryWebhookQueueSize: 10,
    });
    const standard = 'whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u';
    expect(loadConfig({ SUMMARY_WEBHOOK_SECRET: standard }).summaries.summaryWebhookSecret).toBe(standard);
  });

  it('has the Stately inspector off by default, and reads INSPECT and INSPECT_PORT', () => {
    expect(loadConfig({}).inspection).toEqual({ inspect: false, inspectPort: 8081 });
    expect(loadConfig({ INSPECT: '0' }).inspection).toMatchObject({ inspect: false });
    expect(loadConfig({ INSPECT: '1', INSPECT_PORT: '9229' }).inspection).toEqual({ inspect: true, inspectPort: 9229 });
    expect(loadConfig({ INSPECT: '1', PORT: '0', INSPECT_PORT: '0' })).toMatchObject({ http: { port: 0 }, inspection: { inspectPort: 0 } });
  });

  it('decodes with the native decoders when they load (DECODER=auto), and reads DECODER', () => {
    expect(loadChecked({}).threads.decoder).toBe('auto');
    expect(loadChecked({ DECODER: 'native' }).threads.decoder).toBe('native');
    expect(loadChecked({ DECODER: 'wasm' }).threads.decoder).toBe('wasm');
    expect(() => loadConfig({ DECODER: 'ffmpeg' })).toThrow(ConfigError);
    expect(() => loadConfig({ DECODER: 'ffmpeg' })).toThrow(/DECODER/);
  });

  it('analyses every frame by default, and reads ANALYSIS_FPS with decimals', () => {
    expect(loadConfig({}).analysis.analysisFps).toBeUndefined();
    expect(loadConfig({ ANALYSIS_FPS: '' }).analysis.analysisFps).toBeUndefined();
    expect(loadConfig({ ANALYSIS_FPS: '5' }).analysis.analysisFps).toBe(5);
    expect(loadConfig({ ANALYSIS_FPS: ' 0.5 ' }).analysis.analysisFps).toBe(0.5);
    expect(loadConfig({ ANALYSIS_FPS: '.25' }).analysis.analysisFps).toBe(0.25);
    expect(loadConfig({ ANALYSIS_FPS: '1000' }).analysis.analysisFps).toBe(1000);
  });

  it('runs a media worker per core by default; MEDIA_WORKERS=0 keeps the connections on the main thread', () => {
    expect(loadConfig({}).threads.mediaWorkers).toBe(availableParallelism());
    expect(loadConfig({ MEDIA_WORKERS: '0' }).threads.mediaWorkers).toBe(0);
    expect(loadConfig({ MEDIA_WORKERS: '6' }).threads.mediaWorkers).toBe(6);
    expect(() => loadConfig({ MEDIA_WORKERS: '-1' })).toThrow(/MEDIA_WORKERS/);
  });

  it('binds ICE to any free port by default, and to ICE_PORT_RANGE when set', () => {
    expect(loadConfig({}).ice.icePortRange).toBeUndefined();
    expect(loadConfig({ ICE_PORT_RANGE: '40000-40999' }).ice.icePortRange).toEqual([40000, 40999]);
  });

  it('ends silent tracks at their inactivity time by default; ICE_RESTART_WINDOW_MS lets a silent peer restart ICE first', () => {
    expect(loadConfig({}).peer.iceRestartWindowMs).toBe(0);
    expect(loadConfig({ ICE_RESTART_WINDOW_MS: '15000' }).peer.iceRestartWindowMs).toBe(15_000);
    expect(() => loadConfig({ ICE_RESTART_WINDOW_MS: '-1' })).toThrow(/ICE_RESTART_WINDOW_MS/);
  });

  it('announces the ICE_ANNOUNCED_ADDRESS as a host candidate beside ICE_ADDITIONAL_HOST_ADDRESSES', () => {
    expect(loadConfig({}).ice.iceAdditionalHostAddresses).toEqual(['127.0.0.1']);
    expect(loadConfig({ ICE_ANNOUNCED_ADDRESS: '198.51.100.7' }).ice.iceAdditionalHostAddresses).toEqual(['127.0.0.1', '198.51.100.7']);
    expect(loadConfig({ ICE_ANNOUNCED_ADDRESS: '198.51.100.7', ICE_ADDITIONAL_HOST_ADDRESSES: '198.51.100.7' }).ice.iceAdditionalHostAddresses).toEqual(['198.51.100.7']);
  });

  it('takes the client address from the socket without TRUST_PROXY; with it, a hop count or a list of proxies for Express', () => {
    expect(loadConfig({}).http.trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: ' ' }).http.trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).http.trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 192.0.2.7, fd00::/8, uniquelocal' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8', '192.0.2.7', 'fd00::/8', 'uniquelocal']);
  });

  it('accepts no TRUST_PROXY that Express would refuse when the app is built: the mistake is a ConfigError at start-up', () => {
    const entry = fc.oneof(
      fc.constantFrom('loopback', 'linklocal', 'uniquelocal', 'true', '0', '1', '', ' '),
      fc.tuple(fc.oneof(fc.ipV4(), fc.ipV4Extended()), fc.option(fc.integer({ min: -1, max: 40 }))).map(([ip, prefix]) => (prefix === null ? ip : `${ip}/${prefix}`)),
      fc.tuple(fc.ipV6(), fc.option(fc.integer({ min: -1, max: 130 }))).map(([ip, prefix]) => (prefix === null ? ip : `${ip}/${prefix}`)),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        let value: number | string[] | undefined;
        try {
          value = loadConfig({ TRUST_PROXY: entries.join(',') }).http.trustProxy;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        if (value === undefined) return;
        expect(() => express().set('trust proxy', value)).not.toThrow();
        expect(express().set('trust proxy', value).get('trust proxy')).not.toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is one instance without REDIS_URL; with it, joins a cluster under a unique instance id', () => {
    expect(loadConfig({}).cluster).toBeNull();
    const first = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).cluster;
    const second = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).cluster;
    expect(first).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix: 'sc:', heartbeatMs: 1000, entryTtlMs: 5000, rpcTimeoutMs: 5000, webhookClaimIdleMs: 30_000 });
    expect(first!.instanceId).not.toBe(second!.instanceId);
    const named = loadConfig({
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      REDIS_KEY_PREFIX: 'prod:',
      INSTANCE_ID: 'media-3',
      INSTANCE_URL: 'http://10.0.0.3:8080',
      CLUSTER_HEARTBEAT_MS: '500',
      CLUSTER_ENTRY_TTL_MS: '2000',
      REDIS_BACKLOG_LIMIT: '50',
    }).cluster;
    expect(named).toMatchObject({ keyPrefix: 'prod:', instanceId: 'media-3', instanceUrl: 'http://10.0.0.3:8080/', heartbeatMs: 500, entryTtlMs: 2000, backlogLimit: 50 });
  });

  it('bounds an asynchronous detection by DETECT_TIMEOUT_MS, half of FRAME_TIMEOUT_MS by default', () => {
    expect(loadConfig({}).analysis).toMatchObject({ frameTimeoutMs: 1000, detectTimeoutMs: 500 });
    expect(loadConfig({ FRAME_TIMEOUT_MS: '3000' }).analysis).toMatchObject({ frameTimeoutMs: 3000, detectTimeoutMs: 1500 });
    expect(loadConfig({ DETECT_TIMEOUT_MS: '200' }).analysis).toMatchObject({ frameTimeoutMs: 1000, detectTimeoutMs: 200 });
    expect(loadChecked({ DETECTOR: 'delayed-colour-region', DETECTOR_OPTIONS: 'delayMs=50,concurrency=4' }).analysis).toMatchObject({
      detector: 'delayed-colour-region',
      detectorOptions: { delayMs: 50, concurrency: 4 },
    });
  });

  it.each([
    [{ ANALYSIS_FPS: '0' }, /ANALYSIS_FPS must be a number between 0.01 and 1000 \(decimals allowed\), got "0"/],
    [{ ANALYSIS_FPS: '-5' }, /ANALYSIS_FPS must be a number between 0.01 and 1000/],
    [{ ANALYSIS_FPS: '1001' }, /ANALYSIS_FPS must be a number between 0.01 and 1000/],
    [{ ANALYSIS_FPS: 'fast' }, /ANALYSIS_FPS must be a number/],
    [{ ANALYSIS_FPS: '1e3' }, /ANALYSIS_FPS must be a number/],
    [{ ANALYSIS_FPS: '0.001' }, /ANALYSIS_FPS must be a number between 0.01/],
    [{ DETECT_TIMEOUT_MS: '1000' }, /DETECT_TIMEOUT_MS must be below FRAME_TIMEOUT_MS \(1000\), got 1000/],
    [{ FRAME_TIMEOUT_MS: '100', DETECT_TIMEOUT_MS: '500' }, /DETECT_TIMEOUT_MS must be below FRAME_TIMEOUT_MS \(100\)/],
    [{ DETECT_TIMEOUT_MS: '0' }, /DETECT_TIMEOUT_MS must be between 1/],
    [{ DETECTOR: 'delayed-colour-region', DETECTOR_OPTIONS: 'concurrency=0' }, /DETECTOR_OPTIONS: detector 'delayed-colour-region': concurrency must be an integer >= 1/],
    [{ INSPECT: 'yes' }, /INSPECT must be one of 0, 1, got "yes"/],
    [{ INSPECT: '1', INSPECT_PORT: '70000' }, /INSPECT_PORT must be between 0 and 65535/],
    [{ INSPECT: '1', INSPECT_PORT: 'ws://localhost' }, /INSPECT_PORT must be a whole number/],
    [{ INSPECT: '1', PORT: '9000', INSPECT_PORT: '9000' }, /INSPECT_PORT must differ from PORT, both are 9000/],
    [{ PORT: 'http' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ STOP_TIMEOUT_MS: '-5' }, /STOP_TIMEOUT_MS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ ICE_SERVERS: 'http://x' }, /ICE_SERVERS entries/],
    [{ ICE_ADDITIONAL_HOST_ADDRESSES: '300.1.1.1' }, /ICE_ADDITIONAL_HOST_ADDRESSES/],
    [{ ICE_ANNOUNCED_ADDRESS: 'public.example.org' }, /ICE_ANNOUNCED_ADDRESS/],
    [{ AUTH_TOKEN: 'short' }, /AUTH_TOKEN must be at least 16 characters/],
    [{ MAX_SESSIONS: '0' }, /MAX_SESSIONS must be between 1/],
    [{ MAX_TRACKS_PER_KIND: '0' }, /MAX_TRACKS_PER_KIND must be between 1 and 64/],
    [{ MAX_TRACKS_PER_KIND: '65' }, /MAX_TRACKS_PER_KIND must be between 1 and 64/],
    [{ CORS_ALLOW_ORIGIN: 'not an origin' }, /CORS_ALLOW_ORIGIN must be/],
    [{ RATE_LIMIT_OFFERS_PER_MINUTE: '0' }, /RATE_LIMIT_OFFERS_PER_MINUTE/],
    [{ TRUST_PROXY: 'true' }, /TRUST_PROXY must be a hop count or a list of proxy addresses, not "true": true would let any client choose/],
    [{ TRUST_PROXY: 'TRUE' }, /TRUST_PROXY must be a hop count/],
    [{ TRUST_PROXY: 'false' }, /TRUST_PROXY must be a hop count/],
    [{ TRUST_PROXY: '0' }, /TRUST_PROXY must be between 1 and 100/],
    [{ TRUST_PROXY: '101' }, /TRUST_PROXY must be between 1 and 100/],
    [{ TRUST_PROXY: 'nginx' }, /TRUST_PROXY must be a hop count or a comma-separated list of loopback, linklocal, uniquelocal, addresses and subnets \(10.0.0.0\/8\), got "nginx"/],
    [{ TRUST_PROXY: 'loopback, 300.1.1.1' }, /TRUST_PROXY .* got "300.1.1.1"/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY .* got "10.0.0.0\/33"/],
    [{ TRUST_PROXY: '10.0.0.0/255.0.0.0' }, /TRUST_PROXY .* got "10.0.0.0\/255.0.0.0"/],
    [{ TRUST_PROXY: 'fd00::/129' }, /TRUST_PROXY .* got "fd00::\/129"/],
    [{ TRUST_PROXY: '0.0.0.0/0' }, /TRUST_PROXY must not trust every address \("0.0.0.0\/0"\)/],
    [{ TRUST_PROXY: '::/0' }, /TRUST_PROXY must not trust every address/],
    [{ SUMMARY_WEBHOOK_URL: 'not a url' }, /SUMMARY_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL/],
    [{ SUMMARY_WEBHOOK_URL: 'ftp://example.org/x' }, /SUMMARY_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL/],
    [{ SUMMARY_WEBHOOK_SECRET: 'short' }, /SUMMARY_WEBHOOK_SECRET must be at least 16 characters/],
    [{ SUMMARY_WEBHOOK_SECRET: 'whsec_not base64 at all!' }, /SUMMARY_WEBHOOK_SECRET starting with whsec_ must continue with a key/],
    [{ SUMMARY_WEBHOOK_SECRET: 'whsec_c2hvcnQta2V5' }, /SUMMARY_WEBHOOK_SECRET starting with whsec_ must continue with a key/],
    [{ SUMMARY_WEBHOOK_MAX_ATTEMPTS: '0' }, /SUMMARY_WEBHOOK_MAX_ATTEMPTS must be between 1/],
    [{ SUMMARY_WEBHOOK_QUEUE_SIZE: 'many' }, /SUMMARY_WEBHOOK_QUEUE_SIZE must be a whole number/],
    [{ ICE_PORT_RANGE: '40000' }, /ICE_PORT_RANGE must be LOW-HIGH/],
    [{ ICE_PORT_RANGE: '40999-40000' }, /ICE_PORT_RANGE must be LOW-HIGH/],
    [{ ICE_PORT_RANGE: '80-90' }, /ICE_PORT_RANGE must be LOW-HIGH with 1024/],
    [{ REDIS_URL: 'http://redis:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'redis://r:6379', INSTANCE_ID: 'has spaces' }, /INSTANCE_ID may hold/],
    [{ REDIS_URL: 'redis://r:6379', CLUSTER_HEARTBEAT_MS: '1000', CLUSTER_ENTRY_TTL_MS: '2000' }, /CLUSTER_ENTRY_TTL_MS must be at least three heartbeats/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadChecked(env)).toThrow(ConfigError);
    expect(() => loadChecked(env)).toThrow(message);
  });
});
