import express from 'express';
import type { ClusterView, DegradedPart } from '../protocol';
import { decodeCursor, MAX_LISTING_LIMIT, type ListingPage } from '../protocol/sessionListing';
import type { SessionManager } from '../sessions/sessionManager';
import { askCluster } from './sessionProblems';
import { HttpProblem } from '../errors';

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
 * `GET /sessions?limit=&cursor=`: `limit` from 1 to MAX_LISTING_LIMIT (larger is capped; the
 * default is the maximum, so a listing without parameters is what it always was below it),
 * `cursor` the `next_cursor` of the page before. Anything else is a 400.
 */
export function listingPage(query: express.Request['query']): ListingPage {
  const { limit, cursor } = query;
  let pageLimit = MAX_LISTING_LIMIT;
  if (limit !== undefined) {
    if (typeof limit !== 'string' || !/^\d{1,9}$/.test(limit) || Number(limit) < 1) throw new HttpProblem(400, 'Invalid listing', 'limit must be a whole number from 1');
    pageLimit = Math.min(MAX_LISTING_LIMIT, Number(limit));
  }
  if (cursor === undefined) return { limit: pageLimit, after: null };
  const after = typeof cursor === 'string' ? decodeCursor(cursor) : null;
  if (!after) throw new HttpProblem(400, 'Invalid listing', 'cursor must be the next_cursor of a listing');
  return { limit: pageLimit, after };
}

/**
 * GET /sessions: the sessions of every instance, newest first, a page at a time (each request
 * reads at most a page of records from Redis).
 *
 * GET /cluster: the instances behind this address with their load and whether they take
 * sessions (this one alone without Redis), and the state of this instance's link to Redis.
 */
export function createClusterRouter({ manager }: { manager: SessionManager }): express.Router {
  const router = express.Router();
  router.get('/sessions', async (req, res) => {
    const page = listingPage(req.query);
    res.json(await askCluster(() => manager.listAll(page)));
  });
  router.get('/cluster', async (_req, res) => {
    const instances = await askCluster(() => manager.instances());
    const view: ClusterView = { instance_id: manager.instanceId, redis: manager.clusterStats(), instances };
    res.json(view);
  });
  return router;
}
