import type { RunningServer } from '../../src/server';
import { startTestServer } from '../helpers/testServer';

let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  expect(server.manager.count).toBe(0);
});

async function post(path: string, body: string, contentType = 'application/json') {
  const response = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

describe('HTTP routes', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it.each([
    ['malformed JSON', '{"sdp":', 'application/json', 400, /not valid JSON/],
    ['a non-object body', '[1, 2]', 'application/json', 400, /must be a JSON object/],
    ['a non-offer', JSON.stringify({ type: 'answer', sdp: 'v=0' }), 'application/json', 400, /"type" must be "offer"/],
    ['a missing sdp', JSON.stringify({ type: 'offer' }), 'application/json', 400, /"sdp" must be a non-empty string/],
    ['an SDP that is not SDP', JSON.stringify({ type: 'offer', sdp: 'hello' }), 'application/json', 400, /must start with "v=0"/],
    ['an SDP without media', JSON.stringify({ type: 'offer', sdp: 'v=0\r\ns=-\r\n' }), 'application/json', 400, /no audio or video m-section/],
    ['a wrong content type', 'v=0', 'text/plain', 415, /expected Content-Type application\/json/],
    ['a body over the limit', JSON.stringify({ type: 'offer', sdp: 'v=0' + 'a'.repeat(70_000) }), 'application/json', 413, /over the \d+ byte limit/],
    [
      'an SDP werift cannot negotiate',
      JSON.stringify({ type: 'offer', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n' }),
      'application/json',
      400,
      /could not be negotiated/,
    ],
    [
      'an offer with only codecs the server cannot receive',
      JSON.stringify({
        type: 'offer',
        sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 H265/90000\r\na=rtpmap:97 rtx/90000\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n',
      }),
      'application/json',
      400,
      /^no offered codec can be received: the offer has video H265, rtx; audio payload type 0; this server receives video VP8, VP9, H264 \(constrained baseline, baseline, main, constrained high, high\), AV1; audio OPUS$/,
    ],
  ])('refuses %s with a problem+json 4xx', async (_name, body, contentType, status, detail) => {
    const response = await post('/offer', body, contentType);
    expect(response.status).toBe(status);
    expect(response.type).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
    expect(response.body.detail).toMatch(detail);
  });

  it('answers unknown sessions and routes with 404 problems', async () => {
    for (const [method, path] of [
      ['GET', '/sessions/0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11'],
      ['DELETE', '/sessions/0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11'],
      ['GET', '/sessions/not-a-uuid'],
      ['GET', '/nope'],
    ] as const) {
      const response = await fetch(server.url + path, { method });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await response.json()) as { detail: unknown }).detail).toEqual(expect.any(String));
    }
  });

  it('refuses a renegotiation offer for a session that is not live with a 404 problem', async () => {
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
    const response = await post('/sessions/0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11/offer', JSON.stringify({ type: 'offer', sdp }));
    expect(response.status).toBe(404);
    expect(response.body.detail).toMatch(/no live session/);
  });

  it('keeps a session whose offer was rejected readable, ended with reason error', async () => {
    await post('/offer', JSON.stringify({ type: 'offer', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n' }));
    const { sessions } = (await (await fetch(`${server.url}/sessions`)).json()) as { sessions: Array<{ session_id: string }> };
    expect(sessions.length).toBeGreaterThan(0);
    const record = await (await fetch(`${server.url}/sessions/${sessions[0]?.session_id}`)).json();
    expect(record).toMatchObject({ state: 'Released', reason: 'error' });
  });
});
