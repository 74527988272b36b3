import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { HalfOpenSessions } from './halfOpenSessions';
import { createsSession } from './halfOpenSessions';
import { sendProblem } from './problem';
import { HttpProblem } from '../errors';

/** Security headers; the page's own script and stylesheet are the only sources it may load. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'"] },
    },
    strictTransportSecurity: false,
  });
}

/** At most `perMinute` requests a minute from one client address; beyond, 429 with Retry-After. */
export function perClientRateLimit(what: string, perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req: Request, res: Response) => {
      sendProblem(
        res,
        new HttpProblem(429, 'Too many requests', `more than ${perMinute} ${what} a minute from this client`, {
          'Retry-After': '60',
        }),
      );
    },
  });
}

/**
 * The per-client budgets of the session routes: one for offers (POST /offer, /whip and
 * /sessions/<id>/offer draw on the same budget), one for deletions (DELETE /sessions/<id>
 * and /whip/<id>), one for WHIP ICE updates (PATCH /whip/<id>: a trickling client sends
 * several a session). Create them once per app and hand the same set to every router.
 * An offer for a new session also draws on its address's budget of half-open sessions
 * (HalfOpenSessions), when one is given.
 */
export interface SessionRateLimits {
  offers: RequestHandler;
  deletions: RequestHandler;
  iceUpdates: RequestHandler;
}

export function sessionRateLimits(
  perMinute: { offersPerMinute: number; deletesPerMinute: number; iceUpdatesPerMinute: number },
  halfOpen?: HalfOpenSessions,
): SessionRateLimits {
  const offersPerMinute = perClientRateLimit('offers', perMinute.offersPerMinute);
  const halfOpenCap = halfOpen?.middleware();
  return {
    offers: halfOpenCap
      ? (req, res, next) => offersPerMinute(req, res, (error?: unknown) => (error || !createsSession(req) ? next(error) : halfOpenCap(req, res, next)))
      : offersPerMinute,
    deletions: perClientRateLimit('session deletions', perMinute.deletesPerMinute),
    iceUpdates: perClientRateLimit('ICE updates', perMinute.iceUpdatesPerMinute),
  };
}
