import express from 'express';
import type { ClusterView, DegradedPart } from '../protocol';
import type { SessionManager } from '../sessions/sessionManager';
import { askCluster } from './sessionProblems';

/** What is degraded on this instance: today, only Redis in a cluster. */
export function degradedParts(manager: SessionManager): DegradedPart[] {
  const redis = manager.clusterStats();
  if (!redis || redis.up) return [];
  return [
    {
      part: 'redis',
      detail: `unreachable: new sessions are taken here, only this instance's sessions are known, ${redis.backlog} records and summaries wait in memory`,
    },
  ];
}

/**
 * GET /cluster: the instances behind this address with their load and whether they take
 * sessions (this one alone without Redis), and the state of this instance's link to Redis.
 */
export function createClusterRouter({ manager }: { manager: SessionManager }): express.Router {
  const router = express.Router();
  router.get('/cluster', async (_req, res) => {
    const instances = await askCluster(() => manager.instances());
    const view: ClusterView = { instance_id: manager.instanceId, redis: manager.clusterStats(), instances };
    res.json(view);
  });
  return router;
}
