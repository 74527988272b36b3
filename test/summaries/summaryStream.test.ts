/** Summary webhook deliveries through a Redis stream: a real redis-server (Debian's) and a real HTTP receiver on loopback. */
import type { ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { RedisLink } from '../../src/cluster/redisLink';
import { SummaryStream, type SummaryStreamOptions } from '../../src/summaries/summaryStream';
import { captureLogs, type LogEntry } from '../helpers/logCapture';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';
import { eventually, eventuallyAsync } from '../helpers/testServer';
import { answer, signatureMatches, standardSignatureMatches, startReceiver, summaryRecord, type Receiver } from '../helpers/webhookReceiver';

const SECRET = 'stream-secret-0123456789';
const KEY = 'sc:summaries';

interface Instance {
  link: RedisLink;
  stream: SummaryStream;
  logs: LogEntry[];
}

let redisServer: RedisServer;
let admin: Redis;
let receiver: Receiver | undefined;
let instances: Instance[] = [];

function startInstance(instanceId: string, options: Partial<SummaryStreamOptions> = {}): Instance {
  const { logger, logs } = captureLogs();
  const link = new RedisLink({ url: redisServer.url, logger, backlogLimit: 1000 });
  const stream = new SummaryStream({
    link,
    instanceId,
    url: receiver!.url,
    secret: SECRET,
    logger,
    maxAttempts: 5,
    backoffBaseMs: 10,
    claimIdleMs: 300,
    ...options,
  });
  const instance = { link, stream, logs };
  instances.push(instance);
  return instance;
}

/** Requests at the receiver by X-Delivery-Id. */
function countByDeliveryId(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of receiver!.requests) {
    const id = String(request.headers['x-delivery-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Entries left in the stream, and entries read but not acknowledged. */
async function leftInRedis(): Promise<{ entries: number; pending: number }> {
  const [pending] = (await admin.xpending(KEY, 'webhook')) as [number];
  return { entries: await admin.xlen(KEY), pending };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  redisServer = await startRedisServer();
  admin = new Redis(redisServer.url);
});

afterAll(async () => {
  await admin.quit();
  await redisServer.stop();
});

beforeEach(async () => {
  await admin.flushall();
});

afterEach(async () => {
  for (const { stream, link } of instances) {
    await stream.close(0);
    await link.close();
  }
  instances = [];
  await receiver?.close();
  receiver = undefined;
});

describe('SummaryStream (real Redis)', () => {
  it('delivers every summary enqueued on either of two instances exactly once, signed', async () => {
    receiver = await startReceiver(answer(204));
    const a = startInstance('a');
    const b = startInstance('b');
    const sessionIds = Array.from({ length: 20 }, (_, index) => `session-${index}`);
    sessionIds.forEach((sessionId, index) => (index % 2 === 0 ? a : b).stream.enqueue(summaryRecord(sessionId)));

    await eventually(() => a.stream.stats().delivered + b.stream.stats().delivered === 20, 5000, 'all delivered');
    await sleep(300);

    const counts = countByDeliveryId();
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(receiver.requests.map((request) => request.body.session_id).sort()).toEqual([...sessionIds].sort());
    expect(receiver.requests.every((request) => signatureMatches(request, SECRET))).toBe(true);
    expect(receiver.requests.every((request) => standardSignatureMatches(request, Buffer.from(SECRET)))).toBe(true);
    expect(receiver.requests.every((request) => request.headers['webhook-id'] === request.headers['x-delivery-id'])).toBe(true);
    expect(receiver.requests[0]!.body).toEqual({
      event_type: 'session_summary',
      session_id: expect.any(String),
      reason: 'client_request',
      summary: { total_frames_received: 3 },
      ended_at: 1_700_000_000_000,
    });
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
    expect(a.stream.stats().failed + b.stream.stats().failed).toBe(0);
  });

  it('acknowledges a summary it gave up on (a 4xx), so that no instance sends it again', async () => {
    receiver = await startReceiver(answer(400));
    const a = startInstance('a');
    a.stream.enqueue(summaryRecord('refused'));

    await eventually(() => a.stream.stats().failed === 1, 5000, 'giving up');
    startInstance('b');
    await sleep(800);

    expect(receiver.requests).toHaveLength(1);
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
  });

  it('an instance dead in the middle of a delivery: another takes it over after claimIdleMs, same X-Delivery-Id', async () => {
    const held: ServerResponse[] = [];
    receiver = await startReceiver((response, index) => (index === 0 ? held.push(response) : response.writeHead(200).end()));
    const a = startInstance('a');
    a.stream.enqueue(summaryRecord('orphan'));
    await eventually(() => receiver!.requests.length === 1, 5000, 'the first attempt at the receiver');

    // Death: its Redis connections go away without an acknowledgement.
    await a.link.close();
    expect(await leftInRedis()).toEqual({ entries: 1, pending: 1 });
    const b = startInstance('b');

    await eventually(() => b.stream.stats().delivered === 1, 5000, 'the delivery taken over');
    const [first, second] = receiver.requests;
    expect(second!.headers['x-delivery-id']).toBe(first!.headers['x-delivery-id']);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.rawBody).toBe(first!.rawBody);
    expect(signatureMatches(second!, SECRET)).toBe(true);
    expect(standardSignatureMatches(second!, Buffer.from(SECRET))).toBe(true);
    expect(b.logs).toContainEqual(expect.objectContaining({ message: 'Summary webhook delivery taken over from a silent consumer', session_id: 'orphan' }));
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
  });

  it('a delivery slower than claimIdleMs stays with the live instance delivering it (no second request)', async () => {
    const held: ServerResponse[] = [];
    receiver = await startReceiver((response) => held.push(response));
    const a = startInstance('a');
    a.stream.enqueue(summaryRecord('slow'));
    await eventually(() => receiver!.requests.length === 1, 5000, 'the first attempt at the receiver');
    const b = startInstance('b');

    await sleep(1200);
    for (const response of held.splice(0)) response.writeHead(200).end();
    await eventually(() => a.stream.stats().delivered === 1, 3000, 'the slow delivery');
    await sleep(400);

    expect(receiver.requests).toHaveLength(1);
    expect(b.stream.stats()).toMatchObject({ delivered: 0, failed: 0 });
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
  });

  it('an instance restarted with the same id delivers what it had read first, without waiting for claimIdleMs', async () => {
    const held: ServerResponse[] = [];
    receiver = await startReceiver((response, index) => (index === 0 ? held.push(response) : response.writeHead(200).end()));
    const before = startInstance('a', { claimIdleMs: 60_000 });
    before.stream.enqueue(summaryRecord('read-before-death'));
    await eventually(() => receiver!.requests.length === 1, 5000, 'the first attempt at the receiver');
    await before.link.close();

    const after = startInstance('a', { claimIdleMs: 60_000 });
    await eventually(() => after.stream.stats().delivered === 1, 3000, 'its own pending entry delivered');
    expect(new Set(receiver.requests.map((request) => request.headers['x-delivery-id'])).size).toBe(1);
    // Counted as delivered a moment before the entry is acknowledged and deleted.
    await eventuallyAsync(async () => ((await leftInRedis()).entries === 0 || undefined), 2000, 'the entry deleted');
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
  });

  it('close() during a hanging delivery returns within the flush time and leaves the entry to another instance', async () => {
    receiver = await startReceiver((response, index) => (index === 0 ? undefined : response.writeHead(200).end()));
    // An attempt that outlives the test (30 s): close() returning at all did not wait for it.
    const a = startInstance('a', { attemptTimeoutMs: 60_000 });
    a.stream.enqueue(summaryRecord('hanging'));
    await eventually(() => receiver!.requests.length === 1, 5000, 'the request in flight');

    const started = Date.now();
    const closing = a.stream.close(200);
    expect(a.stream.close(5000)).toBe(closing);
    await closing;
    // No sooner than the flush time (timers never fire early; 10 ms for rounding).
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(a.stream.stats()).toMatchObject({ delivered: 0, failed: 0 });
    expect(await leftInRedis()).toEqual({ entries: 1, pending: 1 });
    a.stream.enqueue(summaryRecord('late'));
    expect(a.logs).toContainEqual(expect.objectContaining({ message: 'Summary webhook closed, summary not sent', session_id: 'late' }));

    const b = startInstance('b');
    await eventually(() => b.stream.stats().delivered === 1, 5000, 'the delivery taken over');
    expect(new Set(receiver.requests.map((request) => request.headers['x-delivery-id'])).size).toBe(1);
    expect(receiver.requests.map((request) => request.body.session_id)).toEqual(['hanging', 'hanging']);
  });

  it('close() delivers what the stream holds before returning', async () => {
    receiver = await startReceiver(answer(200));
    const a = startInstance('a');
    await eventually(() => a.link.isUp, 3000, 'Redis connected');
    for (const sessionId of ['x', 'y', 'z']) a.stream.enqueue(summaryRecord(sessionId));

    await a.stream.close(3000);

    expect(a.stream.stats()).toEqual({ delivered: 3, failed: 0, retried: 0, dropped: 0, queued: 0 });
    expect(receiver.requests.map((request) => request.body.session_id)).toEqual(['x', 'y', 'z']);
    expect(await leftInRedis()).toEqual({ entries: 0, pending: 0 });
  });

  it('summaries enqueued while Redis is down are delivered once it is back (restarted empty)', async () => {
    receiver = await startReceiver(answer(200));
    const a = startInstance('a');
    a.stream.enqueue(summaryRecord('before'));
    await eventually(() => a.stream.stats().delivered === 1, 5000, 'the first delivery');

    await redisServer.stop();
    await eventually(() => !a.link.isUp, 3000, 'the link down');
    const during = ['d1', 'd2', 'd3', 'd4', 'd5'];
    for (const sessionId of during) a.stream.enqueue(summaryRecord(sessionId));
    await a.stream.flushed();
    expect(a.link.stats().backlog).toBe(5);
    await sleep(1500);
    await redisServer.restart();

    await eventually(() => a.stream.stats().delivered === 6, 10_000, 'the summaries written while Redis was down');
    expect(receiver.requests.map((request) => request.body.session_id)).toEqual(['before', ...during]);
    expect(countByDeliveryId().size).toBe(6);
    const waiting = a.logs.filter((entry) => entry.message === 'Summary webhook waiting for Redis to read the stream');
    expect(waiting.length).toBeLessThanOrEqual(1);
    expect(a.logs.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});
