import type { RTCPeerConnection } from 'werift';
import { eventually, expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, createPublisher as createWhipPublisher, postWhip as postWhipTo, sendMedia } from '../helpers/whipPublisher';

const UNKNOWN_ID = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';

let server: TestServer;
const clientPcs: RTCPeerConnection[] = [];

async function createPublisher(options: { audio?: boolean } = {}) {
  const publisher = await createWhipPublisher(options);
  clientPcs.push(publisher.pc);
  return publisher;
}

const postWhip = (sdp: string, contentType?: string) => postWhipTo(server.url, sdp, contentType);

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await Promise.all(clientPcs.splice(0).map((pc) => pc.close()));
  await expectNothingLeft(server);
  server.peers.length = 0;
});

function trackServerSession(location: string): string {
  const sessionId = location.slice('/whip/'.length);
  const peer = server.manager.get(sessionId);
  if (!peer) throw new Error(`session ${sessionId} is not in the tracking set`);
  server.peers.push(peer);
  return sessionId;
}

/** Turns the offer's second m-section into what webrtcbin sends: port 0, bundle-only, no candidates. */
function asBundleOnlyOffer(sdp: string): string {
  const [session = '', first = '', second = ''] = sdp.split(/\r\n(?=m=)/);
  const bundleOnly = second
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .map((line) => line.replace(/^m=(\S+) \d+ /, 'm=$1 0 '))
    .flatMap((line) => (line.startsWith('a=mid:') ? [line, 'a=bundle-only'] : [line]))
    .join('\r\n');
  return [session, first, bundleOnly].join('\r\n');
}

async function problemOf(response: Response): Promise<{ status: number; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as { status: number; detail: string };
}

