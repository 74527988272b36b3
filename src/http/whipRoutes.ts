import express, { type Request } from 'express';
import type { InputLimits } from '../limitsConfig';
import type { SessionManager } from '../sessions/sessionManager';
import { ICE_FRAGMENT_TYPE, iceEntityTag, parseIceFragment } from '../webrtc/iceFragment';
import { checkOfferSdp, offerRules } from './offerValidation';
import type { SessionRateLimits } from './protection';
import type { RenegotiationBudget } from './renegotiationBudget';
import { closedSessionBody } from '../counters/summary';
import { requireContentType, sessionIdParam } from './requests';
import { askCluster, misdirected, negotiate, updatingIce } from './sessionProblems';
import { HttpProblem, isError } from '../errors';
import { callerOf, sessionOwnerOf } from './auth/authorization';

export interface WhipRouterOptions {
  manager: SessionManager;
  maxBodyBytes: number;
  /** Access-Control-Allow-Origin for browser WHIP clients ('*' or one origin). */
  allowOrigin: string;
  /** The budgets shared with the session routes: POST /whip spends an offer, DELETE a deletion. */
  limits: SessionRateLimits;
  /** What one offer may ask for (MAX_MEDIA_SECTIONS, MAX_ICE_TRANSPORTS). */
  inputLimits: InputLimits;
  /** Renegotiations and ICE restarts per session (shared with the session routes). */
  renegotiations: RenegotiationBudget;
  /** Called for each PATCH applied (the metrics). */
  iceUpdated?: (kind: 'trickle' | 'restart') => void;
}

export const WHIP_ENDPOINT = '/whip';
const SDP_TYPE = 'application/sdp';
const ENDPOINT_METHODS = 'POST, OPTIONS';
const SESSION_METHODS = 'PATCH, DELETE, OPTIONS';

/** Lets a browser WHIP client on another origin call the routes and read `Location`. */
function corsHeaders(allowOrigin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Expose-Headers': 'Location, Accept-Post, Accept-Patch, ETag',
    ...(allowOrigin === '*' ? {} : { Vary: 'Origin' }),
  };
}

const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'POST, DELETE, PATCH, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
  'Access-Control-Max-Age': '600',
};

export function whipSessionLocation(sessionId: string): string {
  return `${WHIP_ENDPOINT}/${sessionId}`;
}

/**
 * WHIP ingest (RFC 9725): the endpoint `/whip` creates a session from an `application/sdp`
 * offer, the session resource `/whip/<session_id>` takes trickled candidates and ICE restarts
 * with PATCH (section 4.3; the `ETag` of the 201 names the ICE session) and ends it with DELETE.
 */
