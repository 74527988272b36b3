/**
 * A cluster when things go wrong: an instance killed with SIGKILL (a child process running
 * src/main.ts), and Redis stopped and started again (empty) while sessions come and go.
 */
import { startServerProcess, type ServerProcess } from '../../bench/serverProcess';
import { StreamingClient } from '../../client/streamingClient';
import { eventually, eventuallyAsync, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { testClusterConfig, useRedisServer, testClusterEnv } from '../helpers/redisServer';
import { startReceiver, type Receiver } from '../helpers/webhookReceiver';

const quiet = { videoInactivityMs: 60_000, audioInactivityMs: 60_000 };

const redis = useRedisServer();
let servers: TestServer[] = [];
let child: ServerProcess | null = null;
let receiver: Receiver | null = null;
const clients: StreamingClient[] = [];

afterEach(async () => {
  await child?.stop(1000);
  child = null;
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers) await finishTestServer(server);
  servers = [];
  await receiver?.close();
  receiver = null;
});

async function instance(id: string, webhookUrl?: string): Promise<TestServer> {
  const server = await startTestServer({ ...quiet, cluster: testClusterConfig(redis.server, id), summaryWebhookUrl: webhookUrl });
  servers.push(server);
  return server;
}

async function read<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

type Cluster = { instances: Array<{ instance_id: string }> };
type View = { session_id: string; state: string; reason: string | null; ended_at: number | null; summary: object | null; faults: string[] };

