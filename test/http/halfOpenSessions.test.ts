/**
 * MAX_HALF_OPEN_SESSIONS_PER_ADDRESS on the real server: one address offering without ever
 * connecting holds at most that many sessions; connected sessions and renegotiations do not count.
 */
import { loadConfig } from '../../src/config';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { eventuallyAsync, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer | null = null;
const closers: Array<() => void> = [];

afterEach(async () => {
  // Sessions of raw offers are ended here, whatever the test got to.
  if (server) for (const { session_id, ended_at } of server.manager.list()) if (ended_at === null) await fetch(`${server.url}/sessions/${session_id}`, { method: 'DELETE' });
  closers.splice(0).forEach((close) => close());
  await finishTestServer(server);
  server = null;
});

const defaults = loadConfig({}).limits;
const quiet = { videoInactivityMs: 60_000, audioInactivityMs: 60_000 };

/** A real offer whose sender never applies the answer: its session stays half-open. */
async function rawOffer(): Promise<string> {
  const options = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };
  const pc = createPeerConnection(options);
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  closers.push(() => void pc.close());
  return pc.localDescription!.sdp;
}

async function postOffer(path: '/offer' | '/whip'): Promise<Response> {
  const sdp = await rawOffer();
  return path === '/offer'
    ? fetch(`${server!.url}/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp }) })
    : fetch(`${server!.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
}

async function refusedHalfOpen(): Promise<number> {
  const text = await (await fetch(`${server!.url}/metrics`)).text();
  return Number(/input_refused_total\{resource="half_open_session"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('half-open sessions per client address', () => {
  it('refuses the offer beyond the budget with 429, Retry-After and a problem, counted; a freed slot takes the next', async () => {
    server = await startTestServer({ ...quiet, limits: { ...defaults, maxHalfOpenPerAddress: 3 } });
    const made: string[] = [];
    for (const path of ['/offer', '/whip', '/offer'] as const) {
      const response = await postOffer(path);
      expect(response.status).toBeLessThan(300);
      made.push(path === '/offer' ? ((await response.json()) as { session_id: string }).session_id : response.headers.get('location')!);
    }
    for (const path of ['/offer', '/whip'] as const) {
      const refused = await postOffer(path);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({ title: 'Too many connecting sessions', status: 429 });
    }
    expect(server.manager.count).toBe(3);
    expect(await eventuallyAsync(async () => ((await refusedHalfOpen()) === 2 ? true : undefined), 3000, 'refusals counted')).toBe(true);

    // One ends (DELETE): its slot is free again.
    const first = made[0]!;
    expect((await fetch(`${server.url}/sessions/${first}`, { method: 'DELETE' })).status).toBe(200);
    const again = await postOffer('/offer');
    expect(again.status).toBe(200);
    made[0] = ((await again.json()) as { session_id: string }).session_id;
  });

  it('connected sessions do not count: one address holds more live sessions than the budget', async () => {
    server = await startTestServer({ ...quiet, limits: { ...defaults, maxHalfOpenPerAddress: 2 } });
    const sessions = [];
    for (let i = 0; i < 4; i += 1) {
      const session = await server.connect({ audio: false });
      // The server must have seen it connected before the next offer (its status comes from a media worker).
      await eventuallyAsync(async () => (session.peer.connectionState === 'connected' ? true : undefined), 3000, 'connected');
      sessions.push(session);
    }
    expect(server.manager.count).toBe(4);
    for (const { client, peer } of sessions) {
      client.sendMessage({ type: 'end_stream' });
      await peer.released;
    }
  });
});
