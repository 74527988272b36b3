/**
 * Several instances of the real server against one real redis-server (Debian's, on loopback):
 * a session lives on the instance that answered its offer, and every instance answers for it.
 */
import { eventuallyAsync, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { testClusterConfig, useRedisServer } from '../helpers/redisServer';
import { requireAiortc, runAiortc, type AiortcRoute } from '../foreign/aiortcClient';

/** Long enough that a quiet session never ends by itself during a test. */
const quiet = { videoInactivityMs: 60_000, audioInactivityMs: 60_000 };

const redis = useRedisServer();
let servers: TestServer[] = [];

afterEach(async () => {
  for (const server of servers) await finishTestServer(server);
  servers = [];
});

async function instances(...ids: string[]): Promise<TestServer[]> {
  for (const id of ids) servers.push(await startTestServer({ ...quiet, cluster: testClusterConfig(redis.server, id) }));
  return servers;
}

async function json<T>(response: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const answer = await response;
  return { status: answer.status, body: (await answer.json()) as T };
}

type View = { session_id: string; state: string; reason: string | null; ended_at: number | null; summary: Record<string, number> | null; instance_id?: string };

describe('a cluster of instances coordinated through Redis', () => {
  it('an offer on A, DELETE on B: A ends the session, its client gets stream_closed, and C reads the summary', async () => {
    const [a, b, c] = await instances('a', 'b', 'c');
    const { client, peer } = await a!.connect({ audio: false });
    await client.waitForEvent('session_started', 3000);
    await client.sendVideoFrames(10, { intervalMs: 10 });

    const deleted = await json<View>(fetch(`${b!.url}/sessions/${peer.id}`, { method: 'DELETE' }));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ session_id: peer.id, reason: 'client_request' });
    expect(deleted.body.summary?.total_frames_received).toBeGreaterThan(0);
    const closed = await client.waitForStreamClosed();
    expect(closed.reason).toBe('client_request');
    expect(closed.summary).toEqual(deleted.body.summary);

    const read = await json<View>(fetch(`${c!.url}/sessions/${peer.id}`));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ session_id: peer.id, state: 'Released', reason: 'client_request', instance_id: 'a' });
    expect(read.body.summary).toEqual(deleted.body.summary);
    const listed = await json<{ sessions: View[] }>(fetch(`${c!.url}/sessions`));
    expect(listed.body.sessions.find((entry) => entry.session_id === peer.id)).toMatchObject({ state: 'Released' });
    // Deleting it again anywhere answers the same record.
    expect((await json<View>(fetch(`${c!.url}/sessions/${peer.id}`, { method: 'DELETE' }))).body.summary).toEqual(deleted.body.summary);
  });

  it('any instance reads a live session from the instance holding it, and sends its renegotiation there', async () => {
    const [a, b] = await instances('a', 'b');
    const { client, peer } = await a!.connect({ audio: false });
    await client.waitForEvent('session_started', 3000);
    await client.sendVideoFrames(5, { intervalMs: 10 });

    const live = (await json<View>(fetch(`${b!.url}/sessions/${peer.id}`))).body;
    expect(live).toMatchObject({ session_id: peer.id, state: 'Active', ended_at: null });
    const listed = await json<{ sessions: View[] }>(fetch(`${b!.url}/sessions`));
    expect(listed.body.sessions.find((entry) => entry.session_id === peer.id)).toMatchObject({ state: 'Active', ended_at: null });

    const renegotiation = await fetch(`${b!.url}/sessions/${peer.id}/offer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'offer', sdp: 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n' }),
    });
    expect(renegotiation.status).toBe(421);
    expect(((await renegotiation.json()) as { detail: string }).detail).toContain('instance a');
    // So does a WHIP ICE update (RFC 9725 section 4.3): the ICE agent lives with the connection.
    const iceUpdate = await fetch(`${b!.url}/whip/${peer.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: 'a=end-of-candidates\r\n',
    });
    expect(iceUpdate.status).toBe(421);
    expect(((await iceUpdate.json()) as { detail: string }).detail).toMatch(/instance a.*send its ICE update there/);

    const cluster = await json<{ instance_id: string; instances: Array<{ instance_id: string; sessions: number; accepting: boolean }> }>(fetch(`${b!.url}/cluster`));
    expect(cluster.body.instance_id).toBe('b');
    expect(cluster.body.instances.map((instance) => [instance.instance_id, instance.sessions, instance.accepting])).toEqual([
      ['a', 1, true],
      ['b', 0, true],
    ]);
    await fetch(`${a!.url}/sessions/${peer.id}`, { method: 'DELETE' });
  });

  it('a draining instance tells the cluster it takes no sessions, and leaves it once closed', async () => {
    const [a, b] = await instances('a', 'b');
    const { client, peer } = await a!.connect({ audio: false });
    await client.waitForEvent('session_started', 3000);
    type Cluster = { instances: Array<{ instance_id: string; accepting: boolean }> };
    const drained = a!.drain(10_000);
    const seen = await eventuallyAsync(async () => {
      const { body } = await json<Cluster>(fetch(`${b!.url}/cluster`));
      return body.instances.find((instance) => instance.instance_id === 'a' && !instance.accepting) ? body : undefined;
    }, 3000);
    expect(seen.instances.map((instance) => [instance.instance_id, instance.accepting])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect((await fetch(`${a!.url}/readyz`)).status).toBe(503);
    // Its session ended from B: the drain finishes, and A is gone from the cluster at once.
    const ended = await fetch(`${b!.url}/sessions/${peer.id}`, { method: 'DELETE' });
    expect([ended.status, await ended.text()]).toEqual([200, expect.stringContaining('client_request')]);
    await drained;
    const after = await json<Cluster>(fetch(`${b!.url}/cluster`));
    expect(after.body.instances.map((instance) => instance.instance_id)).toEqual(['b']);
  });

  /**
   * A foreign stack (aiortc) streaming to A while B ends its session: the client sees what it
   * sees from a single instance (stream_closed client_request, then the record released).
   */
  it.each<[AiortcRoute, string]>([
    ['offer', 'sessions'],
    ['whip', 'whip'],
  ])('aiortc on /%s to A, DELETE /%s/<id> on B', async (route, resource) => {
    requireAiortc();
    const [a, b] = await instances('a', 'b');
    let deleted: Promise<{ status: number; body: View }> | undefined;
    const run = await runAiortc({
      url: a!.url,
      route,
      mediaSeconds: 4,
      waitSeconds: 10,
      end: 'delete',
      onLine: (line) => {
        if (line.event !== 'connected') return;
        const peer = a!.manager.get(line.session_id);
        if (peer) a!.peers.push(peer);
        deleted = new Promise((resolve) => setTimeout(resolve, 1000)).then(() => json<View>(fetch(`${b!.url}/${resource}/${line.session_id}`, { method: 'DELETE' })));
      },
    });
    const [session] = run.sessions;
    expect(session?.done).toMatchObject({ ok: true });
    const answer = await deleted!;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ session_id: session!.sessionId, reason: 'client_request' });
    expect(answer.body.summary?.total_frames_received).toBeGreaterThan(0);
    if (route === 'offer') expect(session!.streamClosed).toMatchObject({ reason: 'client_request', summary: answer.body.summary });
    expect(session!.record).toMatchObject({ reason: 'client_request' });
  }, 30_000);
});
