/** HTTP side of the wire contract (API.md), as a client sees it. */
import { isRecord } from './json';

export interface SessionAnswer {
  sdp: string;
  type: 'answer';
  session_id: string;
}

/** A non-2xx response. `detail` is the problem+json detail when the server sent one. */
export class SignalingError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | undefined,
    readonly route: string,
  ) {
    super(`${route} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'SignalingError';
  }
}

export interface SignalingOptions {
  /** Sent as `Authorization: Bearer <token>` when the server has AUTH_TOKEN configured. */
  authToken?: string;
  signal?: AbortSignal;
}

/** POSTs an offer to `/offer`, or to `/sessions/<id>/offer` to renegotiate a live session. */
export async function postOffer(
  baseUrl: string,
  sdp: string,
  options: SignalingOptions = {},
  path = '/offer',
): Promise<SessionAnswer> {
  const route = `POST ${routeUrl(baseUrl, path)}`;
  const response = await request(route, routeUrl(baseUrl, path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(options.authToken) },
    body: JSON.stringify({ sdp, type: 'offer' }),
    signal: options.signal,
  });
  const body = await readJson(route, response);
  if (!isSessionAnswer(body)) {
    throw new Error(`${route} answered ${response.status} without {"sdp", "type": "answer", "session_id"}`);
  }
  return body;
}

/** Ends a session explicitly; the server answers with the final summary JSON. */
export async function deleteSession(
  baseUrl: string,
  sessionId: string,
  options: SignalingOptions = {},
): Promise<unknown> {
  const url = routeUrl(baseUrl, `/sessions/${encodeURIComponent(sessionId)}`);
  const route = `DELETE ${url}`;
  const response = await request(route, url, {
    method: 'DELETE',
    headers: authorization(options.authToken),
    signal: options.signal,
  });
  return readJson(route, response);
}

/** GET /sessions/<id>: state, tracks, counters and (once ended) the summary. */
export async function getSession(baseUrl: string, sessionId: string, options: SignalingOptions = {}): Promise<unknown> {
  const url = routeUrl(baseUrl, `/sessions/${encodeURIComponent(sessionId)}`);
  const route = `GET ${url}`;
  const response = await request(route, url, { headers: authorization(options.authToken), signal: options.signal });
  return readJson(route, response);
}

function routeUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function authorization(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function request(route: string, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(`${route} failed: ${networkFailureReason(error)}`);
  }
  if (!response.ok) {
    throw new SignalingError(response.status, await problemDetail(response), route);
  }
  return response;
}

/** fetch() reports every network failure as "fetch failed"; the useful part is its cause. */
function networkFailureReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'request aborted';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}

async function problemDetail(response: Response): Promise<string | undefined> {
  const text = await response.text().catch(() => '');
  try {
    const problem: unknown = JSON.parse(text);
    if (isRecord(problem)) {
      if (typeof problem.detail === 'string') return problem.detail;
      if (typeof problem.title === 'string') return problem.title;
    }
  } catch {
    // Not problem+json: fall through to the raw text.
  }
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, 200) : undefined;
}

async function readJson(route: string, response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${route} answered ${response.status} with a body that is not JSON`);
  }
}

function isSessionAnswer(value: unknown): value is SessionAnswer {
  return (
    isRecord(value) &&
    value.type === 'answer' &&
    typeof value.sdp === 'string' &&
    typeof value.session_id === 'string' &&
    value.session_id.length > 0
  );
}
