import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { HttpProblem, sendProblem } from './problem';

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
