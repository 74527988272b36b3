import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const TOKEN = 'a-long-test-token-0123456789';
let server: TestServer;

afterEach(async () => {
  await finishTestServer(server);
});

async function videoOffer(): Promise<{ sdp: string; close: () => Promise<void> }> {
  const options = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' };
  const pc = createPeerConnection(options);
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}

function postOffer(sdp: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/offer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'offer', sdp }),
  });
}

describe('bearer token (AUTH_TOKEN)', () => {
  it('lets /healthz through and refuses every other route without the right token', async () => {
    server = await startTestServer({ authToken: TOKEN });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    for (const [path, headers, detail] of [
      ['/readyz', {}, /requires an Authorization: Bearer/],
      ['/sessions', { authorization: 'Bearer wrong-token' }, /not valid/],
      ['/sessions', { authorization: `Basic ${TOKEN}` }, /requires an Authorization: Bearer/],
    ] as const) {
      const response = await fetch(server.url + path, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer( error="invalid_token")?$/);
      expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    }
    const offer = await videoOffer();
    expect((await postOffer(offer.sdp)).status).toBe(401);
    expect(server.manager.count).toBe(0);
    await offer.close();
    expect((await fetch(`${server.url}/sessions`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The 1st, 10th, 100th... refusal of each status from one address is logged (RefusalLog).
    expect(server.logs.filter((entry) => entry.message === 'Request refused').map((entry) => [entry.status, entry.occurrences])).toEqual([[401, 1]]);
    expect(JSON.stringify(server.logs)).not.toContain(TOKEN);
  });
});

describe('maximum concurrent sessions (MAX_SESSIONS)', () => {
  it('answers offers beyond the limit with 503 and Retry-After, and readyz turns 503', async () => {
    server = await startTestServer({ maxSessions: 1 });
    const first = await videoOffer();
    const accepted = await postOffer(first.sdp);
    expect(accepted.status).toBe(200);
    const { session_id: sessionId } = (await accepted.json()) as { session_id: string };
    server.peers.push(server.manager.get(sessionId)!);

    const second = await videoOffer();
    const refused = await postOffer(second.sdp);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/maximum of 1 sessions/);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);

    expect((await fetch(`${server.url}/sessions/${sessionId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await Promise.all([first.close(), second.close()]);
  });
});
