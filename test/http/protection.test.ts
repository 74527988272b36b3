import { startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer;

afterEach(async () => {
  await server.close();
});

const badOffer = () => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ type: 'offer', sdp: 'v=0\r\ns=-\r\n' }),
});

describe('HTTP protection', () => {
  it('sends security headers, with a content security policy limiting the page to its own origin', async () => {
    server = await startTestServer();
    const response = await fetch(`${server.url}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('limits offers per client address with 429, Retry-After and a problem', async () => {
    server = await startTestServer({ rateLimits: { offersPerMinute: 3, deletesPerMinute: 2, iceUpdatesPerMinute: 2 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/offer`, badOffer())).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    const limited = await fetch(`${server.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(((await limited.json()) as { detail: string }).detail).toMatch(/more than 3 offers a minute/);

    const deletes = [];
    for (let i = 0; i < 3; i++) {
      deletes.push((await fetch(`${server.url}/sessions/0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11`, { method: 'DELETE' })).status);
    }
    expect(deletes).toEqual([404, 404, 429]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('counts offers on /offer, /sessions/<id>/offer and /whip against one budget, deletions on /sessions and /whip against another', async () => {
    server = await startTestServer({ rateLimits: { offersPerMinute: 3, deletesPerMinute: 2, iceUpdatesPerMinute: 2 } });
    const id = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';
    const offers = [
      (await fetch(`${server.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' })).status,
      (await fetch(`${server.url}/sessions/${id}/offer`, badOffer())).status,
      (await fetch(`${server.url}/offer`, badOffer())).status,
      (await fetch(`${server.url}/sessions/${id}/offer`, badOffer())).status,
    ];
    expect(offers).toEqual([400, 400, 400, 429]);
    const deletes = [];
    for (const path of [`/whip/${id}`, `/sessions/${id}`, `/whip/${id}`]) deletes.push((await fetch(server.url + path, { method: 'DELETE' })).status);
    expect(deletes).toEqual([404, 404, 429]);
  });

  it('uses the configured CORS origin on the WHIP routes', async () => {
    server = await startTestServer({ corsAllowOrigin: 'https://app.example.org' });
    const preflight = await fetch(`${server.url}/whip`, { method: 'OPTIONS' });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
  });
});