describe('WHIP ingest', () => {
  it('publishes video from a WHIP client without a data channel and ends it with DELETE', async () => {
    const publisher = await createPublisher();
    expect(publisher.offerSdp).not.toContain('m=application');

    const response = await postWhip(publisher.offerSdp);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/\bLocation\b/);
    const location = response.headers.get('location') ?? '';
    expect(location).toMatch(/^\/whip\/[0-9a-f-]{36}$/);
    const answerSdp = await response.text();
    expect(answerSdp).toMatch(/^v=0/);
    const sessionId = trackServerSession(location);

    await applyAnswer(publisher, answerSdp);
    await sendMedia(publisher, 15);
    await eventually(() => (server.manager.view(sessionId)?.counters.frames_received ?? 0) > 0, 5000, 'frames to arrive');

    const deleted = await fetch(server.url + location, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    const closed = (await deleted.json()) as { session_id: string; reason: string; summary: { total_frames_received: number } };
    expect(closed).toMatchObject({ session_id: sessionId, reason: 'client_request' });
    expect(closed.summary.total_frames_received).toBeGreaterThan(0);

    const record = (await (await fetch(`${server.url}/sessions/${sessionId}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({ session_id: sessionId, state: 'Released', reason: 'client_request', data_channel_open: false });
    expect(record.summary).toMatchObject({ total_frames_received: closed.summary.total_frames_received });
  });

  it('accepts a GStreamer-style bundle-only audio section and receives its audio', async () => {
    const publisher = await createPublisher({ audio: true });
    const offerSdp = asBundleOnlyOffer(publisher.offerSdp);
    expect(offerSdp).toMatch(/^m=audio 0 /m);

    const response = await postWhip(offerSdp);
    expect(response.status).toBe(201);
    const answerSdp = await response.text();
    const audioSection = answerSdp.slice(answerSdp.indexOf('m=audio'));
    expect(audioSection).toMatch(/^m=audio [1-9]\d* /);
    expect(audioSection).not.toMatch(/a=inactive/);
    const sessionId = trackServerSession(response.headers.get('location') ?? '');

    await applyAnswer(publisher, answerSdp);
    await sendMedia(publisher, 15);
    await eventually(() => (server.manager.view(sessionId)?.counters.audio_frames ?? 0) > 0, 5000, 'audio to arrive');

    const deleted = await fetch(`${server.url}/whip/${sessionId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    const record = (await (await fetch(`${server.url}/sessions/${sessionId}`)).json()) as { summary: Record<string, number> };
    expect(record.summary.audio_frames).toBeGreaterThan(0);
    expect(record.summary.total_frames_received).toBeGreaterThan(0);
  });

  it.each([
    ['a wrong content type', 'v=0\r\n', 'application/json', 415, /expected Content-Type application\/sdp/],
    ['an empty body', '', 'application/sdp', 400, /must be an SDP offer/],
    ['garbage', 'hello', 'application/sdp', 400, /must start with "v=0"/],
    ['an SDP without media', 'v=0\r\ns=-\r\n', 'application/sdp', 400, /no audio or video m-section/],
    ['an SDP werift cannot negotiate', 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n', 'application/sdp', 400, /could not be negotiated/],
    ['a body over the limit', 'v=0\r\n' + 'a'.repeat(70_000), 'application/sdp', 413, /over the \d+ byte limit/],
  ])('refuses %s on POST /whip', async (_name, body, contentType, status, detail) => {
    const response = await postWhip(body, contentType);
    expect(response.status).toBe(status);
    expect(response.headers.get('location')).toBeNull();
    const problem = await problemOf(response);
    expect(problem.status).toBe(status);
    expect(problem.detail).toMatch(detail);
  });

  it('answers DELETE and PATCH on unknown resources with 404', async () => {
    for (const [method, path] of [
      ['DELETE', `/whip/${UNKNOWN_ID}`],
      ['PATCH', `/whip/${UNKNOWN_ID}`],
      ['DELETE', '/whip/not-a-uuid'],
      ['PATCH', '/whip/not-a-uuid'],
    ] as const) {
      const response = await fetch(server.url + path, {
        method,
        headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
        ...(method === 'PATCH' ? { body: 'a=end-of-candidates\r\n' } : {}),
      });
      expect(response.status).toBe(404);
      expect((await problemOf(response)).detail).toMatch(/no (live )?WHIP session/);
    }
  });

  it('refuses a PATCH that is not a well-formed, current ICE fragment and keeps the session', async () => {
    const publisher = await createPublisher();
    const response = await postWhip(publisher.offerSdp);
    const location = response.headers.get('location') ?? '';
    const etag = response.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const sessionId = trackServerSession(location);
    const patch = (headers: Record<string, string>, body: string) => fetch(server.url + location, { method: 'PATCH', headers, body });
    const fragment = 'application/trickle-ice-sdpfrag';
    const candidate = 'a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host';

    const wrongType = await patch({ 'content-type': 'application/sdp', 'if-match': etag }, candidate);
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('accept-patch')).toBe(fragment);
    const noPrecondition = await patch({ 'content-type': fragment }, candidate);
    expect(noPrecondition.status).toBe(428);
    expect((await problemOf(noPrecondition)).detail).toMatch(/needs If-Match/);
    const stale = await patch({ 'content-type': fragment, 'if-match': '"an-older-ice-session"' }, candidate);
    expect(stale.status).toBe(412);
    expect((await problemOf(stale)).detail).toContain(`ETag ${etag}`);
    const weak = await patch({ 'content-type': fragment, 'if-match': `W/${etag}` }, candidate);
    expect(weak.status).toBe(412);
    for (const [body, detail] of [
      ['', /empty/],
      ['hello', /line 1 is not an SDP line/],
      ['a=candidate:1 1 udp high 127.0.0.1 40000 typ host', /not a valid ICE candidate/],
      ['a=ice-ufrag:abc!\r\na=ice-pwd:0123456789abcdef0123456789', /ice-ufrag must be 4 to 256 ICE characters/],
      ['a=ice-ufrag:wxyz\r\n' + candidate, /needs its ice-pwd/],
    ] as const) {
      const malformed = await patch({ 'content-type': fragment, 'if-match': etag }, body);
      expect([malformed.status, (await problemOf(malformed)).detail]).toEqual([400, expect.stringMatching(detail)]);
    }
    expect(server.manager.get(sessionId)?.state).toBe('Active');

    const wrongMethod = await fetch(server.url + location, { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('PATCH, DELETE, OPTIONS');

    expect((await fetch(server.url + location, { method: 'DELETE' })).status).toBe(200);
    expect(server.manager.view(sessionId)?.reason).toBe('client_request');
    const ended = await patch({ 'content-type': fragment, 'if-match': '*' }, candidate);
    expect(ended.status).toBe(404);
    expect((await problemOf(ended)).detail).toMatch(/no live WHIP session/);
  });

  it('answers OPTIONS with Accept-Post, Allow and CORS headers', async () => {
    const endpoint = await fetch(`${server.url}/whip`, {
      method: 'OPTIONS',
      headers: { origin: 'https://publisher.example', 'access-control-request-method': 'POST' },
    });
    expect(endpoint.status).toBe(204);
    expect(endpoint.headers.get('accept-post')).toBe('application/sdp');
    expect(endpoint.headers.get('allow')).toBe('POST, OPTIONS');
    expect(endpoint.headers.get('access-control-allow-origin')).toBe('*');
    expect(endpoint.headers.get('access-control-allow-methods')).toBe('POST, DELETE, PATCH, OPTIONS');
    expect(endpoint.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, If-Match');
    expect(endpoint.headers.get('access-control-expose-headers')).toBe('Location, Accept-Post, Accept-Patch, ETag');

    const resource = await fetch(`${server.url}/whip/${UNKNOWN_ID}`, { method: 'OPTIONS' });
    expect(resource.status).toBe(204);
    expect(resource.headers.get('allow')).toBe('PATCH, DELETE, OPTIONS');
    expect(resource.headers.get('accept-patch')).toBe('application/trickle-ice-sdpfrag');
    expect(resource.headers.get('access-control-allow-methods')).toBe('POST, DELETE, PATCH, OPTIONS');
  });

  it('answers GET on the endpoint with 405 (reserved by RFC 9725)', async () => {
    const response = await fetch(`${server.url}/whip`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
  });
});
