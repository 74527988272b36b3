import { refusals } from '../limits/refusals';
import { HttpProblem } from '../errors';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * RENEGOTIATIONS_PER_MINUTE of each session: renegotiations (POST /sessions/<id>/offer) and WHIP
 * ICE restarts share one token bucket per session, of that many tokens refilled over a minute.
 * Each one re-runs werift's negotiation and, for a restart, ICE gathering and checks: without a
 * budget one client could keep a media worker busy and its sockets churning. Buckets are keyed
 * by the session object, so they go with it.
 */
export class RenegotiationBudget {
  private readonly buckets = new WeakMap<object, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one renegotiation of `session`; throws a 429 problem (with Retry-After) when none is left. */
  spend(session: object, what: 'renegotiation' | 'ICE restart'): void {
    const now = this.now();
    const msPerToken = 60_000 / this.perMinute;
    const bucket = this.buckets.get(session) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) / msPerToken);
    bucket.at = now;
    this.buckets.set(session, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    refusals.count('renegotiation');
    const retryAfter = Math.max(1, Math.ceil(((1 - bucket.tokens) * msPerToken) / 1000));
    throw new HttpProblem(
      429,
      'Too many renegotiations',
      `this session has used its ${this.perMinute} renegotiations and ICE restarts a minute (RENEGOTIATIONS_PER_MINUTE); this ${what} is refused, the session goes on; retry in ${retryAfter} s`,
      { 'Retry-After': String(retryAfter) },
    );
  }
}
