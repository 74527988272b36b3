import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { httpUrl, integer, type Env } from '../configValues';
import { ConfigError } from '../errors';

/** Several instances behind one address, coordinated through Redis (REDIS_URL). */
export interface ClusterConfig {
  redisUrl: string;
  /** Prefix of every key and channel, so that several deployments can share one Redis. */
  keyPrefix: string;
  /** This instance's name in the cluster (GET /cluster, the directory); unique per process. */
  instanceId: string;
  /** Where this instance can be reached directly, shown by GET /cluster; optional. */
  instanceUrl: string | undefined;
  /** How often this instance publishes its load and refreshes its sessions' entries. */
  heartbeatMs: number;
  /** Entries not refreshed within this time expire: their instance is taken for dead. */
  entryTtlMs: number;
  /** How long a call to another instance (DELETE, GET of a live session there) may take. */
  rpcTimeoutMs: number;
  /** A summary a dead instance took for delivery is taken over by another after this time. */
  webhookClaimIdleMs: number;
  /** Records and summaries kept in memory while Redis is unreachable; beyond, the oldest is dropped. */
  backlogLimit: number;
}

/** The cluster settings, or null without REDIS_URL (one instance, everything in memory). */
export function clusterSettings(env: Env): ClusterConfig | null {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return null;
  if (!/^rediss?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got "${raw.replace(/:[^:@/]*@/, ':***@')}"`);
  const keyPrefix = env.REDIS_KEY_PREFIX ?? 'sc:';
  if (!/^[\w:.-]{0,64}$/.test(keyPrefix)) throw new ConfigError(`REDIS_KEY_PREFIX may hold letters, digits and _ : . - (at most 64), got "${keyPrefix}"`);
  const instanceId = env.INSTANCE_ID?.trim() || `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!/^[\w.-]{1,100}$/.test(instanceId)) throw new ConfigError(`INSTANCE_ID may hold letters, digits and _ . - (at most 100), got "${instanceId}"`);
  const heartbeatMs = integer(env, 'CLUSTER_HEARTBEAT_MS', 1000, 50, 60_000);
  const entryTtlMs = integer(env, 'CLUSTER_ENTRY_TTL_MS', 5 * heartbeatMs, 150, 600_000);
  if (entryTtlMs < 3 * heartbeatMs) {
    throw new ConfigError(`CLUSTER_ENTRY_TTL_MS must be at least three heartbeats (${3 * heartbeatMs}), got ${entryTtlMs}`);
  }
  return {
    redisUrl: raw,
    keyPrefix,
    instanceId,
    instanceUrl: httpUrl(env, 'INSTANCE_URL'),
    heartbeatMs,
    entryTtlMs,
    rpcTimeoutMs: integer(env, 'CLUSTER_RPC_TIMEOUT_MS', 5000, 100, 120_000),
    webhookClaimIdleMs: integer(env, 'WEBHOOK_CLAIM_IDLE_MS', 30_000, 100, 3600_000),
    backlogLimit: integer(env, 'REDIS_BACKLOG_LIMIT', 10_000, 1, 1_000_000),
  };
}
