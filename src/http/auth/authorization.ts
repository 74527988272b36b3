import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SessionManager, SessionOwner } from '../../sessions/sessionManager';
import { HttpProblem } from '../../errors';
import { askCluster } from '../sessionProblems';
import { OPEN_IDENTITY, type Credentials, type Identity } from './credentials';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The identity `authenticate` found for this request (admin in the open mode). */
export function callerOf(res: Response): Identity {
  return (res.locals.identity as Identity | undefined) ?? OPEN_IDENTITY;
}

/** The owner a session created by this request records: none in the open mode, where nobody is told apart. */
export function sessionOwnerOf(res: Response): SessionOwner | undefined {
  const identity = res.locals.identity as Identity | undefined;
  if (!identity) return undefined;
  const { subject, maxSessionMs, sessionName } = identity;
  return { subject, ...(maxSessionMs === undefined ? {} : { maxSessionMs }), ...(sessionName === undefined ? {} : { sessionName }) };
}

/**
 * Finds the caller from `Authorization: Bearer` (a 401 with WWW-Authenticate when there is
 * none or it is not valid). CORS preflights carry no credentials and pass.
 */
export function authenticate(credentials: Credentials): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS' || !credentials.required) return next();
    credentials.identify(req.headers.authorization).then((identity) => {
      res.locals.identity = identity;
      next();
    }, next);
  };
}

/** A session route and the 404 its own handler answers for an id it does not know. */
interface SessionRoute {
  id: string;
  unknown: HttpProblem;
}

/**
 * The session routes a publisher may call on its own sessions; the 404 of each is the one the
 * route gives for an unknown id, so a stranger's session and no session look the same.
 */
function sessionRoute(method: string, path: string): SessionRoute | null {
  let match = /^\/sessions\/([^/]+)$/.exec(path);
  if (match && (method === 'GET' || method === 'DELETE')) return { id: match[1]!, unknown: new HttpProblem(404, 'Unknown session', `no session with id "${match[1]!.slice(0, 64)}"`) };
  match = /^\/sessions\/([^/]+)\/offer$/.exec(path);
  if (match && method === 'POST') return { id: match[1]!, unknown: new HttpProblem(404, 'Unknown session', `no live session with id "${match[1]!.slice(0, 64)}"`) };
  match = /^\/whip\/([^/]+)$/.exec(path);
  if (match) return { id: match[1]!, unknown: new HttpProblem(404, 'Unknown WHIP session', `no WHIP session with id "${match[1]!.slice(0, 64)}"`) };
  return null;
}

/** What a publisher may call besides its own sessions: create one, and ask whether the server is ready. */
const PUBLISHER_ROUTES = new Set(['POST /offer', 'POST /whip', 'GET /readyz', 'HEAD /readyz']);

/**
 * Who may do what (docs/security.md): an admin everything; a publisher creates sessions and
 * reads, ends, renegotiates and updates the ICE of the sessions it owns. Another's session is a
 * 404, as if it did not exist; any other route (the listing, /metrics, /cluster) a 403.
 */
export function authorize(manager: SessionManager): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const caller = callerOf(res);
    if (req.method === 'OPTIONS' || caller.role === 'admin') return next();
    if (PUBLISHER_ROUTES.has(`${req.method} ${req.path}`)) return next();
    const route = sessionRoute(req.method, req.path);
    if (!route) return next(new HttpProblem(403, 'Forbidden', `a publish credential may not call ${req.method} ${req.path.slice(0, 200)}`));
    // An id that is not a session's gets the route's own 404.
    if (!UUID.test(route.id)) return next();
    ownerOf(manager, route.id).then((owner) => next(owner === null || owner === caller.subject ? undefined : route.unknown), next);
  };
}

/**
 * The owner of a session: this instance's live one, or its record here or in the cluster (the
 * opening record carries it). Null for no session, the route says so; undefined for an ownerless
 * one (created in the open mode), which only an admin may touch.
 */
async function ownerOf(manager: SessionManager, id: string): Promise<string | null | undefined> {
  const live = manager.get(id);
  if (live) return live.owner;
  const record = await askCluster(() => manager.find(id));
  return record ? record.owner : null;
}
