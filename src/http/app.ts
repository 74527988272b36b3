import express, { type NextFunction, type Request, type Response } from 'express';
import { inputLimits as defaultInputLimits, type InputLimits } from '../limitsConfig';
import type { Logger } from '../logger';
import type { ReadyView } from '../protocol';
import type { ServerMetrics } from '../metrics';
import type { SessionManager } from '../sessions/sessionManager';
import type { CredentialSettings } from '../config/credentialSettings';
import { authenticate, authorize } from './auth/authorization';
import { createCredentials } from './auth/credentials';
import { HalfOpenSessions } from './halfOpenSessions';
import { createPageRouter } from './pageRoutes';
import { RenegotiationBudget } from './renegotiationBudget';
import { sendProblem } from './problem';
import { RefusalLog } from './refusalLog';
import { securityHeaders, sessionRateLimits } from './protection';
import type { SharedRateLimits } from './sharedRateLimits';
import { createClusterRouter, degradedParts } from './clusterRoutes';
import { createSessionRouter } from './sessionRoutes';
import { createWhipRouter } from './whipRoutes';
import { HttpProblem, isError } from '../errors';

export interface AppOptions {
  manager: SessionManager;
  /** Served at /metrics when given. */
  metrics?: ServerMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** AUTH_TOKEN: the admin's bearer token. With no credential at all, every caller is admin (the open mode); the page's static files and /healthz are open. */
  authToken?: string;
  /** PUBLISH_TOKEN and the JWT key (http/auth/); none when absent. */
  credentials?: CredentialSettings;
  rateLimits: { offersPerMinute: number; deletesPerMinute: number; iceUpdatesPerMinute: number };
  corsAllowOrigin: string;
  /** What one remote party may make the server spend (config.limits); the defaults when absent. */
  inputLimits?: InputLimits;
  /** MAX_HALF_OPEN_SESSIONS_PER_ADDRESS (HalfOpenSessions); no cap when not given. */
  halfOpenPerAddress?: number;
  /** TRUST_PROXY (Express's trust proxy): whose X-Forwarded-For gives req.ip; unset: the socket's address. */
  trustProxy?: number | string[];
  /** With REDIS_URL: the rate limits counted in Redis, one budget across the instances. */
  sharedRateLimits?: SharedRateLimits;
}

const NO_OTHER_CREDENTIALS: CredentialSettings = { publishToken: undefined, jwt: undefined };

export function createApp({ manager, metrics, logger, maxBodyBytes, authToken, credentials = NO_OTHER_CREDENTIALS, rateLimits, corsAllowOrigin, inputLimits = defaultInputLimits({}), halfOpenPerAddress, trustProxy, sharedRateLimits }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.set('etag', false);
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The page and its static files hold no secret and no session data, and a browser cannot put a
  // header on the page load: they are served to anyone. The page brings its own token to the API.
  app.use(createPageRouter());

  // Every route below needs a credential when one is configured, and the right role or ownership.
  app.use(authenticate(createCredentials(authToken, credentials)));
  app.use(authorize(manager));

  app.get('/readyz', (_req, res) => {
    if (!manager.isAccepting) sendProblem(res, new HttpProblem(503, 'Not ready', 'the server is shutting down'));
    else if (manager.isFull) sendProblem(res, new HttpProblem(503, 'Not ready', 'the server is full', { 'Retry-After': '5' }));
    else res.json({ status: 'ready', sessions: manager.count, degraded: degradedParts(manager) } satisfies ReadyView);
  });

  app.use(createClusterRouter({ manager }));

  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.metrics());
    });
  }

  const halfOpen = halfOpenPerAddress === undefined ? undefined : new HalfOpenSessions(manager, halfOpenPerAddress);
  const limits = sessionRateLimits(rateLimits, halfOpen, { shared: sharedRateLimits, logger });
  const renegotiations = new RenegotiationBudget(inputLimits.renegotiationsPerMinute);
  app.use(createSessionRouter({ manager, maxBodyBytes, limits, inputLimits, renegotiations }));
  const iceUpdated = metrics ? (kind: 'trickle' | 'restart') => metrics.recordWhipIceUpdate(kind) : undefined;
  app.use(createWhipRouter({ manager, maxBodyBytes, allowOrigin: corsAllowOrigin, limits, inputLimits, renegotiations, iceUpdated }));

  app.use((req: Request) => {
    throw new HttpProblem(404, 'Not found', `no route for ${req.method} ${req.path}`);
  });

  const refusalLog = new RefusalLog(logger);
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(error, req, logger);
    if (problem.status < 500) {
      // Method and path only: headers (the bearer token) and bodies stay out of the log.
      refusalLog.refused(req.ip ?? 'unknown', problem.status, { method: req.method, path: req.path.slice(0, 200), detail: problem.detail });
    }
    sendProblem(res, problem);
  });

  return app;
}

function toProblem(error: unknown, req: Request, logger: Logger): HttpProblem {
  if (isError(error, 'HttpProblem')) return error;
  const status = (error as { status?: unknown; type?: unknown }).status;
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') {
    return new HttpProblem(413, 'Body too large', `the request body is over the ${(error as { limit?: number }).limit} byte limit`);
  }
  if (type === 'entity.parse.failed') {
    return new HttpProblem(400, 'Malformed JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(status, 'Bad request', (error as Error).message);
  }
  logger.error('Request failed', { method: req.method, path: req.path, error: (error as Error)?.stack ?? String(error) });
  return new HttpProblem(500, 'Internal error', 'the request failed on the server; see the server log');
}
