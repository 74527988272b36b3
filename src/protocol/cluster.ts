/** One instance as `GET /cluster` lists it (what each instance publishes with its heartbeat). */
export interface InstanceInfo {
  instance_id: string;
  /** Where it can be reached directly (INSTANCE_URL), or null. */
  url: string | null;
  /** Sessions it holds. */
  sessions: number;
  max_sessions: number;
  /** False while it drains or shuts down: it takes no new session. */
  accepting: boolean;
  /** Peer connections each of its media workers holds. */
  media_workers: Record<string, number>;
  started_at: number;
  heartbeat_at: number;
}

/** This instance's link to Redis, in `GET /cluster` (null without REDIS_URL). */
export interface RedisLinkView {
  up: boolean;
  /** Records and summaries waiting in memory for Redis. */
  backlog: number;
  /** Dropped from a full backlog since start. */
  dropped: number;
  /** Times the connection was lost since start. */
  outages: number;
}

/** `GET /cluster`. */
export interface ClusterView {
  /** The instance that answered. */
  instance_id: string;
  redis: RedisLinkView | null;
  instances: InstanceInfo[];
}

/** A part of the server that works, but not fully (`/readyz` lists them). */
export interface DegradedPart {
  part: string;
  detail: string;
}

/** `GET /readyz` while the instance takes sessions. */
export interface ReadyView {
  status: 'ready';
  sessions: number;
  degraded: DegradedPart[];
}
