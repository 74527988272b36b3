import type { RTCPeerConnection } from 'werift';
import { refusals } from '../../src/limits/refusals';
import { dtlsFingerprints } from '../../src/webrtc/dtlsFingerprints';
import { eventually, finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, applyRestartAnswer, createPublisher, newCertificate, postWhip, restartIceOffer, sendMedia } from '../helpers/whipPublisher';

/**
 * Issue 26, "No takeover": the DTLS fingerprint of a renegotiated offer must be the session's
 * first one. werift verifies the peer's certificate against every fingerprint it was given, so
 * a second offer carrying another certificate's fingerprint let that certificate complete the
 * handshake (seen on the old code: the other party's connection and the server's both reached
 * `connected`). Run with the connection on the main thread and in a media worker.
 */
describe.each([0, 1])('No takeover: a renegotiation keeps the session\'s DTLS fingerprint (mediaWorkers: %i)', (mediaWorkers) => {
  let server: TestServer | undefined;
  const pcs: RTCPeerConnection[] = [];

  afterEach(async () => {
    await Promise.all(pcs.splice(0).map((pc) => pc.close()));
    await finishTestServer(server);
    server = undefined;
  });

  const start = async () => {
    server = await startTestServer({ mediaWorkers, videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    return server;
  };

  const renegotiate = (srv: TestServer, id: string, sdp: string) =>
    fetch(`${srv.url}/sessions/${id}/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp }) });

  /** Another party: a werift publisher with a certificate of its own. */
  const otherParty = async () => {
    const attacker = await createPublisher({ certificate: await newCertificate() });
    pcs.push(attacker.pc);
    return attacker;
  };

  const expectRefused = async (response: Response) => {
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { title: string; detail: string };
    expect(problem.title).toBe('DTLS fingerprint changed');
    expect(problem.detail).toMatch(/not the one this session was created with/);
  };

  it('a renegotiation with another certificate sent before the client\'s DTLS completes is refused (409); the client connects and streams', async () => {
    const srv = await start();
    const victim = await createPublisher();
    pcs.push(victim.pc);
    const created = await postWhip(srv.url, victim.offerSdp);
    expect(created.status).toBe(201);
    const id = created.headers.get('location')!.slice('/whip/'.length);
    srv.peers.push(srv.manager.get(id)!);
    const victimAnswer = await created.text();

    const attacker = await otherParty();
    expect(dtlsFingerprints(attacker.offerSdp)).not.toEqual(dtlsFingerprints(victim.offerSdp));
    refusals.take();
    await expectRefused(await renegotiate(srv, id, attacker.offerSdp));
    if (mediaWorkers === 0) expect(refusals.take()).toMatchObject({ dtls_fingerprint: 1 });

    await applyAnswer(victim, victimAnswer);
    await sendMedia(victim, 10);
    await eventually(() => (srv.manager.view(id)?.counters.frames_received ?? 0) > 0, 10_000, 'frames from the session\'s own client');
    expect(srv.manager.get(id)?.state).toBe('Active');
    expect((await fetch(`${srv.url}/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('a connected session refuses a renegotiation carrying another certificate (409) and keeps streaming; its own client still renegotiates', async () => {
    const srv = await start();
    const { client, peer } = await srv.connect();
    client.startStreaming();
    await eventually(() => peer.view().counters.frames_received > 0, 10_000, 'first frames');

    const attacker = await otherParty();
    await expectRefused(await renegotiate(srv, peer.id, attacker.offerSdp));
    const before = peer.view().counters.frames_received;
    await eventually(() => peer.view().counters.frames_received > before + 5, 10_000, 'frames after the refused renegotiation');
    expect(peer.state).toBe('Active');

    // The same certificate renegotiates as before (an ICE restart through POST /sessions/<id>/offer).
    await client.restartIce();
    const afterRestart = peer.view().counters.frames_received;
    await eventually(() => peer.view().counters.frames_received > afterRestart + 5, 10_000, 'frames after the client\'s own renegotiation');
    expect(peer.state).toBe('Active');
    expect((await fetch(`${srv.url}/sessions/${peer.id}`, { method: 'DELETE' })).status).toBe(200);
    await client.close();
  });
});

describe('No takeover through a WHIP PATCH', () => {
  let server: TestServer | undefined;
  const pcs: RTCPeerConnection[] = [];

  afterEach(async () => {
    await Promise.all(pcs.splice(0).map((pc) => pc.close()));
    await finishTestServer(server);
    server = undefined;
  });

  // A guard rather than a fix: an ICE restart is applied as the session's last offer with new
  // credentials, and a fragment's other lines are not read; this holds that so (the fingerprint
  // check in answerOffer would refuse such an offer with 409 too).
  it('an ICE restart whose fragment carries another certificate\'s a=fingerprint keeps the session\'s fingerprint', async () => {
    server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: 30_000, audioInactivityMs: 30_000 });
    const publisher = await createPublisher();
    pcs.push(publisher.pc);
    const created = await postWhip(server.url, publisher.offerSdp);
    const location = created.headers.get('location')!;
    const id = location.slice('/whip/'.length);
    const peer = server.manager.get(id)!;
    server.peers.push(peer);
    await applyAnswer(publisher, await created.text());

    const other = (await newCertificate()).getFingerprints()[0]!;
    const body = `${await restartIceOffer(publisher)}a=fingerprint:${other.algorithm} ${other.value}\r\n`;
    const restarted = await fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' }, body });
    expect(restarted.status).toBe(200);
    expect(dtlsFingerprints(serverConnection(peer).remoteDescription!.sdp)).toEqual(dtlsFingerprints(publisher.offerSdp));
    await applyRestartAnswer(publisher, await restarted.text());
    await sendMedia(publisher, 10);
    await eventually(() => (server!.manager.view(id)?.counters.frames_received ?? 0) > 0, 10_000, 'frames after the ICE restart');
    expect((await fetch(server.url + location, { method: 'DELETE' })).status).toBe(200);
  });
});
