import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import helmet from 'helmet';
import type { HalfOpenSessions } from './halfOpenSessions';
import { createsSession } from './halfOpenSessions';
import { sendProblem } from './problem';
import type { SharedRateLimits } from './sharedRateLimits';
import { HttpProblem } from '../errors';
import type { Logger } from '../logger';

/** Security headers; the page's own script and stylesheet are the only sources it may load. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'"] },
    },
    strictTransportSecurity: false,
  });
}

/** Where the limits count and report: a shared store per budget (Redis), and the server's log. */
export interface RateLimitSetup {
  /** With REDIS_URL: one budget across every instance. Without: this instance's memory. */
  shared?: SharedRateLimits;
  /** express-rate-limit's own findings (an X-Forwarded-For it was told to ignore, ...), once each. */
  logger?: Logger;
}

/**
 * At most `perMinute` requests a minute from one client address (req.ip: the socket's, or the
 * one TRUST_PROXY's proxies forwarded); beyond, 429 with Retry-After.
 */
export function perClientRateLimit(what: string, perMinute: number, store?: Store, logger?: Logger): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store,
    // Its checks (trust proxy true, X-Forwarded-For without TRUST_PROXY) log once per limiter
    // through the server's log rather than on stderr; TRUST_PROXY=true is refused at start-up.
    ...(logger && { logger: { warn: (finding: unknown) => logger.warn('rate limit', { finding: String(finding) }), error: (finding: unknown) => logger.warn('rate limit', { finding: String(finding) }) } }),
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
 * (HalfOpenSessions), when one is given. With REDIS_URL the three per-minute budgets are
 * shared by every instance (SharedRateLimits); the half-open cap stays per instance, since
 * what it protects (connections being set up) is this instance's.
 */
export interface SessionRateLimits {
  offers: RequestHandler;
  deletions: RequestHandler;
  iceUpdates: RequestHandler;
}

export function sessionRateLimits(
  perMinute: { offersPerMinute: number; deletesPerMinute: number; iceUpdatesPerMinute: number },
  halfOpen?: HalfOpenSessions,
  { shared, logger }: RateLimitSetup = {},
): SessionRateLimits {
  const limit = (budget: string, what: string, limit: number) => perClientRateLimit(what, limit, shared?.store(budget), logger);
  const offersPerMinute = limit('offers', 'offers', perMinute.offersPerMinute);
  const halfOpenCap = halfOpen?.middleware();
  return {
    offers: halfOpenCap
      ? (req, res, next) => offersPerMinute(req, res, (error?: unknown) => (error || !createsSession(req) ? next(error) : halfOpenCap(req, res, next)))
      : offersPerMinute,
    deletions: limit('deletions', 'session deletions', perMinute.deletesPerMinute),
    iceUpdates: limit('ice-updates', 'ICE updates', perMinute.iceUpdatesPerMinute),
  };
}
