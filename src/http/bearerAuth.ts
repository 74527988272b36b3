import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `Authorization: Bearer <token>` when a token is configured. Digests of equal length
 * are compared in constant time, so the comparison leaks neither the token nor its length.
 * CORS preflights carry no credentials and pass.
 */
export function bearerAuth(token: string | undefined) {
  const expected = token ? digest(token) : null;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!expected || req.method === 'OPTIONS') return next();
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    const challenge = { 'WWW-Authenticate': 'Bearer' };
    if (!match) {
      throw new HttpProblem(401, 'Unauthorized', 'this server requires an Authorization: Bearer <token> header', challenge);
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpProblem(401, 'Unauthorized', 'the bearer token is not valid', challenge);
    }
    next();
  };
}
