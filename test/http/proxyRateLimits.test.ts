/**
 * Rate limits keyed by the client's address behind a proxy (TRUST_PROXY), and shared by the
 * instances of a cluster through Redis (REDIS_URL). Offers that fail validation (400) are
 * enough: the limit is spent before the body is parsed, and no session is made.
 */
import { Redis } from 'ioredis';
import { finishTestServer, messages, startTestServer, type TestServer } from '../helpers/testServer';
import { testClusterConfig, useRedisServer } from '../helpers/redisServer';

const redis = useRedisServer();
let servers: TestServer[] = [];

afterEach(async () => {
  for (const server of servers) await finishTestServer(server);
  servers = [];
});

const limits = { rateLimits: { offersPerMinute: 2, deletesPerMinute: 2, iceUpdatesPerMinute: 2 } };

async function start(overrides: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer({ ...limits, ...overrides });
  servers.push(server);
  return server;
}

/** A bad offer (400 once counted) as if forwarded by a proxy for `forwardedFor`. */
async function offer(server: TestServer, forwardedFor?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const response = await fetch(`${server.url}/offer`, { method: 'POST', headers, body: JSON.stringify({ type: 'offer', sdp: 'v=0\r\ns=-\r\n' }) });
  await response.arrayBuffer();
  return response.status;
}

describe('rate limits behind a proxy (TRUST_PROXY)', () => {
  it('with TRUST_PROXY=loopback, each forwarded client address has its own budget, and a client cannot pick its address by prefixing X-Forwarded-For', async () => {
    const server = await start({ trustProxy: ['loopback'] });
    expect([await offer(server, '203.0.113.1'), await offer(server, '203.0.113.1'), await offer(server, '203.0.113.1')]).toEqual([400, 400, 429]);
    // What the client wrote before the address the proxy appended is not trusted.
    expect(await offer(server, '198.51.100.7, 203.0.113.1')).toBe(429);
    expect([await offer(server, '203.0.113.2'), await offer(server, '203.0.113.2'), await offer(server, '203.0.113.2')]).toEqual([400, 400, 429]);
    expect(await offer(server, '2001:db8::1')).toBe(400);
  });

  it('with a hop count, the address the last proxy appended is the client', async () => {
    const server = await start({ trustProxy: 1 });
    expect([await offer(server, '198.51.100.7, 203.0.113.1'), await offer(server, '198.51.100.8, 203.0.113.1'), await offer(server, '203.0.113.1')]).toEqual([400, 400, 429]);
    expect(await offer(server, '203.0.113.9')).toBe(400);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: every request from the socket address shares one budget', async () => {
    const server = await start({});
    expect([await offer(server, '203.0.113.1'), await offer(server, '203.0.113.2'), await offer(server, '203.0.113.3'), await offer(server)]).toEqual([400, 400, 429, 429]);
    // express-rate-limit's hint (a header it was told to ignore) goes to the server's log, once.
    expect(messages(server).filter((message) => message === 'rate limit')).toHaveLength(1);
  });
});

describe('rate limits across instances (REDIS_URL)', () => {
  async function instances(): Promise<[TestServer, TestServer]> {
    const a = await start({ cluster: testClusterConfig(redis.server, 'a') });
    const b = await start({ cluster: testClusterConfig(redis.server, 'b') });
    await new Promise((resolve) => setTimeout(resolve, 100)); // both links connected
    return [a, b];
  }

  it('one client address spends one offers budget on both instances, kept in Redis under the key prefix', async () => {
    const [a, b] = await instances();
    expect([await offer(a), await offer(b), await offer(a), await offer(b)]).toEqual([400, 400, 429, 429]);
    // The deletions budget is another one.
    const id = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';
    const deletes = [];
    for (const server of [b, a, b]) deletes.push((await fetch(`${server.url}/sessions/${id}`, { method: 'DELETE' })).status);
    expect(deletes).toEqual([404, 404, 429]);
    // express-rate-limit found nothing wrong with the stores (one per limiter, valid counts and reset times).
    expect([...messages(a), ...messages(b)].filter((message) => message === 'rate limit')).toEqual([]);
    const admin = new Redis(redis.server.url);
    try {
      expect((await admin.keys('test:rl:*')).sort()).toEqual(['test:rl:deletions:127.0.0.1', 'test:rl:offers:127.0.0.1']);
    } finally {
      admin.disconnect();
    }
  });

  it('while Redis is away each instance counts the budget itself (no 500, no unlimited window), and shares it again once Redis is back', async () => {
    const [a, b] = await instances();
    expect(await offer(a)).toBe(400);
    await redis.server.stop();
    expect([await offer(a), await offer(a), await offer(a)]).toEqual([400, 400, 429]);
    expect([await offer(b), await offer(b), await offer(b)]).toEqual([400, 400, 429]);
    expect(messages(a)).toContain('Rate limits counted per instance while Redis is away');
    expect(await a.metrics.metrics()).toMatch(/^rate_limit_counted_locally_total 3$/m);

    await redis.server.restart();
    const deadline = Date.now() + 5000;
    while (!(a.manager.clusterStats()?.up && b.manager.clusterStats()?.up) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // The restarted Redis is empty (its scripts too): the budget starts again, shared.
    expect([await offer(b), await offer(a), await offer(b)]).toEqual([400, 400, 429]);
    expect(messages(a)).toContain('Rate limits shared through Redis again');
  });

  it('a Redis that hangs holds up one request (its command times out), not every request: the next ones are counted locally at once', async () => {
    const [a] = await instances();
    redis.server.pause();
    try {
      expect([await offer(a), await offer(a), await offer(a)]).toEqual([400, 400, 429]);
    } finally {
      redis.server.resume();
    }
    // Only the first count was sent to the paused Redis (and ran there once it went on).
    const admin = new Redis(redis.server.url);
    try {
      expect(await admin.get('test:rl:offers:127.0.0.1')).toBe('1');
    } finally {
      admin.disconnect();
    }
  });
});
