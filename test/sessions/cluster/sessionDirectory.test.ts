/** The session directory against a real redis-server (Debian's), started on loopback for the file. */
import { Redis } from 'ioredis';
import { SessionDirectory } from '../../../src/sessions/cluster/sessionDirectory';
import { startRedisServer, type RedisServer } from '../../helpers/redisServer';

let redisServer: RedisServer;
const clients: Redis[] = [];

function client(): Redis {
  const redis = new Redis(redisServer.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
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

describe('SessionDirectory (real Redis)', () => {
  it('tells any instance which instance holds a session, and lists the whole cluster', async () => {
    const a = new SessionDirectory(client(), { instanceId: 'a', ttlMs: 5000 });
    const b = new SessionDirectory(client(), { instanceId: 'b', ttlMs: 5000 });
    await a.register('s1', 'Active', 1000);
    await b.register('s2', 'Active', 2000);

    expect(await b.lookup('s1')).toEqual({ sessionId: 's1', instanceId: 'a', state: 'Active', startedAt: 1000 });
    expect(await a.lookup('s2')).toMatchObject({ instanceId: 'b' });
    expect(await a.lookup('nobody')).toBeNull();
    expect((await a.list()).map((entry) => `${entry.sessionId}@${entry.instanceId}`).sort()).toEqual(['s1@a', 's2@b']);

    await a.remove('s1');
    expect(await b.lookup('s1')).toBeNull();
    expect((await b.list()).map((entry) => entry.sessionId)).toEqual(['s2']);
  });

  it("lets an instance's entries expire when it stops refreshing them (a dead instance leaves no ghost)", async () => {
    const alive = new SessionDirectory(client(), { instanceId: 'alive', ttlMs: 300 });
    const dead = new SessionDirectory(client(), { instanceId: 'dead', ttlMs: 300 });
    await alive.register('kept', 'Active', 1);
    await dead.register('ghost', 'Active', 1);

    for (let beat = 0; beat < 4; beat++) {
      await sleep(150);
      await alive.refresh(['kept']);
    }

    expect(await alive.lookup('kept')).toMatchObject({ instanceId: 'alive' });
    expect(await alive.lookup('ghost')).toBeNull();
    expect((await alive.list()).map((entry) => entry.sessionId)).toEqual(['kept']);
  });
});
