import { createHash, createPublicKey, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { CredentialSettings } from '../../config/credentialSettings';
import { HttpProblem } from '../../errors';

export type Role = 'admin' | 'publish';

/** Who is calling: a role and a stable, non-secret subject (the owner of the sessions it creates). */
export interface Identity {
  role: Role;
  subject: string;
  /** A JWT's `max_duration` (seconds) in milliseconds: the sessions it creates end then. */
  maxSessionMs?: number;
  /** A JWT's `session_name`: the label the sessions it creates carry in their record (`name`). */
  sessionName?: string;
}

/** With no credential configured everyone is admin (the open development mode); sessions get no owner. */
export const OPEN_IDENTITY: Identity = { role: 'admin', subject: 'anonymous' };

/** What the server knows of each credential: static tokens as digests, and the JWT key. */
export interface Credentials {
  /** False in the open mode: no credential configured. */
  readonly required: boolean;
  /** The caller of an `Authorization` header; a 401 HttpProblem for a missing or bad one. */
  identify(authorization: string | undefined): Promise<Identity>;
}

/** A `session_name` claim: a label for people (dashboards, logs), printable, without control characters. */
const MAX_SESSION_NAME_CHARS = 128;
const SESSION_NAME = new RegExp(`^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]{1,${MAX_SESSION_NAME_CHARS}}$`, 'u');

/** A bearer token is a token68 (RFC 7235); a longer header than this is not one we issued. */
const MAX_TOKEN_CHARS = 8192;
/** How far a JWT's `exp` and `nbf` may be off the server's clock. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** A `max_duration` claim above a day is refused: a session is not meant to outlive its credential by that much. */
const MAX_DURATION_SECONDS = 24 * 3600;
const MAX_SUBJECT_CHARS = 256;

/**
 * jose ships only ES modules: a dynamic import loads it on every Node this project runs on
 * (a require of an ES module needs Node 20.19 or later), once, on the first JWT.
 */
let jose: Promise<typeof import('jose')> | null = null;
const loadJose = () => (jose ??= import('jose'));

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The subject of a static token: a short digest, so logs and records never hold the token. */
export const staticSubject = (token: string) => `token:${digest(token).toString('hex').slice(0, 16)}`;

const challenge = (error?: string) => ({ 'WWW-Authenticate': error ? `Bearer error="${error}"` : 'Bearer' });
const unauthorized = (detail: string, error?: string) => new HttpProblem(401, 'Unauthorized', detail, challenge(error));

export function createCredentials(authToken: string | undefined, settings: CredentialSettings): Credentials {
  const statics: { digest: Buffer; identity: Identity }[] = [];
  if (authToken) statics.push({ digest: digest(authToken), identity: { role: 'admin', subject: staticSubject(authToken) } });
  if (settings.publishToken) statics.push({ digest: digest(settings.publishToken), identity: { role: 'publish', subject: staticSubject(settings.publishToken) } });
  const jwt = settings.jwt;
  const jwtKey: KeyObject | null = !jwt ? null : jwt.algorithm === 'HS256' ? createSecretKey(Buffer.from(jwt.secret)) : createPublicKey(jwt.publicKeyPem);
  const required = statics.length > 0 || jwtKey !== null;

  const matchStatic = (token: string): Identity | null => {
    const presented = digest(token);
    let found: Identity | null = null;
    // Every token is compared, in constant time, whichever matches.
    for (const known of statics) if (timingSafeEqual(presented, known.digest)) found = known.identity;
    return found;
  };

  return {
    required,
    async identify(authorization) {
      if (!required) return OPEN_IDENTITY;
      const token = bearerToken(authorization);
      const fromStatic = matchStatic(token);
      if (fromStatic) return fromStatic;
      if (jwtKey && jwt && token.split('.').length === 3) return verifyJwt(token, jwtKey, jwt.algorithm);
      throw unauthorized('the bearer token is not valid', 'invalid_token');
    },
  };
}

/** The token of `Authorization: Bearer <token>`; a 401 for anything else. */
export function bearerToken(header: string | undefined): string {
  // No Bearer credential at all gets the bare challenge (RFC 6750 section 3.1).
  if (header === undefined || !/^Bearer(\s|$)/i.test(header)) throw unauthorized('this server requires an Authorization: Bearer <token> header');
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || match[1]!.length > MAX_TOKEN_CHARS) throw unauthorized('the Authorization header is not "Bearer <token>"', 'invalid_request');
  return match[1]!;
}

async function verifyJwt(token: string, key: KeyObject, algorithm: string): Promise<Identity> {
  const { errors: joseErrors, jwtVerify } = await loadJose();
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: [algorithm], clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp', 'sub'] }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('the JWT has expired', 'invalid_token');
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) throw unauthorized('the JWT is not valid', 'invalid_token');
    throw error;
  }
  const { role, sub, max_duration: maxDuration, session_name: sessionName } = payload;
  if (role !== 'admin' && role !== 'publish') throw unauthorized('the JWT has no role claim "admin" or "publish"', 'invalid_token');
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUBJECT_CHARS) throw unauthorized(`the JWT's sub must be a string of 1 to ${MAX_SUBJECT_CHARS} characters`, 'invalid_token');
  const identity: Identity = { role, subject: `jwt:${sub}` };
  if (maxDuration !== undefined) {
    if (typeof maxDuration !== 'number' || !Number.isInteger(maxDuration) || maxDuration < 1 || maxDuration > MAX_DURATION_SECONDS) {
      throw unauthorized(`the JWT's max_duration must be whole seconds from 1 to ${MAX_DURATION_SECONDS}`, 'invalid_token');
    }
    identity.maxSessionMs = maxDuration * 1000;
  }
  if (sessionName !== undefined) {
    if (typeof sessionName !== 'string' || !SESSION_NAME.test(sessionName)) {
      throw unauthorized(`the JWT's session_name must be 1 to ${MAX_SESSION_NAME_CHARS} printable characters`, 'invalid_token');
    }
    identity.sessionName = sessionName;
  }
  return identity;
}
