/**
 * Offers shaped to get past the checks (issue 23, findings 3 and 5): lines werift reads otherwise
 * than the checks did, more m-sections than any client needs, and sections outside BUNDLE that
 * each take ICE ports. The real server on loopback; its own werift client where one connects.
 */
import { refusals } from '../../src/limits/refusals';
import { inputLimits } from '../../src/limitsConfig';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { LOOPBACK } from '../helpers/loopbackPeers';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { freeUdpRange } from '../helpers/udpPorts';

let server: TestServer | undefined;

// Refusals are counted per thread: each test starts from none.
beforeEach(() => refusals.take());

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

const FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');

/** An offer of `sections` m-sections (each `[m-line, ...attributes]`), ICE and DTLS attributes added to each. */
function offer(sections: string[][], { bundle = true } = {}): string {
  const mids = sections.map((_, index) => String(index));
  const session = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ...(bundle ? [`a=group:BUNDLE ${mids.join(' ')}`] : [])];
  const media = sections.flatMap(([mLine, ...attributes], index) => [
    mLine!,
    'c=IN IP4 0.0.0.0',
    `a=mid:${index}`,
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    'a=setup:actpass',
    'a=rtcp-mux',
    ...attributes,
  ]);
  return [...session, ...media, ''].join('\r\n');
}

const video = (...attributes: string[]) => ['m=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 VP8/90000', ...attributes];
const audio = (...attributes: string[]) => ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', ...attributes];
const times = <T>(count: number, make: () => T): T[] => Array.from({ length: count }, make);

function postOffer(sdp: string): Promise<Response> {
  return fetch(`${server!.url}/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp }) });
}

function postWhip(sdp: string): Promise<Response> {
  return fetch(`${server!.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
}

async function problem(response: Response): Promise<{ status: number; type: string | null; title: unknown; detail: string }> {
  const body = (await response.json()) as { title?: unknown; detail?: string };
  return { status: response.status, type: response.headers.get('content-type'), title: body.title, detail: body.detail ?? '' };
}

async function refusedOffers(): Promise<number> {
  const text = await (await fetch(`${server!.url}/metrics`)).text();
  return Number(/^input_refused_total\{resource="sdp_offer"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('offers whose lines werift reads otherwise than the checks (finding 3)', () => {
  it('refuses a bare LF inside a line, which hid `a=inactive` from the track count: 400, no session', async () => {
    server = await startTestServer();
    // Split on LF, each section ended `inactive`; werift splits on CRLF and sees `sendonly` last.
    const hidden = offer(times(3, () => video('a=sendonly', 'a=x-note\na=inactive')));
    for (const response of [await postOffer(hidden), await postWhip(hidden)]) {
      const refused = await problem(response);
      expect(refused).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), title: 'Invalid SDP' });
      expect(refused.detail).toMatch(/^line \d+ holds a bare LF; every line must end with CRLF/);
    }
    expect(server.manager.count).toBe(0);
    expect(await refusedOffers()).toBe(2);
  });

  it('refuses a bare CR, and a LF-only offer with a CR inside a line', async () => {
    server = await startTestServer();
    const bareCr = offer([video('a=sendonly', 'a=x-note\ra=inactive')]);
    expect((await problem(await postOffer(bareCr))).detail).toMatch(/holds a bare CR/);
    const lfOnly = offer([video('a=sendonly\ra=inactive')]).replace(/\r\n/g, '\n');
    expect((await problem(await postOffer(lfOnly))).detail).toMatch(/holds a bare CR; every line must end with CRLF \(or every line with LF\)/);
    expect(server.manager.count).toBe(0);
  });

  it('refuses an offer of 12 video sections (MAX_MEDIA_SECTIONS 8) even when only 2 of them send', async () => {
    server = await startTestServer();
    const twelve = offer([...times(2, () => video('a=sendonly')), ...times(10, () => video('a=inactive'))]);
    const refused = await problem(await postOffer(twelve));
    expect(refused).toMatchObject({ status: 400, title: 'Too many media sections' });
    expect(refused.detail).toBe('the offer has 12 m-sections; this server takes at most 8 (MAX_MEDIA_SECTIONS)');
    expect(server.manager.count).toBe(0);
  });

  it('counts tracks as werift reads directions: `a=sendonly:x` and a last `a=inactive ` (trailing space) do not hide a sending section', async () => {
    server = await startTestServer();
    const sneaky = offer([video('a=sendonly'), video('a=inactive', 'a=sendonly:x'), video('a=sendonly', 'a=inactive ')]);
    const refused = await problem(await postOffer(sneaky));
    expect(refused).toMatchObject({ status: 400, title: 'Too many tracks', detail: 'the offer has 3 video tracks; this server takes at most 2 per kind (MAX_TRACKS_PER_KIND)' });
  });
});

describe('offers that would take many ICE ports (finding 5)', () => {
  it('refuses 100 inactive audio sections without BUNDLE; with ICE_PORT_RANGE of 4 ports a real client still gets in and streams', async () => {
    server = await startTestServer({ icePortRange: await freeUdpRange(4), videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const hostile = offer(times(100, () => audio('a=inactive')), { bundle: false });
    expect(hostile.length).toBeLessThan(40_000);
    const refused = await problem(await postOffer(hostile));
    expect(refused.status).toBe(400);
    expect(server.manager.count).toBe(0);

    const { client, peer } = await server.connect();
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received >= 5, 5000, 'frames of the client after the hostile offer');
    await client.close();
  });

  it('refuses sections outside BUNDLE beyond MAX_ICE_TRANSPORTS with a problem saying why, and takes the same sections bundled', async () => {
    server = await startTestServer();
    const sections = [video('a=sendonly'), audio('a=sendonly'), audio('a=inactive')];
    const refused = await problem(await postOffer(offer(sections, { bundle: false })));
    expect(refused).toMatchObject({
      status: 400,
      title: 'Too many ICE transports',
      detail: 'the offer needs 3 ICE transports (an m-section outside a BUNDLE group takes one of its own); this server takes every m-section in one BUNDLE group (MAX_ICE_TRANSPORTS)',
    });
    expect(await refusedOffers()).toBe(1);
    const bundled = await postOffer(offer(sections));
    expect(bundled.status).toBe(200);
    const { session_id } = (await bundled.json()) as { session_id: string };
    expect((await fetch(`${server.url}/sessions/${session_id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('follows MAX_ICE_TRANSPORTS: 2 lets an audio and a video section without BUNDLE in', async () => {
    server = await startTestServer({ limits: { ...inputLimits({}), maxIceTransports: 2 } });
    const response = await postOffer(offer([video('a=sendonly'), audio('a=sendonly')], { bundle: false }));
    expect(response.status).toBe(200);
    const { session_id } = (await response.json()) as { session_id: string };
    expect((await fetch(`${server.url}/sessions/${session_id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it("takes werift's own offers, max-bundle and max-compat (a transport per m-line on its side, one BUNDLE group)", async () => {
    server = await startTestServer();
    for (const bundlePolicy of ['max-bundle', 'max-compat'] as const) {
      const pc = createPeerConnection({ ...LOOPBACK, bundlePolicy });
      pc.addTransceiver('video', { direction: 'sendonly' });
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.createDataChannel('events');
      await pc.setLocalDescription(await pc.createOffer());
      const response = await postOffer(pc.localDescription!.sdp);
      await pc.close();
      expect(response.status).toBe(200);
      const { session_id } = (await response.json()) as { session_id: string };
      expect((await fetch(`${server.url}/sessions/${session_id}`, { method: 'DELETE' })).status).toBe(200);
    }
  });
});
