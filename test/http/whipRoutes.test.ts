import { MediaStreamTrack, useOPUS, useVP8, type RTCDtlsTransport, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { keepCandidatesOn, keepLoopbackCandidates } from '../../src/client/sdpCandidates';
import { SyntheticOpusSource, SyntheticVp8Source, videoTimestampStepForFps } from '../../src/client/syntheticMedia';
import { createPeerConnection, setLocalDescriptionQuietly, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';
import { eventually, expectNothingLeft, startTestServer, type TestServer } from '../helpers/testServer';

const LOOPBACK = '127.0.0.1';
const PEER_OPTIONS: PeerConnectionOptions = { iceServers: [], additionalHostAddresses: [LOOPBACK], interfaceAddress: LOOPBACK };
const UNKNOWN_ID = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';

let server: TestServer;
const clientPcs: RTCPeerConnection[] = [];

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

/** A WHIP publisher as a werift peer: sendonly tracks, no data channel, loopback only. */
interface WhipPublisher {
  pc: RTCPeerConnection;
  video: { track: MediaStreamTrack; transceiver: RTCRtpTransceiver; source: SyntheticVp8Source };
  audio: { track: MediaStreamTrack; transceiver: RTCRtpTransceiver; source: SyntheticOpusSource } | null;
  offerSdp: string;
}

async function createPublisher({ audio = false } = {}): Promise<WhipPublisher> {
  const pc = createPeerConnection(PEER_OPTIONS);
  clientPcs.push(pc);
  const videoTrack = new MediaStreamTrack({ kind: 'video', codec: useVP8() });
  const videoTransceiver = pc.addTransceiver(videoTrack, { direction: 'sendonly' });
  const video = {
    track: videoTrack,
    transceiver: videoTransceiver,
    source: new SyntheticVp8Source(() => videoTransceiver.sender.codec?.payloadType ?? 0),
  };
  let audioSide: WhipPublisher['audio'] = null;
  if (audio) {
    const audioTrack = new MediaStreamTrack({ kind: 'audio', codec: useOPUS() });
    const audioTransceiver = pc.addTransceiver(audioTrack, { direction: 'sendonly' });
    audioSide = {
      track: audioTrack,
      transceiver: audioTransceiver,
      source: new SyntheticOpusSource(() => audioTransceiver.sender.codec?.payloadType ?? 0),
    };
  }
  await setLocalDescriptionQuietly(pc, await pc.createOffer(), PEER_OPTIONS);
  const gathered = pc.localDescription?.sdp;
  if (!gathered) throw new Error('werift produced no local description');
  return { pc, video, audio: audioSide, offerSdp: keepCandidatesOn(gathered, LOOPBACK) };
}

async function postWhip(sdp: string, contentType = 'application/sdp'): Promise<Response> {
  return fetch(`${server.url}/whip`, { method: 'POST', headers: { 'content-type': contentType }, body: sdp });
}

/** Applies the answer, stops the transports the answer bundled away, waits for `connected`. */
async function applyAnswer(publisher: WhipPublisher, answerSdp: string): Promise<void> {
  const { pc } = publisher;
  const offeredTransports = [...pc.dtlsTransports];
  await pc.setRemoteDescription({ type: 'answer', sdp: keepLoopbackCandidates(answerSdp) });
  const inUse = new Set<RTCDtlsTransport>(pc.getTransceivers().map((transceiver) => transceiver.dtlsTransport));
  await Promise.all(offeredTransports.filter((transport) => !inUse.has(transport)).map((transport) => transport.stop()));
  await eventually(() => pc.connectionState === 'connected', 10_000, 'the WHIP publisher to connect');
}

function trackServerSession(location: string): string {
  const sessionId = location.slice('/whip/'.length);
  const peer = server.manager.get(sessionId);
  if (!peer) throw new Error(`session ${sessionId} is not in the tracking set`);
  server.peers.push(peer);
  return sessionId;
}

async function sendMedia(publisher: WhipPublisher, frames: number): Promise<void> {
  const timestampStep = videoTimestampStepForFps(30);
  for (let frame = 0; frame < frames; frame++) {
    for (const packet of publisher.video.source.nextFrame(2, timestampStep)) publisher.video.track.writeRtp(packet);
    publisher.audio?.track.writeRtp(publisher.audio.source.nextFrame());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
      expect((await problemOf(response)).detail).toMatch(/no WHIP session/);
    }
  });

  it('answers PATCH on a session with 501 (no trickle ICE, no ICE restart) and keeps the session', async () => {
    const publisher = await createPublisher();
    const response = await postWhip(publisher.offerSdp);
    const location = response.headers.get('location') ?? '';
    const sessionId = trackServerSession(location);

    const patched = await fetch(server.url + location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: 'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\n',
    });
    expect(patched.status).toBe(501);
    expect(patched.headers.get('allow')).toMatch(/\bDELETE\b/);
    expect((await problemOf(patched)).detail).toMatch(/neither trickle ICE nor ICE restarts/);
    expect(server.manager.get(sessionId) !== undefined).toBe(true);

    const wrongMethod = await fetch(server.url + location, { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('DELETE, OPTIONS');

    expect((await fetch(server.url + location, { method: 'DELETE' })).status).toBe(200);
    expect(server.manager.view(sessionId)?.reason).toBe('client_request');
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
    expect(endpoint.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type');
    expect(endpoint.headers.get('access-control-expose-headers')).toBe('Location, Accept-Post');

    const resource = await fetch(`${server.url}/whip/${UNKNOWN_ID}`, { method: 'OPTIONS' });
    expect(resource.status).toBe(204);
    expect(resource.headers.get('allow')).toBe('DELETE, OPTIONS');
    expect(resource.headers.get('access-control-allow-methods')).toBe('POST, DELETE, PATCH, OPTIONS');
  });

  it('answers GET on the endpoint with 405 (reserved by RFC 9725)', async () => {
    const response = await fetch(`${server.url}/whip`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
  });
});
