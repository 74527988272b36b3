import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { ClusterConfig } from '../../src/cluster/clusterConfig';
import { createServer } from 'node:net';

/** A real redis-server (Debian's) on 127.0.0.1, nothing saved to disk; stop() ends it. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for its exit; idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (a restarted Redis without persistence). */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output.slice(-500)}`)), 5000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${output.slice(-500)}`));
    });
  });
}

function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || (child.signalCode !== null && child.signalCode !== 'SIGSTOP' && child.signalCode !== 'SIGCONT')) return Promise.resolve();
  child.kill('SIGCONT');
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end(child),
    async restart() {
      await end(child);
      child = await launch(port);
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** Cluster settings for a test instance: short heartbeats, so that a dead instance is noticed within a second. */
export function testClusterConfig(redis: Pick<RedisServer, 'url'>, instanceId: string, overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    redisUrl: redis.url,
    keyPrefix: 'test:',
    instanceId,
    instanceUrl: undefined,
    heartbeatMs: 100,
    entryTtlMs: 600,
    rpcTimeoutMs: 3000,
    webhookClaimIdleMs: 1500,
    backlogLimit: 1000,
    ...overrides,
  };
}

/** The same settings as environment variables, for an instance in a child process. */
export function testClusterEnv(redis: Pick<RedisServer, 'url'>, instanceId: string): Record<string, string> {
  const config = testClusterConfig(redis, instanceId);
  return {
    REDIS_URL: config.redisUrl,
    REDIS_KEY_PREFIX: config.keyPrefix,
    INSTANCE_ID: instanceId,
    CLUSTER_HEARTBEAT_MS: String(config.heartbeatMs),
    CLUSTER_ENTRY_TTL_MS: String(config.entryTtlMs),
    WEBHOOK_CLAIM_IDLE_MS: String(config.webhookClaimIdleMs),
  };
}

/**
 * One redis-server for a test file, emptied before each test: call at the top of the file and
 * read `.server` inside tests.
 */
export function useRedisServer(): { server: RedisServer } {
  const holder = {} as { server: RedisServer };
  beforeAll(async () => {
    holder.server = await startRedisServer();
  });
  afterAll(async () => {
    await holder.server.stop();
  });
  beforeEach(async () => {
    const admin = new Redis(holder.server.url, { maxRetriesPerRequest: 1 });
    await admin.flushall();
    admin.disconnect();
  });
  return holder;
}
