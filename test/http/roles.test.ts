/**
 * Every route against every caller (issue 26): admin, the publisher that owns a session,
 * another publisher, no credential, and JWTs that are expired, badly signed, of another
 * algorithm, unsigned or without a role. A refusal is problem+json; a 401 carries
 * WWW-Authenticate. "Allowed" on a route that would change a session is shown with a body the
 * route itself refuses (400, 428): the request got past authorisation and reached the route.
 */
import { SignJWT, base64url } from 'jose';
import { applyAnswer, createPublisher, type WhipPublisher } from '../helpers/whipPublisher';
import { eventuallyAsync, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const PUBLISH_TOKEN = 'publish-token-0123456789abcdef';
const SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789';
const OTHER_SECRET = 'another-jwt-secret-of-32-bytes-or-more-98765';
const key = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

function jwt(claims: Record<string, unknown>, { secret = SECRET, alg = 'HS256', exp = now() + 300 } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).setExpirationTime(exp).sign(key(secret));
}

/** An unsigned JWT (alg none): never accepted. */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, exp: now() + 300 })}.`;
}

type Caller = 'admin' | 'owner' | 'other' | 'otherJwt' | 'none' | 'expired' | 'badSignature' | 'wrongAlg' | 'unsigned' | 'noRole';
const REFUSED_CALLERS: Caller[] = ['none', 'expired', 'badSignature', 'wrongAlg', 'unsigned', 'noRole'];
const authorization: Partial<Record<Caller, string>> = {};

let server: TestServer;
const publishers: WhipPublisher[] = [];
let ownedId: string;
let adminsId: string;

async function call(method: string, path: string, caller: Caller, init: { type?: string; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (authorization[caller]) headers.authorization = authorization[caller]!;
  if (init.type) headers['content-type'] = init.type;
  return fetch(server.url + path, { method, headers, body: init.body });
}

/** A connected WHIP session created with the caller's credential. */
async function createSession(caller: Caller): Promise<string> {
  const publisher = await createPublisher();
  publishers.push(publisher);
  const response = await call('POST', '/whip', caller, { type: 'application/sdp', body: publisher.offerSdp });
  expect(response.status).toBe(201);
  await applyAnswer(publisher, await response.text());
  return response.headers.get('location')!.split('/').pop()!;
}

beforeAll(async () => {
  server = await startTestServer({ authToken: ADMIN_TOKEN, credentials: { publishToken: PUBLISH_TOKEN, jwt: { algorithm: 'HS256', secret: SECRET } }, videoInactivityMs: 120_000 });
  authorization.admin = `Bearer ${ADMIN_TOKEN}`;
  authorization.owner = `Bearer ${await jwt({ role: 'publish', sub: 'alice' })}`;
  authorization.other = `Bearer ${PUBLISH_TOKEN}`;
  authorization.otherJwt = `Bearer ${await jwt({ role: 'publish', sub: 'bob' })}`;
  authorization.expired = `Bearer ${await jwt({ role: 'publish', sub: 'alice' }, { exp: now() - 60 })}`;
  authorization.badSignature = `Bearer ${await jwt({ role: 'admin', sub: 'alice' }, { secret: OTHER_SECRET })}`;
  authorization.wrongAlg = `Bearer ${await jwt({ role: 'admin', sub: 'alice' }, { alg: 'HS512' })}`;
  authorization.unsigned = `Bearer ${unsignedJwt({ role: 'admin', sub: 'alice' })}`;
  authorization.noRole = `Bearer ${await jwt({ sub: 'alice' })}`;
  ownedId = await createSession('owner');
  adminsId = await createSession('admin');
});

afterAll(async () => {
  await Promise.all(publishers.map((publisher) => publisher.pc.close()));
  await finishTestServer(server);
});

const JSON_BODY = { type: 'application/json', body: '{}' };
const FRAGMENT = { type: 'application/trickle-ice-sdpfrag', body: 'a=end-of-candidates\r\n' };

/** [method, path, request, admin, owner, another publisher (static token and JWT)]; every refused caller gets 401. */
const ROUTES: Array<[string, (id: string) => string, typeof JSON_BODY | undefined, number, number, number]> = [
  ['GET', () => '/readyz', undefined, 200, 200, 200],
  ['GET', () => '/sessions', undefined, 200, 403, 403],
  ['GET', () => '/metrics', undefined, 200, 403, 403],
  ['GET', () => '/cluster', undefined, 200, 403, 403],
  ['POST', () => '/offer', JSON_BODY, 400, 400, 400],
  ['POST', () => '/whip', { type: 'application/sdp', body: ' ' }, 400, 400, 400],
  ['GET', (id) => `/sessions/${id}`, undefined, 200, 200, 404],
  ['POST', (id) => `/sessions/${id}/offer`, JSON_BODY, 400, 400, 404],
  ['PATCH', (id) => `/whip/${id}`, FRAGMENT, 428, 428, 404],
  ['GET', (id) => `/whip/${id}`, undefined, 405, 405, 404],
];

describe('route x role', () => {
  it.each(ROUTES.map((row) => [`${row[0]} ${row[1]('<id>')}`, row] as const))('%s', async (_name, [method, path, request, admin, owner, other]) => {
    const expected: Array<[Caller, number]> = [['admin', admin], ['owner', owner], ['other', other], ['otherJwt', other], ...REFUSED_CALLERS.map((caller): [Caller, number] => [caller, 401])];
    const got: Array<[Caller, number]> = [];
    for (const [caller] of expected) {
      const response = await call(method, path(ownedId), caller, request);
      got.push([caller, response.status]);
      if (response.status >= 400) {
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await response.json()) as { status: number; title: string };
        expect(problem.status).toBe(response.status);
        if (response.status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      } else {
        await response.arrayBuffer();
      }
    }
    expect(got).toEqual(expected);
  });

  it('/healthz is open to everyone', async () => {
    for (const caller of ['admin', 'owner', 'none', 'expired'] as Caller[]) expect((await call('GET', '/healthz', caller)).status).toBe(200);
  });

  it("answers another publisher's session exactly as a session that does not exist", async () => {
    const unknownId = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';
    for (const path of [(id: string) => `/sessions/${id}`, (id: string) => `/whip/${id}`]) {
      const stranger = await (await call('GET', path(ownedId), 'other')).json();
      const nobody = await (await call('GET', path(unknownId), 'owner')).json();
      expect(JSON.stringify(stranger).replace(ownedId, 'ID')).toBe(JSON.stringify(nobody).replace(unknownId, 'ID'));
    }
    // The admin's session is no publisher's.
    expect((await call('GET', `/sessions/${adminsId}`, 'owner')).status).toBe(404);
  });

  it('records the owner, shown to the owner and the admin, never in the listing', async () => {
    const own = (await (await call('GET', `/sessions/${ownedId}`, 'owner')).json()) as { owner?: string };
    expect(own.owner).toBe('jwt:alice');
    const listing = await (await call('GET', '/sessions', 'admin')).text();
    expect(listing).toContain(ownedId);
    expect(listing).not.toContain('owner');
    expect(JSON.stringify(server.logs)).not.toContain(PUBLISH_TOKEN);
  });

  it("carries a JWT's session_name as the record's name, to its owner and the admin, not in the listing", async () => {
    authorization.owner = `Bearer ${await jwt({ role: 'publish', sub: 'alice', session_name: 'Front door cam' })}`;
    const id = await createSession('owner');
    for (const caller of ['owner', 'admin'] as Caller[]) {
      expect(((await (await call('GET', `/sessions/${id}`, caller)).json()) as { name?: string }).name).toBe('Front door cam');
    }
    const listing = (await (await call('GET', '/sessions', 'admin')).json()) as unknown;
    expect(JSON.stringify(listing)).not.toContain('Front door cam');
    expect((await call('DELETE', `/sessions/${id}`, 'owner')).status).toBe(200);
  });

  it("ends a session at its JWT's max_duration, as a DELETE would", async () => {
    authorization.owner = `Bearer ${await jwt({ role: 'publish', sub: 'alice', max_duration: 1 })}`;
    const id = await createSession('owner');
    const record = await eventuallyAsync(async () => {
      const view = (await (await call('GET', `/sessions/${id}`, 'owner')).json()) as { state: string; reason: string | null };
      return view.state === 'Released' ? view : undefined;
    }, 10_000, 'the session to end at its max_duration');
    expect(record.reason).toBe('client_request');
    expect(server.logs.some((entry) => entry.message === 'Session reached the maximum duration of its credential' && entry.session_id === id)).toBe(true);
  });

  it('lets only the owner or an admin end a session (DELETE /sessions/<id>, DELETE /whip/<id>)', async () => {
    for (const caller of ['other', 'otherJwt'] as Caller[]) {
      expect((await call('DELETE', `/whip/${ownedId}`, caller)).status).toBe(404);
      expect((await call('DELETE', `/sessions/${ownedId}`, caller)).status).toBe(404);
    }
    for (const caller of REFUSED_CALLERS) expect((await call('DELETE', `/whip/${ownedId}`, caller)).status).toBe(401);
    expect((await call('DELETE', `/sessions/${adminsId}`, 'owner')).status).toBe(404);
    expect(server.manager.get(ownedId)).toBeDefined();
    expect((await call('DELETE', `/whip/${ownedId}`, 'owner')).status).toBe(200);
    // Its record stays the owner's for the retention window.
    expect((await call('GET', `/sessions/${ownedId}`, 'owner')).status).toBe(200);
    expect((await call('GET', `/sessions/${ownedId}`, 'other')).status).toBe(404);
    expect((await call('DELETE', `/sessions/${adminsId}`, 'admin')).status).toBe(200);
  });
});
