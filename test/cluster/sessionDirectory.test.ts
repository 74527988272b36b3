/** The session directory against a real redis-server (Debian's), started on loopback for the file. */
import { Redis } from 'ioredis';
import { SessionDirectory } from '../../src/cluster/sessionDirectory';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

let redisServer: RedisServer;
const clients: Redis[] = [];

function client(): Redis {
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return redis;
}

beforeAll(async () => {
  redisServer = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(clients.map((redis) => redis.quit()));
  await redisServer.stop();
});

beforeEach(async () => {
  await client().flushall();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function put(redis: Redis, directory: SessionDirectory, sessionId: string, startedAt: number): Promise<void> {
  const tx = redis.multi();
  directory.put(tx, sessionId, 'Active', startedAt);
  await tx.exec();
}

describe('SessionDirectory (real Redis)', () => {
  it('tells any instance which instance holds a session, and lists the whole cluster', async () => {
    const redis = client();
    const a = new SessionDirectory(redis, { instanceId: 'a', ttlMs: 5000 });
    const b = new SessionDirectory(redis, { instanceId: 'b', ttlMs: 5000 });
    await put(redis, a, 's1', 1000);
    await put(redis, b, 's2', 2000);

    expect(await b.lookup('s1')).toEqual({ sessionId: 's1', instanceId: 'a', state: 'Active', startedAt: 1000 });
    expect(await a.lookup('s2')).toMatchObject({ instanceId: 'b' });
    expect(await a.lookup('nobody')).toBeNull();
    expect((await a.list()).map((entry) => `${entry.sessionId}@${entry.instanceId}`).sort()).toEqual(['s1@a', 's2@b']);

    const tx = redis.multi();
    a.drop(tx, 's1');
    await tx.exec();
    expect(await b.lookup('s1')).toBeNull();
    expect((await b.list()).map((entry) => entry.sessionId)).toEqual(['s2']);
    expect(await b.stale(new Set())).toEqual(['s2']);
    expect(await b.stale(new Set(['s2']))).toEqual([]);
  });

  it("lets an instance's entries expire when it stops rewriting them (a dead instance leaves no ghost)", async () => {
    const redis = client();
    const alive = new SessionDirectory(redis, { instanceId: 'alive', ttlMs: 300 });
    const dead = new SessionDirectory(redis, { instanceId: 'dead', ttlMs: 300 });
    await put(redis, alive, 'kept', 1);
    await put(redis, dead, 'ghost', 2);
    for (let beat = 0; beat < 4; beat++) {
      await sleep(150);
      await put(redis, alive, 'kept', 1);
    }
    expect(await alive.lookup('ghost')).toBeNull();
    expect((await alive.list()).map((entry) => entry.sessionId)).toEqual(['kept']);
  });
});
