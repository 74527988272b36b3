import { checkTrackCounts } from '../../src/http/offerValidation';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { LOOPBACK } from '../helpers/loopbackPeers';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

/** A werift offer (gathered on loopback) sending `video` video and `audio` audio tracks. */
async function weriftOffer(video: number, audio: number): Promise<string> {
  const pc = createPeerConnection(LOOPBACK);
  for (let index = 0; index < video; index += 1) pc.addTransceiver('video', { direction: 'sendonly' });
  for (let index = 0; index < audio; index += 1) pc.addTransceiver('audio', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

async function problemOf(response: Response): Promise<{ status: number; type: string | null; title: unknown; detail: unknown }> {
  const body = (await response.json()) as { title?: unknown; detail?: unknown };
  return { status: response.status, type: response.headers.get('content-type'), title: body.title, detail: body.detail };
}

function postJson(path: string, sdp: string): Promise<Response> {
  return fetch(server!.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp }) });
}

const THREE_VIDEO = 'the offer has 3 video tracks; this server takes at most 2 per kind (MAX_TRACKS_PER_KIND)';

describe('checkTrackCounts', () => {
  it('lets through up to the limit of each kind', async () => {
    const offer = await weriftOffer(2, 2);
    expect(() => checkTrackCounts(offer, 2)).not.toThrow();
  });

  it('names each kind over the limit and the limit', async () => {
    const [threeVideo, fourAndFive] = [await weriftOffer(3, 1), await weriftOffer(4, 5)];
    expect(() => checkTrackCounts(threeVideo, 2)).toThrow(THREE_VIDEO);
    expect(() => checkTrackCounts(fourAndFive, 3)).toThrow(
      'the offer has 4 video tracks and 5 audio tracks; this server takes at most 3 per kind (MAX_TRACKS_PER_KIND)',
    );
  });
});

describe('MAX_TRACKS_PER_KIND over HTTP', () => {
  it('POST /offer and POST /whip refuse an offer of 3 video tracks with a 400 problem, and make no session', async () => {
    server = await startTestServer();
    const sdp = await weriftOffer(3, 1);
    const viaOffer = await postJson('/offer', sdp);
    const viaWhip = await fetch(`${server.url}/whip`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
    for (const response of [viaOffer, viaWhip]) {
      expect(await problemOf(response)).toEqual({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), title: 'Too many tracks', detail: THREE_VIDEO });
    }
    expect(server.manager.count).toBe(0);
    expect(await (await fetch(`${server.url}/sessions`)).json()).toEqual({ sessions: [] });
  });

  it('follows the configured limit', async () => {
    server = await startTestServer({ maxTracksPerKind: 1 });
    const response = await postJson('/offer', await weriftOffer(1, 2));
    expect(await problemOf(response)).toMatchObject({ status: 400, detail: 'the offer has 2 audio tracks; this server takes at most 1 per kind (MAX_TRACKS_PER_KIND)' });
  });

  it('a renegotiation adding a third video track is refused; the session goes on as it was', async () => {
    server = await startTestServer({ videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const { client, peer } = await server.connect();
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received >= 5, 3000, 'first frames');
    const before = peer.view();

    const response = await postJson(`/sessions/${peer.id}/offer`, await weriftOffer(3, 1));
    expect(await problemOf(response)).toMatchObject({ status: 400, title: 'Too many tracks', detail: THREE_VIDEO });

    expect(peer.view()).toMatchObject({ state: 'Active', tracks: before.tracks });
    await client.sendVideoFrames(5, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received >= 10, 3000, 'frames after the refusal');
    await client.close();
  });
});
