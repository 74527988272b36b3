import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `:id` parameter of a session route. An id that is not a UUID names no session: it gets
 * the route's own 404 problem, `unknownSession(id)`.
 */
export function sessionIdParam(req: Request, unknownSession: (id: string) => HttpProblem): string {
  const id = String(req.params.id ?? '');
  if (!UUID.test(id)) throw unknownSession(id);
  return id;
}

/** Refuses a body of any other media type with a 415 problem naming the type it got. */
export function requireContentType(type: string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.is(type)) {
      throw new HttpProblem(
        415,
        'Unsupported media type',
        `expected Content-Type ${type}, got ${JSON.stringify(req.headers['content-type'] ?? null)}`,
      );
    }
    next();
  };
}
