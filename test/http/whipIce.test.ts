import type { RTCPeerConnection } from 'werift';
import { iceCredentials, parseIceFragment } from '../../src/webrtc/iceFragment';
import { eventually, expectNothingLeft, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, applyRestartAnswer, createPublisher, postWhip, restartIceOffer, sendMedia, type WhipPublisher } from '../helpers/whipPublisher';

const FRAGMENT = 'application/trickle-ice-sdpfrag';

let server: TestServer;
const clientPcs: RTCPeerConnection[] = [];

afterEach(async () => {
  await Promise.all(clientPcs.splice(0).map((pc) => pc.close()));
  await expectNothingLeft(server);
  server.peers.length = 0;
});

async function publish(offer: (publisher: WhipPublisher) => string = (publisher) => publisher.offerSdp) {
  const publisher = await createPublisher();
  clientPcs.push(publisher.pc);
  const response = await postWhip(server.url, offer(publisher));
  expect(response.status).toBe(201);
  const location = response.headers.get('location') ?? '';
  const sessionId = location.slice('/whip/'.length);
  const peer = server.manager.get(sessionId);
  if (!peer) throw new Error('the session is not tracked');
  server.peers.push(peer);
  return { publisher, location, sessionId, peer, etag: response.headers.get('etag') ?? '', answerSdp: await response.text() };
}

function patch(location: string, ifMatch: string, body: string): Promise<Response> {
  return fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': FRAGMENT, 'if-match': ifMatch }, body });
}

const framesReceived = (sessionId: string) => server.manager.view(sessionId)?.counters.frames_received ?? 0;

describe.each([
  ['on the main thread', 0],
  ['in a media worker', 1],
])('WHIP trickle ICE and ICE restarts (RFC 9725 section 4.3), connections %s', (_where, mediaWorkers) => {
  beforeAll(async () => {
    server = await startTestServer({ mediaWorkers });
  });

  afterAll(async () => {
    await server.close();
  });

  it('connects a client whose offer had no candidate once it trickles them with PATCH', async () => {
    const { publisher, location, sessionId, etag, answerSdp } = await publish((p) => p.offerSdp.replace(/^a=(candidate:.*|end-of-candidates)\r\n/gm, ''));
    const candidates = [...publisher.offerSdp.matchAll(/^a=candidate:.*$/gm)].map(([line]) => line);
    expect(candidates.length).toBeGreaterThan(0);
    const { ufrag, pwd } = iceCredentials(publisher.offerSdp)!;
    const mid = /^a=mid:(\S+)/m.exec(publisher.offerSdp)![1];

    // The answer first, as a WHIP client applies it before its candidates are confirmed.
    const connecting = applyAnswer(publisher, answerSdp);
    const trickled = await patch(location, etag, [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, 'm=video 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`, ...candidates, ''].join('\r\n'));
    expect(trickled.status).toBe(204);
    expect(trickled.headers.get('etag')).toBeNull();
    expect(await trickled.text()).toBe('');
    // Candidates of transports and addresses this server does not use are dropped, not refused.
    const foreign = await patch(location, etag, 'a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\na=candidate:3 1 udp 2122260223 fd00::1 5000 typ host\r\na=end-of-candidates\r\n');
    expect(foreign.status).toBe(204);

    await connecting;
    await sendMedia(publisher, 10);
    await eventually(() => framesReceived(sessionId) > 0, 5000, 'frames over the trickled path');
    expect((await fetch(server.url + location, { method: 'DELETE' })).status).toBe(200);
  });

  it('restarts ICE with PATCH If-Match: * and keeps the session, its actor and its counters (patch 014 ice-restart-checks)', async () => {
    const { publisher, location, sessionId, peer, etag, answerSdp } = await publish();
    await applyAnswer(publisher, answerSdp);
    await sendMedia(publisher, 10);
    await eventually(() => framesReceived(sessionId) >= 5, 5000, 'frames before the restart');
    const before = framesReceived(sessionId);
    const serverUfrag = iceCredentials(answerSdp)!.ufrag;

    const oldCredentials = iceCredentials(publisher.offerSdp)!;
    const offerFragment = await restartIceOffer(publisher);
    // New credentials under a tag are refused: a restart needs If-Match: * (RFC 9725 section 4.3.3).
    const tagged = await patch(location, etag, offerFragment);
    expect(tagged.status).toBe(412);
    expect(((await tagged.json()) as { detail: string }).detail).toMatch(/an ICE restart needs If-Match: \*/);
    const restarted = await patch(location, '*', offerFragment);
    expect(restarted.status).toBe(200);
    expect(restarted.headers.get('content-type')).toMatch(/^application\/trickle-ice-sdpfrag/);
    const newTag = restarted.headers.get('etag') ?? '';
    expect(newTag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(newTag).not.toBe(etag);
    const answer = parseIceFragment(await restarted.clone().text());
    expect(answer.ufrag).not.toBe(serverUfrag);
    expect(answer.candidates.length).toBeGreaterThan(0);
    expect(answer.endOfCandidates).toBe(true);
    await applyRestartAnswer(publisher, await restarted.text());

    // ICE checks again on both sides, then media flows on through the same DTLS and SRTP.
    const [clientIce] = publisher.pc.iceTransports;
    await eventually(() => clientIce?.connection.nominated !== undefined && clientIce.iceRestarts === 1, 10_000, 'the client to nominate a pair of the new ICE session');
    expect(clientIce?.connection.remoteUsername).toBe(answer.ufrag);
    if (mediaWorkers === 0) {
      const serverPc = serverConnection(peer);
      expect(iceCredentials(serverPc.remoteDescription!.sdp)?.ufrag).toBe(parseIceFragment(offerFragment).ufrag);
      await eventually(() => serverPc.iceTransports.every((transport) => transport.connection.nominated !== undefined && transport.iceRestarts === 1), 10_000, 'the server to nominate a pair of the new ICE session');
    }
    await sendMedia(publisher, 15);
    await eventually(() => framesReceived(sessionId) >= before + 5, 5000, 'frames after the restart');
    expect(server.manager.get(sessionId)).toBe(peer);
    expect(peer.state).toBe('Active');

    // The old ICE session's tag is stale now; the new one takes candidates. A late trickle of the
    // old ICE session under the new tag (a client's stale listener) restarts nothing: 412.
    expect((await patch(location, etag, 'a=end-of-candidates\r\n')).status).toBe(412);
    const late = `a=ice-ufrag:${oldCredentials.ufrag}\r\na=ice-pwd:${oldCredentials.pwd}\r\na=candidate:9 1 udp 2130706431 127.0.0.1 9 typ host\r\n`;
    expect((await patch(location, newTag, late)).status).toBe(412);
    expect((await patch(location, newTag, 'a=end-of-candidates\r\n')).status).toBe(204);
    const framesNow = framesReceived(sessionId);
    await sendMedia(publisher, 10);
    await eventually(() => framesReceived(sessionId) >= framesNow + 5, 5000, 'frames after the refused PATCHes');

    const deleted = (await (await fetch(server.url + location, { method: 'DELETE' })).json()) as { summary: { total_frames_received: number } };
    expect(deleted.summary.total_frames_received).toBeGreaterThanOrEqual(before + 5);
    expect(server.logs.some((entry) => entry.message === 'ICE restarted' && entry.session_id === sessionId)).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^whip_ice_updates_total\{kind="restart"\} [1-9]/m);
    expect(metrics).toMatch(/^whip_ice_updates_total\{kind="trickle"\} [1-9]/m);
  });
});
