import type { Request, RequestHandler, Response } from 'express';
import { refusals } from '../limits/refusals';
import type { SessionManager } from '../sessions/sessionManager';
import { sendProblem } from './problem';
import { HttpProblem } from '../errors';

/** What a client is told to wait before another offer, about one connect attempt. */
const RETRY_AFTER_SECONDS = 5;
/** Addresses tracked before the first sweep of all of them. */
const SWEEP_AT_LEAST = 1024;

/**
 * MAX_HALF_OPEN_SESSIONS_PER_ADDRESS: sessions one client address holds that have not connected
 * yet. A session holds its ICE sockets and a slot of MAX_SESSIONS until it connects or its
 * connect timeout ends it; one address offering without ever connecting could hold them all.
 * Connected sessions are not counted (a real peer completed ICE and DTLS for each), nor are
 * renegotiations of a live session.
 *
 * An offer counts from its arrival (so a burst of concurrent offers is counted too) until its
 * session connects, ends, or the offer fails. Beyond the budget: 429 with Retry-After, counted as
 * `input_refused_total{resource="half_open_session"}`. The session routes need not know: the
 * session an offer made is read from the answer (`session_id` in JSON, `Location` for WHIP).
 */
export class HalfOpenSessions {
  /** Offers in flight, by address. */
  private readonly pending = new Map<string, number>();
  /** Sessions not yet seen connected, by address. */
  private readonly sessions = new Map<string, Set<string>>();
  /** Addresses tracked beyond which every one is swept: an address that never offers again leaves too. */
  private sweepAt = SWEEP_AT_LEAST;

  constructor(
    private readonly manager: Pick<SessionManager, 'get'>,
    private readonly perAddress: number,
  ) {}

  /** Addresses with sessions still tracked (a sweep forgets those whose sessions all connected or ended). */
  get trackedAddresses(): number {
    return this.sessions.size;
  }

  /** How many half-open sessions (and offers in flight) `address` holds now. */
  count(address: string): number {
    const ids = this.sessions.get(address);
    if (ids) {
      for (const id of ids) {
        const peer = this.manager.get(id);
        if (!peer || peer.isReleased || peer.connectionState === 'connected') ids.delete(id);
      }
      if (ids.size === 0) this.sessions.delete(address);
    }
    return (ids?.size ?? 0) + (this.pending.get(address) ?? 0);
  }

  /** Forgets connected and ended sessions of every address once many are tracked (amortised: the threshold doubles). */
  private sweepIfLarge(): void {
    if (this.sessions.size <= this.sweepAt) return;
    for (const address of [...this.sessions.keys()]) this.count(address);
    this.sweepAt = Math.max(SWEEP_AT_LEAST, 2 * this.sessions.size);
  }

  /** Middleware for the routes that create sessions (POST /offer, POST /whip). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      if (this.count(address) >= this.perAddress) {
        refusals.count('half_open_session');
        sendProblem(
          res,
          new HttpProblem(429, 'Too many connecting sessions', `this client holds ${this.perAddress} sessions that have not connected yet`, {
            'Retry-After': String(RETRY_AFTER_SECONDS),
          }),
        );
        return;
      }
      this.pending.set(address, (this.pending.get(address) ?? 0) + 1);
      const sessionId = capturedSessionId(res);
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        const left = (this.pending.get(address) ?? 1) - 1;
        if (left > 0) this.pending.set(address, left);
        else this.pending.delete(address);
        const id = res.statusCode < 300 ? sessionId() : undefined;
        if (id && this.manager.get(id)) {
          const ids = this.sessions.get(address) ?? new Set<string>();
          ids.add(id);
          this.sessions.set(address, ids);
          this.sweepIfLarge();
        }
      };
      res.on('finish', settle);
      res.on('close', settle);
      next();
    };
  }
}

/** The id of the session a response announces, once it is sent: `session_id` of its JSON, or its WHIP `Location`. */
function capturedSessionId(res: Response): () => string | undefined {
  let fromBody: string | undefined;
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const id = (body as { session_id?: unknown } | null)?.session_id;
    if (typeof id === 'string') fromBody = id;
    return json(body);
  };
  return () => {
    if (fromBody) return fromBody;
    const location = res.getHeader('location');
    return typeof location === 'string' ? location.split('/').pop() || undefined : undefined;
  };
}

/** Whether a request creates a session (an offer for a new one, not a renegotiation). */
export function createsSession(req: Request): boolean {
  return req.method === 'POST' && (req.path === '/offer' || req.path === '/whip');
}
