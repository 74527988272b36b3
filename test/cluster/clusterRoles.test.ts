/**
 * Owners across instances (issue 26): the owner of a session is stored with its record in
 * Redis, so an instance that does not hold the session answers for it with the owner's rules,
 * and a DELETE it forwards carries the caller's rights (checked again by the holder), no more.
 */
import { SignJWT } from 'jose';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { testClusterConfig, useRedisServer } from '../helpers/redisServer';
import { applyAnswer, createPublisher, type WhipPublisher } from '../helpers/whipPublisher';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const PUBLISH_TOKEN = 'publish-token-0123456789abcdef';
const SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789';
const credentials = { authToken: ADMIN_TOKEN, credentials: { publishToken: PUBLISH_TOKEN, jwt: { algorithm: 'HS256' as const, secret: SECRET } } };

const redis = useRedisServer();
let servers: TestServer[] = [];
let publisher: WhipPublisher | null = null;

afterEach(async () => {
  await publisher?.pc.close();
  for (const server of servers) await finishTestServer(server);
  servers = [];
});

it('B answers for a session A holds: only its owner (or an admin) reads it or ends it through B', async () => {
  for (const id of ['a', 'b']) servers.push(await startTestServer({ ...credentials, videoInactivityMs: 60_000, cluster: testClusterConfig(redis.server, id) }));
  const [a, b] = servers;
  const owner = `Bearer ${await new SignJWT({ role: 'publish', sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))}`;
  const other = `Bearer ${PUBLISH_TOKEN}`;
  publisher = await createPublisher();
  const created = await fetch(`${a!.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: owner }, body: publisher.offerSdp });
  expect(created.status).toBe(201);
  const id = created.headers.get('location')!.split('/').pop()!;
  await applyAnswer(publisher, await created.text());

  const on = (server: TestServer, method: string, path: string, authorization: string) => fetch(server.url + path, { method, headers: { authorization } });
  expect((await on(b!, 'GET', `/sessions/${id}`, other)).status).toBe(404);
  const read = await on(b!, 'GET', `/sessions/${id}`, owner);
  expect(read.status).toBe(200);
  expect(((await read.json()) as { owner: string }).owner).toBe('jwt:alice');
  expect((await on(b!, 'GET', `/sessions/${id}`, `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
  expect((await on(b!, 'DELETE', `/sessions/${id}`, other)).status).toBe(404);
  expect((await on(b!, 'DELETE', `/whip/${id}`, other)).status).toBe(404);
  expect((await on(b!, 'GET', '/sessions', other)).status).toBe(403);
  // The forwarded call itself carries the caller: A refuses another publisher even when asked by B.
  expect(await b!.manager.end(id, { role: 'publish', subject: 'jwt:mallory' })).toBeUndefined();
  expect(a!.manager.get(id)?.state).toBe('Active');

  const ended = await on(b!, 'DELETE', `/whip/${id}`, owner);
  expect(ended.status).toBe(200);
  expect(((await ended.json()) as { reason: string }).reason).toBe('client_request');
  expect(a!.manager.get(id)).toBeUndefined();
  // The final record keeps its owner in Redis.
  expect((await on(b!, 'GET', `/sessions/${id}`, other)).status).toBe(404);
  expect((await on(b!, 'GET', `/sessions/${id}`, owner)).status).toBe(200);
}, 60_000);
