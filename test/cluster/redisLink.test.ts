/** RedisLink against a real redis-server: writes made while Redis is away, or hangs, are kept and made in order. */
import { Redis } from 'ioredis';
import { RedisLink } from '../../src/cluster/redisLink';
import { captureLogs } from '../helpers/logCapture';
import { eventually } from '../helpers/testServer';
import { useRedisServer } from '../helpers/redisServer';

const redis = useRedisServer();
let link: RedisLink | null = null;
let reader: Redis | null = null;

afterEach(async () => {
  await link?.close();
  link = null;
  reader?.disconnect();
  reader = null;
});

function open(backlogLimit: number): { link: RedisLink; logs: ReturnType<typeof captureLogs>['logs'] } {
  const { logger, logs } = captureLogs();
  link = new RedisLink({ url: redis.server.url, logger, backlogLimit });
  return { link, logs };
}

const push = (value: string) => (client: Redis) => client.rpush('written', value);

async function written(): Promise<string[]> {
  reader ??= new Redis(redis.server.url);
  return reader.lrange('written', 0, -1);
}

describe('RedisLink (real Redis)', () => {
  it('keeps writes made while Redis is away, drops the oldest beyond the limit, and makes the rest in order when it is back', async () => {
    const { link, logs } = open(3);
    await eventually(() => link.isUp, 3000, 'the first connection');
    await link.write('w0', push('w0'));
    await redis.server.stop();
    await eventually(() => !link.isUp, 3000, 'the outage to be seen');
    for (const value of ['w1', 'w2', 'w3', 'w4']) await link.write(value, push(value)); // resolves at once
    expect(link.stats()).toMatchObject({ up: false, backlog: 3, dropped: 1, outages: 1 });
    expect(link.pendingLabels()).toEqual(['w2', 'w3', 'w4']);

    await redis.server.restart();
    await eventually(() => link.stats().backlog === 0 && link.isUp, 5000, 'the backlog to be flushed');
    expect(await written()).toEqual(['w2', 'w3', 'w4']); // Redis came back empty: w0 went with it
    expect(logs.filter((entry) => entry.message.startsWith('Redis unreachable'))).toHaveLength(1);
    expect(logs.map((entry) => entry.message)).toEqual(expect.arrayContaining(['Redis backlog flushed', 'Redis backlog full, oldest write dropped']));
  });

  it('a Redis that hangs: a write times out after 2 s instead of waiting, is kept, and is made once Redis answers again', async () => {
    const { link } = open(10);
    await eventually(() => link.isUp, 3000, 'the first connection');
    // The command connection's own timeout is the 2 s the title names.
    expect(link.redis.options.commandTimeout).toBe(2000);
    redis.server.pause();
    const started = Date.now();
    try {
      // Resolves while Redis still hangs (else the test's own timeout would end it): it timed out.
      await link.write('late', push('late'));
      // No sooner than the timeout (timers never fire early; 1 ms for rounding)...
      expect(Date.now() - started).toBeGreaterThanOrEqual(1999);
      // ...and kept as a timed-out write is, on a connection still up (not lost in an outage).
      expect(link.stats()).toMatchObject({ up: true, backlog: 1, outages: 0 });
      expect(link.pendingLabels()).toEqual(['late']);
    } finally {
      redis.server.resume();
    }
    link.retryBacklog();
    await eventually(() => link.stats().backlog === 0, 5000, 'the kept write');
    expect(await written()).toContain('late');
  });
});