export function createWhipRouter({ manager, maxBodyBytes, allowOrigin, limits, inputLimits, renegotiations, iceUpdated }: WhipRouterOptions): express.Router {
  const router = express.Router();
  const cors = corsHeaders(allowOrigin);

  // Counted before anything else answers: a 429 carries no CORS headers.
  router.post(WHIP_ENDPOINT, limits.offers);
  router.delete(`${WHIP_ENDPOINT}/:id`, limits.deletions);
  router.patch(`${WHIP_ENDPOINT}/:id`, limits.iceUpdates);

  router.use(WHIP_ENDPOINT, (_req, res, next) => {
    res.set(cors);
    next();
  });

  router.options(WHIP_ENDPOINT, (_req, res) => {
    res.set({ ...PREFLIGHT_HEADERS, Allow: ENDPOINT_METHODS, 'Accept-Post': SDP_TYPE }).status(204).end();
  });

  router.post(WHIP_ENDPOINT, requireContentType(SDP_TYPE), express.text({ type: SDP_TYPE, limit: maxBodyBytes }), async (req, res) => {
    const offerSdp = checkOfferSdp(readSdpBody(req.body), offerRules(manager, inputLimits));
    const { sessionId, answerSdp } = await negotiate(() => manager.createSession(offerSdp, sessionOwnerOf(res)));
    res.status(201).location(whipSessionLocation(sessionId)).set('ETag', iceEntityTag(answerSdp)).type(SDP_TYPE).send(answerSdp);
  });

  router.all(WHIP_ENDPOINT, (req) => {
    throw methodNotAllowed(req, ENDPOINT_METHODS);
  });

  router.options(`${WHIP_ENDPOINT}/:id`, (_req, res) => {
    res.set({ ...PREFLIGHT_HEADERS, Allow: SESSION_METHODS, 'Accept-Patch': ICE_FRAGMENT_TYPE }).status(204).end();
  });

  router.delete(`${WHIP_ENDPOINT}/:id`, async (req, res) => {
    const id = sessionIdParam(req, unknownResource);
    const view = await askCluster(() => manager.end(id, callerOf(res)));
    if (!view) throw unknownResource(id);
    res.json(closedSessionBody(view));
  });

  router.patch(`${WHIP_ENDPOINT}/:id`, async (req, _res, next) => {
    const id = sessionIdParam(req, unknownResource);
    if (manager.get(id)) return next();
    const owner = await askCluster(() => manager.ownerOf(id));
    if (owner) throw misdirected(id, owner, 'ICE update');
    throw new HttpProblem(404, 'Unknown WHIP session', `no live WHIP session with id "${id}"`);
  });

  router.patch(`${WHIP_ENDPOINT}/:id`, requireIceFragment, express.text({ type: ICE_FRAGMENT_TYPE, limit: maxBodyBytes }), async (req, res) => {
    const peer = manager.get(String(req.params.id));
    if (!peer) throw unknownResource(String(req.params.id));
    const ifMatch = req.get('If-Match');
    if (ifMatch === undefined) {
      throw new HttpProblem(428, 'Precondition required', 'a PATCH of a WHIP session needs If-Match: the ETag of its ICE session, or "*" for an ICE restart');
    }
    const body = typeof req.body === 'string' ? req.body : '';
    // What an ICE restart must look like (If-Match: *, credentials, read by the parser the media
    // side uses): spent before the media side sees it; a trickle under `*` with the same
    // credentials is counted too.
    if (ifMatch.trim() === '*' && carriesCredentials(body)) renegotiations.spend(peer, 'ICE restart');
    const result = await updatingIce(() => peer.updateIce(body, ifMatch));
    iceUpdated?.(result.restarted ? 'restart' : 'trickle');
    if (!result.restarted) {
      res.status(204).end();
      return;
    }
    res.status(200).set('ETag', result.etag).type(ICE_FRAGMENT_TYPE).send(result.fragment);
  });

  router.all(`${WHIP_ENDPOINT}/:id`, async (req) => {
    const id = sessionIdParam(req, unknownResource);
    if (!(await askCluster(() => manager.find(id)))) throw unknownResource(id);
    throw methodNotAllowed(req, SESSION_METHODS);
  });

  return router;
}

/** 415 for a PATCH that is not a trickle ICE fragment, saying what is accepted (RFC 5789 section 3.1). */
function requireIceFragment(req: Request, res: express.Response, next: express.NextFunction): void {
  if (!req.is(ICE_FRAGMENT_TYPE)) res.set('Accept-Patch', ICE_FRAGMENT_TYPE);
  requireContentType(ICE_FRAGMENT_TYPE)(req, res, next);
}

/** Whether a PATCH body is a fragment with an ice-ufrag; a body that does not parse is refused later, by the media side. */
function carriesCredentials(body: string): boolean {
  try {
    return parseIceFragment(body).ufrag !== null;
  } catch (error) {
    if (isError(error, 'IceFragmentError')) return false;
    throw error;
  }
}

function readSdpBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new HttpProblem(400, 'Invalid SDP', 'the body must be an SDP offer');
  }
  return body;
}

function unknownResource(id: string): HttpProblem {
  return new HttpProblem(404, 'Unknown WHIP session', `no WHIP session with id "${id.slice(0, 64)}"`);
}

function methodNotAllowed(req: Request, allow: string): HttpProblem {
  return new HttpProblem(405, 'Method not allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`, {
    Allow: allow,
  });
}
