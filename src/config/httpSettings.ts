import { integer, trustProxy, type Env } from '../configValues';
import { ConfigError } from '../errors';
import { credentialSettings, type CredentialSettings } from './credentialSettings';

/** What the HTTP layer listens on and enforces before a request reaches the sessions. */
export interface HttpSettings {
  port: number;
  host: string;
  /** Request bodies above this are refused (an SDP offer is a few KB). */
  maxBodyBytes: number;
  /** Bearer token required on every route but /healthz; unset means no authentication. */
  authToken: string | undefined;
  /** PUBLISH_TOKEN and JWT_SECRET / JWT_PUBLIC_KEY_FILE: the other credentials (http/auth/). */
  credentials: CredentialSettings;
  /** Offers (POST /offer, /whip, renegotiations) and DELETEs allowed per client address a minute. */
  rateLimits: { offersPerMinute: number; deletesPerMinute: number; iceUpdatesPerMinute: number };
  /** Access-Control-Allow-Origin for browser clients on other origins ('*' or one origin). */
  corsAllowOrigin: string;
  /**
   * TRUST_PROXY: which proxies in front of this server may tell the client's address
   * (X-Forwarded-For), Express's trust-proxy setting. Rate limits, the half-open cap and the
   * refusal log key clients by that address. Unset: the socket's address.
   */
  trustProxy: number | string[] | undefined;
}

export function httpSettings(env: Env): HttpSettings {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    authToken: authToken(env),
    credentials: credentialSettings(env, authToken(env)),
    rateLimits: {
      offersPerMinute: integer(env, 'RATE_LIMIT_OFFERS_PER_MINUTE', 60, 1, 1_000_000),
      deletesPerMinute: integer(env, 'RATE_LIMIT_DELETES_PER_MINUTE', 120, 1, 1_000_000),
      iceUpdatesPerMinute: integer(env, 'RATE_LIMIT_ICE_UPDATES_PER_MINUTE', 600, 1, 1_000_000),
    },
    corsAllowOrigin: corsOrigin(env),
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
  };
}

function corsOrigin(env: Env): string {
  const origin = env.CORS_ALLOW_ORIGIN?.trim();
  if (!origin) return '*';
  if (origin !== '*' && !/^https?:\/\/[^\s/]+$/.test(origin)) {
    throw new ConfigError(`CORS_ALLOW_ORIGIN must be * or an origin like https://app.example.org, got "${origin}"`);
  }
  return origin;
}

function authToken(env: Env): string | undefined {
  const token = env.AUTH_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError('AUTH_TOKEN must be at least 16 characters without spaces');
  }
  return token;
}
