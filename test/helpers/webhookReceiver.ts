import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionView } from '../../src/protocol';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
  /** Date.now() when the whole request had arrived. */
  receivedAt: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** A real HTTP receiver for the summary webhook on loopback; `respond` decides each answer (it may never answer). */
export async function startReceiver(respond: (response: ServerResponse, index: number, request: ReceivedRequest) => void): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(rawBody) as Record<string, unknown>;
      const received = { headers: request.headers, rawBody, body, receivedAt: Date.now() };
      requests.push(received);
      respond(response, requests.length - 1, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/summaries`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function answer(status: number) {
  return (response: ServerResponse) => response.writeHead(status).end();
}

/** The deprecated `X-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed by the secret as text. */
export function signatureMatches(request: ReceivedRequest, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.rawBody).digest('hex')}`);
  const received = Buffer.from(String(request.headers['x-signature-256'] ?? ''));
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/**
 * A Standard Webhooks verifier, as a receiver writes it from the spec: HMAC-SHA256 with `key` over
 * "{webhook-id}.{webhook-timestamp}.{raw body}", base64; `webhook-signature` holds space-separated
 * `v1,<base64>` entries, one must match.
 */
export function standardSignatureMatches(request: ReceivedRequest, key: Buffer): boolean {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const header = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof header !== 'string') return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.rawBody}`).digest();
  return header.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const received = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && received.length === expected.length && timingSafeEqual(received, expected);
  });
}

/** A closed session's record as the webhook takes it. */
export function summaryRecord(sessionId: string): Pick<SessionView, 'session_id' | 'reason' | 'summary' | 'ended_at'> {
  return {
    session_id: sessionId,
    reason: 'client_request',
    ended_at: 1_700_000_000_000,
    summary: { total_frames_received: 3 } as unknown as SessionView['summary'],
  };
}
