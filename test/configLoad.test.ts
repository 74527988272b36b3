import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/**
 * The modules a fresh Node process holds after reading the configuration (src/config) the way
 * main.ts does, TypeScript compiled on load as `npm run dev` does.
 */
function modulesLoadedByConfig(): string[] {
  const script = `
    const { loadConfig } = require('./src/config');
    loadConfig({});
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
  `;
  const output = execFileSync(process.execPath, ['--require', 'esbuild-register', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(output) as string[]).map((file) => path.relative(ROOT, file));
}

describe('reading the configuration', () => {
  it('loads no media code: no module of src/media/, no decoder (libav.js, h264decoder, the native addon) and no ONNX Runtime', () => {
    const loaded = modulesLoadedByConfig();
    // The check itself: the child did read the configuration and its slices.
    expect(loaded).toEqual(expect.arrayContaining(['src/config/index.ts', 'src/limitsConfig.ts', 'src/cluster/clusterConfig.ts']));
    const media = loaded.filter((file) => file.startsWith('src/media/') || /libav|onnxruntime|h264decoder|native\/decoders|\.node$/.test(file));
    expect(media).toEqual([]);
  });

  it('main.ts still refuses, before listening, what only the media code can check: a detector option out of range', () => {
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', MEDIA_WORKERS: '0', DETECTOR: 'delayed-colour-region', DETECTOR_OPTIONS: 'concurrency=0' };
    // A server that started instead would be ended by the timeout, and the test fail on its exit status.
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    expect(result.stderr).toContain("Invalid configuration: DETECTOR_OPTIONS: detector 'delayed-colour-region': concurrency must be an integer >= 1");
    expect(result.status).toBe(1);
  });
});
