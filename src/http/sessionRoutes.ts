import express from 'express';
import type { InputLimits } from '../limitsConfig';
import type { SessionManager } from '../sessions/sessionManager';
import { offerRules, readOffer } from './offerValidation';
import type { SessionRateLimits } from './protection';
import type { RenegotiationBudget } from './renegotiationBudget';
import { closedSessionBody } from '../counters/summary';
import { requireContentType, sessionIdParam } from './requests';
import { askCluster, misdirected, negotiate } from './sessionProblems';
import { HttpProblem } from '../errors';
import { callerOf, sessionOwnerOf } from './auth/authorization';

export interface SessionRouterOptions {
  manager: SessionManager;
  maxBodyBytes: number;
  /** The budgets shared with the WHIP routes. */
  limits: SessionRateLimits;
  /** What one offer may ask for (MAX_MEDIA_SECTIONS, MAX_ICE_TRANSPORTS). */
  inputLimits: InputLimits;
  /** Renegotiations and WHIP ICE restarts per session (shared with the WHIP routes). */
  renegotiations: RenegotiationBudget;
}

const unknownSession = (id: string) => new HttpProblem(404, 'Unknown session', `no session with id "${id.slice(0, 64)}"`);
const requireJson = requireContentType('application/json');

/**
 * The session API: POST /offer creates a session from a JSON offer, POST /sessions/<id>/offer
 * renegotiates it, GET /sessions and /sessions/<id> read the records, DELETE /sessions/<id>
 * ends a session and answers its summary.
 */
export function createSessionRouter({ manager, maxBodyBytes, limits, inputLimits, renegotiations }: SessionRouterOptions): express.Router {
  const router = express.Router();
  const json = express.json({ limit: maxBodyBytes });

  router.post('/offer', limits.offers, requireJson, json, async (req, res) => {
    const offerSdp = readOffer(req.body, offerRules(manager, inputLimits));
    const { sessionId, answerSdp } = await negotiate(() => manager.createSession(offerSdp, sessionOwnerOf(res)));
    res.json({ sdp: answerSdp, type: 'answer', session_id: sessionId });
  });

  router.post('/sessions/:id/offer', limits.offers, requireJson, json, async (req, res) => {
    const id = sessionIdParam(req, unknownSession);
    const offerSdp = readOffer(req.body, offerRules(manager, inputLimits));
    const live = manager.get(id);
    if (live) renegotiations.spend(live, 'renegotiation');
    const answerSdp = await negotiate(() => manager.renegotiate(id, offerSdp));
    if (answerSdp === undefined) {
      const owner = await askCluster(() => manager.ownerOf(id));
      if (owner) throw misdirected(id, owner, 'renegotiation');
      throw new HttpProblem(404, 'Unknown session', `no live session with id "${id}"`);
    }
    res.json({ sdp: answerSdp, type: 'answer', session_id: id });
  });

  router.get('/sessions/:id', async (req, res) => {
    const id = sessionIdParam(req, unknownSession);
    const view = await askCluster(() => manager.find(id));
    if (!view) throw unknownSession(id);
    res.json(view);
  });

  router.delete('/sessions/:id', limits.deletions, async (req, res) => {
    const id = sessionIdParam(req, unknownSession);
    const view = await askCluster(() => manager.end(id, callerOf(res)));
    if (!view) throw unknownSession(id);
    res.json(closedSessionBody(view));
  });

  return router;
}