describe('a cluster when things go wrong', () => {
  it('an instance killed with SIGKILL: its live session ends up reported as ended with reason error, never live forever', async () => {
    const b = await instance('b');
    child = await startServerProcess('this', { env: { ...testClusterEnv(redis.server, 'a'), DETECTOR: 'off', ICE_INTERFACE_ADDRESS: '127.0.0.1' } });
    const client = await StreamingClient.connect({ url: child.url, interfaceAddress: '127.0.0.1', audio: false });
    clients.push(client);
    await client.waitForEvent('session_started', 5000);
    const id = client.sessionId;
    expect((await read<View>(`${b.url}/sessions/${id}`)).body).toMatchObject({ state: 'Active', ended_at: null });

    const killedAt = Date.now();
    process.kill(child.pid, 'SIGKILL');
    await child.stop();

    const ended = await eventuallyAsync(async () => {
      const { body } = await read<View>(`${b.url}/sessions/${id}`);
      return body.ended_at !== null ? body : undefined;
    }, 5000, 'the dead instance’s session to be reported as ended');
    expect(ended).toMatchObject({ state: 'Released', reason: 'error', summary: null });
    expect(ended.ended_at).toBeLessThanOrEqual(Date.now());
    expect(ended.ended_at! + 1000).toBeGreaterThanOrEqual(killedAt);
    expect(ended.faults.join(' ')).toContain('instance a stopped');
    const listed = await read<{ sessions: View[] }>(`${b.url}/sessions`);
    expect(listed.body.sessions.find((entry) => entry.session_id === id)).toMatchObject({ state: 'Released' });
    const cluster = await read<Cluster>(`${b.url}/cluster`);
    expect(cluster.body.instances.map((entry) => entry.instance_id)).toEqual(['b']);
    // A DELETE of it answers what is known rather than waiting on the dead instance.
    const deleted = await fetch(`${b.url}/sessions/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    // Restarted under the same INSTANCE_ID, the instance does not bring the old session back to life.
    await instance('a');
    await eventuallyAsync(async () => ((await read<Cluster>(`${b.url}/cluster`)).body.instances.length === 2 ? true : undefined), 3000, 'a back');
    expect((await read<View>(`${b.url}/sessions/${id}`)).body).toMatchObject({ state: 'Released', reason: 'error' });
    const again = await read<{ sessions: View[] }>(`${b.url}/sessions`);
    expect(again.body.sessions.find((entry) => entry.session_id === id)).toMatchObject({ state: 'Released' });
  });

  it('A killed right after a session closes: the webhook receiver still gets its summary (one delivery id)', async () => {
    // Until A is dead, the receiver takes requests and never answers: A's delivery stays in flight.
    let answering = false;
    receiver = await startReceiver((response) => {
      if (answering) response.writeHead(204).end();
    });
    child = await startServerProcess('this', {
      env: { ...testClusterEnv(redis.server, 'a'), SUMMARY_WEBHOOK_URL: receiver.url, DETECTOR: 'off', ICE_INTERFACE_ADDRESS: '127.0.0.1' },
    });
    const client = await StreamingClient.connect({ url: child.url, interfaceAddress: '127.0.0.1', audio: false });
    clients.push(client);
    await client.waitForEvent('session_started', 5000);
    await client.sendVideoFrames(5, { intervalMs: 10 });
    const deleted = await fetch(`${child.url}/sessions/${client.sessionId}`, { method: 'DELETE' });
    const summary = ((await deleted.json()) as View).summary;
    expect(deleted.status).toBe(200);
    await eventually(() => receiver!.requests.length > 0, 5000, "A's delivery attempt");
    process.kill(child.pid, 'SIGKILL');
    await child.stop();

    answering = true;
    const b = await instance('b', receiver.url);
    const delivered = await eventuallyAsync(async () => (receiver!.requests.length > 1 ? receiver!.requests.slice(1) : undefined), 10_000, 'the summary to be delivered by b');
    expect(delivered[0]!.body).toMatchObject({ event_type: 'session_summary', session_id: client.sessionId, reason: 'client_request', summary });
    // The same delivery id as A's attempt: the receiver deduplicates to exactly one summary.
    const ids = new Set(receiver.requests.map((request) => request.headers['x-delivery-id']));
    expect(ids.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // past another claim period: nothing more comes
    expect(new Set(receiver.requests.map((request) => request.headers['x-delivery-id'])).size).toBe(1);
    expect(b.manager.webhookStats()).toMatchObject({ delivered: 1, failed: 0 });
  });

  it('Redis stopped and started again empty: sessions go on, records and summaries wait in memory, and nothing is lost', async () => {
    receiver = await startReceiver((response) => response.writeHead(204).end());
    const a = await instance('a', receiver.url);
    const b = await instance('b', receiver.url);
    const before = await a.connect({ audio: false });
    await before.client.waitForEvent('session_started', 3000);
    await fetch(`${a.url}/sessions/${before.peer.id}`, { method: 'DELETE' });
    const during = await a.connect({ audio: false });
    await during.client.waitForEvent('session_started', 3000);

    await redis.server.stop();
    const ready = await eventuallyAsync(async () => {
      const { body } = await read<{ degraded: Array<{ part: string }> }>(`${a.url}/readyz`);
      return body.degraded.length > 0 ? body : undefined;
    }, 5000, '/readyz to say Redis is degraded');
    expect(ready.degraded[0]).toMatchObject({ part: 'redis' });
    expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^redis_up 0$/m);
    expect((await fetch(`${b.url}/sessions/${during.peer.id}`)).status).toBe(503);

    // New sessions keep working on their own instance while Redis is away.
    const offline = await a.connect({ audio: false });
    await offline.client.waitForEvent('session_started', 3000);
    expect((await fetch(`${a.url}/sessions/${during.peer.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${a.url}/sessions/${offline.peer.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^redis_backlog 4$/m); // two records, two summaries

    await redis.server.restart();
    for (const id of [before.peer.id, during.peer.id, offline.peer.id]) {
      const record = await eventuallyAsync(async () => {
        const { status, body } = await read<View>(`${b.url}/sessions/${id}`);
        return status === 200 && body.ended_at !== null ? body : undefined;
      }, 5000, `session ${id} to be readable from b`);
      expect(record).toMatchObject({ state: 'Released', reason: 'client_request' });
    }
    const { body } = await read<{ degraded: unknown[] }>(`${a.url}/readyz`);
    expect(body.degraded).toEqual([]);
    expect(a.logs.map((entry) => entry.message)).toEqual(expect.arrayContaining([expect.stringContaining('Redis unreachable'), 'Redis backlog flushed']));
    await eventually(() => a.logs.some((entry) => entry.message.startsWith('Redis came back empty')), 3000, 'the resync log');
    // Every summary reached the webhook: the one sent before the outage and the two that waited.
    const summaries = await eventuallyAsync(async () => {
      const sessions = new Set(receiver!.requests.map((request) => request.body.session_id));
      return sessions.size === 3 ? sessions : undefined;
    }, 10_000, 'all three summaries at the webhook');
    expect([...summaries].sort()).toEqual([before.peer.id, during.peer.id, offline.peer.id].sort());
  });
});
