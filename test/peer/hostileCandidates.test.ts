/**
 * Remote ICE candidates as an attacker sends them (issue 23, finding 4): hundreds in one WHIP
 * PATCH, aimed at a port of their choosing, at 0.0.0.0, multicast and broadcast addresses, and
 * `.local` names in an offer. The real server on loopback with its media on the main thread, so
 * the test can look at its werift ICE agent; UDP sockets bound here play the victims and count
 * the STUN requests the server sends them.
 */
import { createSocket, type Socket } from 'node:dgram';
import { refusals } from '../../src/limits/refusals';
import { inputLimits } from '../../src/limitsConfig';
import { iceCredentials } from '../../src/webrtc/iceFragment';
import { eventually, expectNothingLeft, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';
import { createPublisher, postWhip } from '../helpers/whipPublisher';
import { CandidatePairState, classes, Message, methods, type RTCPeerConnection } from 'werift';

const FRAGMENT = 'application/trickle-ice-sdpfrag';
const CAP = 32;

let server: TestServer;
const clientPcs: RTCPeerConnection[] = [];
const victims: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer({ mediaWorkers: 0, limits: { ...inputLimits({}), maxRemoteCandidates: CAP } });
});

beforeEach(() => refusals.take());

afterEach(async () => {
  await Promise.all(victims.splice(0).map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  await Promise.all(clientPcs.splice(0).map((pc) => pc.close()));
  await expectNothingLeft(server);
  server.peers.length = 0;
});

afterAll(async () => {
  await server.close();
});

/** A UDP socket on loopback counting the STUN binding requests it gets. */
async function victim(address = '127.0.0.1'): Promise<{ socket: Socket; port: number; stun: () => number }> {
  const socket = createSocket('udp4');
  victims.push(socket);
  let stun = 0;
  // A STUN message: first two bits 0, magic cookie 0x2112A442 at byte 4; 0x0001 is a binding request.
  socket.on('message', (message) => {
    if (message.length >= 20 && message.readUInt16BE(0) === 0x0001 && message.readUInt32BE(4) === 0x2112a442) stun += 1;
  });
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  return { socket, port: socket.address().port, stun: () => stun };
}

/** A WHIP session from an offer without candidates (its ICE is checking, waiting for trickled ones). */
async function publishWithoutCandidates(transform: (sdp: string) => string = (sdp) => sdp) {
  const publisher = await createPublisher();
  clientPcs.push(publisher.pc);
  const offer = transform(publisher.offerSdp.replace(/^a=(candidate:.*|end-of-candidates)\r\n/gm, ''));
  const response = await postWhip(server.url, offer);
  expect(response.status).toBe(201);
  const location = response.headers.get('location')!;
  const peer = server.manager.get(location.slice('/whip/'.length))!;
  server.peers.push(peer);
  return { publisher, location, peer, etag: response.headers.get('etag')!, ice: () => serverConnection(peer).iceTransports[0]!.connection };
}

function patch(location: string, etag: string, body: string): Promise<Response> {
  return fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': FRAGMENT, 'if-match': etag }, body });
}

const candidate = (index: number, address: string, port: number) => `a=candidate:${index} 1 udp ${2130706431 - index} ${address} ${port} typ host`;
const localCandidates = (peer: { id: string }) => serverConnection(server.manager.get(peer.id)!).iceTransports[0]!.connection.localCandidates.length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('remote ICE candidates (MAX_REMOTE_CANDIDATES, refused addresses)', () => {
  it('a PATCH of 505 candidates leaves the cap in werift, and STUN only to that many victim ports, within 5 requests a pair', async () => {
    const { location, etag, ice, publisher, peer } = await publishWithoutCandidates();
    const targets = await Promise.all(Array.from({ length: 505 }, () => victim()));
    const { ufrag, pwd } = iceCredentials(publisher.offerSdp)!;
    const body = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, ...targets.map((target, index) => candidate(index, '127.0.0.1', target.port)), ''].join('\r\n');
    expect(body.length).toBeGreaterThan(25_000);
    expect((await patch(location, etag, body)).status).toBe(204);

    expect(ice().remoteCandidates.length).toBe(CAP);
    expect(refusals.take()).toMatchObject({ remote_candidate: 505 - CAP });
    // Each admitted candidate pairs with each local candidate; a check that gets no answer is sent 5 times (werift: 4 retransmissions).
    const localCandidates = ice().localCandidates.length;
    await sleep(4000);
    const reached = targets.filter((target) => target.stun() > 0);
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.length).toBeLessThanOrEqual(CAP);
    expect(targets.reduce((sum, target) => sum + target.stun(), 0)).toBeLessThanOrEqual(CAP * localCandidates * 5);
    expect(targets.slice(CAP).every((target) => target.stun() === 0)).toBe(true);
    await peer.close('CLOSE_REQUESTED');
  });

  it('never pairs 0.0.0.0, multicast, broadcast or reserved addresses, nor port 0: no STUN reaches the port 0.0.0.0 would hit', async () => {
    const { location, etag, ice, peer } = await publishWithoutCandidates();
    // On Linux a datagram to 0.0.0.0:P is delivered to a socket on 127.0.0.1:P.
    const target = await victim();
    const addresses = ['0.0.0.0', '0.1.2.3', '224.0.0.251', '239.255.255.250', '255.255.255.255', '240.0.0.1'];
    const body = [...addresses.map((address, index) => candidate(index, address, target.port)), candidate(9, '127.0.0.1', 0), ''].join('\r\n');
    expect((await patch(location, etag, body)).status).toBe(204);
    expect(ice().remoteCandidates).toEqual([]);
    expect(refusals.take()).toMatchObject({ remote_candidate: addresses.length + 1 });
    await sleep(1500);
    expect(target.stun()).toBe(0);
    await peer.close('CLOSE_REQUESTED');
  });

  it('drops .local candidates of an offer: no mDNS lookup is ever started; other candidates of the offer count against the cap', async () => {
    const mdns = ['a=candidate:1 1 udp 2122260223 4f1d7c53-1f34-4fd1-a8a3-3b1c3cbd3c9b.local 61767 typ host', 'a=candidate:2 1 udp 2122260222 0.0.0.0 61768 typ host'];
    const { ice, peer } = await publishWithoutCandidates((sdp) => sdp.replace(/^(a=mid:.*\r\n)/m, `$1${mdns.join('\r\n')}\r\n`));
    const connection = ice() as unknown as { lookup?: unknown; remoteCandidates: unknown[] };
    await sleep(200);
    expect(connection.lookup).toBeUndefined();
    expect(connection.remoteCandidates).toEqual([]);
    expect(refusals.take()).toMatchObject({ remote_candidate: 2 });
    await peer.close('CLOSE_REQUESTED');
  });

  it('counts candidates over offers and fragments together, a repeated address once', async () => {
    const targets = await Promise.all(Array.from({ length: CAP + 4 }, () => victim()));
    const inOffer = targets.slice(0, 4).map((target, index) => candidate(100 + index, '127.0.0.1', target.port));
    const { location, etag, ice, peer } = await publishWithoutCandidates((sdp) => sdp.replace(/^(a=mid:.*\r\n)/m, `$1${inOffer.join('\r\n')}\r\n`));
    expect(ice().remoteCandidates.length).toBe(4);
    // The offer's 4 again (duplicates in this ICE session: dropped, not counted), then 32 more: 28 fit.
    const body = [...inOffer, ...targets.slice(4).map((target, index) => candidate(index, '127.0.0.1', target.port)), ''].join('\r\n');
    expect((await patch(location, etag, body)).status).toBe(204);
    expect(ice().remoteCandidates.length).toBe(CAP);
    expect(refusals.take()).toMatchObject({ remote_candidate: 4 });
    await peer.close('CLOSE_REQUESTED');
  });

  it('an address that never answered a check is not checked again after an ICE restart: its STUN stops there', async () => {
    const { location, etag, ice, peer } = await publishWithoutCandidates();
    const targets = await Promise.all(Array.from({ length: 3 }, () => victim()));
    const lines = targets.map((target, index) => candidate(index, '127.0.0.1', target.port));
    expect((await patch(location, etag, [...lines, ''].join('\r\n'))).status).toBe(204);
    // werift gives up a check after 5 sends 50, 100, 200, 400 and 800 ms apart.
    await eventually(() => targets.every((target) => target.stun() > 0) && ice().checkList.every((pair) => pair.state === CandidatePairState.FAILED), 10_000, 'the checks to fail');
    const before = targets.map((target) => target.stun());
    refusals.take();

    const restart = ['a=ice-ufrag:newU', 'a=ice-pwd:newpasswordnewpassword00', ...lines, ''].join('\r\n');
    const restarted = await fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': FRAGMENT, 'if-match': '*' }, body: restart });
    expect(restarted.status).toBe(200);
    expect(ice().remoteCandidates).toEqual([]);
    expect(refusals.take()).toMatchObject({ remote_candidate: 3 });
    await sleep(1500);
    expect(targets.map((target) => target.stun())).toEqual(before);
    await peer.close('CLOSE_REQUESTED');
  });

  it.each([401, 487])('a candidate answering every check with a STUN %i error gets a bounded number of checks, not one per answer (patch 005 ice-error-retry-cap)', async (code) => {
    const { location, etag, peer, publisher } = await publishWithoutCandidates();
    const target = await victim();
    // The candidate's owner knows its own ice-pwd, the key werift checks a response's integrity with.
    const key = Buffer.from(iceCredentials(publisher.offerSdp)!.pwd, 'utf8');
    target.socket.on('message', (data, from) => {
      if (data.length < 20 || data.readUInt16BE(0) !== 0x0001) return;
      const response = new Message(methods.BINDING, classes.ERROR, Buffer.from(data.subarray(8, 20)))
        .setAttribute('ERROR-CODE', [code, code === 401 ? 'Unauthorized' : 'Role Conflict'])
        .addMessageIntegrity(key)
        .addFingerprint();
      target.socket.send(response.bytes, from.port, from.address);
    });
    expect((await patch(location, etag, candidate(1, '127.0.0.1', target.port) + '\r\n')).status).toBe(204);
    // werift repeats such a check at most 8 times a pair, 50 ms to 1 s apart (about 4.6 s in all).
    await sleep(5500);
    const sent = target.stun();
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(9 * localCandidates(peer));
    await sleep(1000);
    expect(target.stun()).toBe(sent);
    await peer.close('CLOSE_REQUESTED');
  });
});
