/**
 * Issue 26 with a client this repo did not write: aiortc publishes over WHIP with the
 * publish-only token, cannot list, read or end another publisher's session (its probe), and ends
 * its own with DELETE /whip/<id>. The other session goes on until the admin ends it.
 */
import { SignJWT } from 'jose';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, createPublisher, type WhipPublisher } from '../helpers/whipPublisher';
import { requireAiortc, runAiortc } from './aiortcClient';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const PUBLISH_TOKEN = 'publish-token-0123456789abcdef';
const SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789';

let server: TestServer;
let other: WhipPublisher | null = null;

beforeAll(async () => {
  requireAiortc();
  server = await startTestServer({ authToken: ADMIN_TOKEN, credentials: { publishToken: PUBLISH_TOKEN, jwt: { algorithm: 'HS256', secret: SECRET } }, videoInactivityMs: 120_000 });
});

afterAll(async () => {
  await other?.pc.close();
  await finishTestServer(server);
});

it('publishes with PUBLISH_TOKEN, ends its own session, and cannot list, read or end another publisher\'s', async () => {
  // Another publisher: a werift client with a JWT of its own.
  const jwt = await new SignJWT({ role: 'publish', sub: 'bob' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
  other = await createPublisher();
  const created = await fetch(`${server.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${jwt}` }, body: other.offerSdp });
  expect(created.status).toBe(201);
  const otherId = created.headers.get('location')!.split('/').pop()!;
  await applyAnswer(other, await created.text());

  const run = await runAiortc({ url: server.url, route: 'whip', end: 'delete', token: PUBLISH_TOKEN, probeSession: otherId, mediaSeconds: 1, waitSeconds: 10 });
  const [session] = run.sessions;
  expect({ exit: run.exitCode, errors: session?.done?.errors, stderr: run.exitCode === 0 ? '' : run.stderr.slice(-2000) }).toEqual({ exit: 0, errors: [], stderr: '' });
  expect(session!.probe?.statuses).toEqual({ list: 403, read: 404, delete_session: 404, delete_whip: 404, read_own: 200 });
  expect(session!.deleteResponse?.status).toBe(200);
  // The client read its own released record with the same token (collect): client_request.
  expect(session!.record?.reason).toBe('client_request');

  expect(server.manager.get(otherId)?.state).toBe('Active');
  const ended = await fetch(`${server.url}/whip/${otherId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(ended.status).toBe(200);
  await other.pc.close();
  other = null;
}, 60_000);
