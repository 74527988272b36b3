import { randomBytes } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';
import { RenegotiationBudget } from '../../src/http/renegotiationBudget';
import { refusals } from '../../src/limits/refusals';
import { inputLimits } from '../../src/limitsConfig';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, applyRestartAnswer, createPublisher, postWhip, restartIceOffer, sendMedia } from '../helpers/whipPublisher';
import { HttpProblem } from '../../src/errors';

describe('RenegotiationBudget', () => {
  it('lets a session spend its renegotiations a minute, refuses the next with 429 and the wait for one more, and refills', () => {
    let now = 0;
    const budget = new RenegotiationBudget(3, () => now);
    const session = {};
    for (let i = 0; i < 3; i++) budget.spend(session, 'renegotiation');
    refusals.take();
    let refused: unknown;
    try {
      budget.spend(session, 'ICE restart');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HttpProblem);
    expect(refused).toMatchObject({ status: 429, title: 'Too many renegotiations', headers: { 'Retry-After': '20' } });
    expect((refused as HttpProblem).detail).toMatch(/3 renegotiations and ICE restarts a minute \(RENEGOTIATIONS_PER_MINUTE\); this ICE restart is refused, the session goes on; retry in 20 s$/);
    expect(refusals.take()).toEqual({ renegotiation: 1 });
    // Another session has its own budget.
    expect(() => budget.spend({}, 'renegotiation')).not.toThrow();
    now += 15_000;
    expect(() => budget.spend(session, 'renegotiation')).toThrow(expect.objectContaining({ headers: { 'Retry-After': '5' } }));
    now += 5_000;
    expect(() => budget.spend(session, 'renegotiation')).not.toThrow();
  });
});

describe('RENEGOTIATIONS_PER_MINUTE over HTTP', () => {
  let server: TestServer | undefined;
  const clientPcs: RTCPeerConnection[] = [];

  afterEach(async () => {
    await Promise.all(clientPcs.splice(0).map((pc) => pc.close()));
    await finishTestServer(server);
    server = undefined;
  });

  const limits = (renegotiationsPerMinute: number) => ({ limits: { ...inputLimits({}), renegotiationsPerMinute }, videoInactivityMs: 30_000, audioInactivityMs: 30_000 });

  it('POST /sessions/<id>/offer: ICE restarts beyond the budget get 429 with Retry-After; the session goes on', async () => {
    server = await startTestServer(limits(2));
    const { client, peer } = await server.connect();
    await client.restartIce();
    await client.restartIce();
    refusals.take();
    await expect(client.restartIce()).rejects.toThrow(/429|Too many renegotiations/);
    expect(refusals.take()).toMatchObject({ renegotiation: 1 });
    expect(peer.view().state).toBe('Active');
    expect((await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' })).status).toBe(200);
    await client.close();
  });

  it('WHIP PATCH: an ICE restart beyond the budget gets 429 problem+json with Retry-After; the session keeps streaming', async () => {
    server = await startTestServer(limits(1));
    const publisher = await createPublisher();
    clientPcs.push(publisher.pc);
    const created = await postWhip(server.url, publisher.offerSdp);
    const location = created.headers.get('location')!;
    const sessionId = location.slice('/whip/'.length);
    server.peers.push(server.manager.get(sessionId)!);
    await applyAnswer(publisher, await created.text());
    const restart = () => fetch(server!.url + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' }, body: '' });

    const firstBody = await restartIceOffer(publisher);
    const first = await fetch(server.url + location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: firstBody,
    });
    expect(first.status).toBe(200);
    await applyRestartAnswer(publisher, await first.text());
    // The allowed restart completes (a pair of the new ICE session nominated) before the next
    // offer: a restart offered on top of one still checking would leave no pair to stream on.
    const [ice] = publisher.pc.iceTransports;
    await eventually(() => ice?.iceRestarts === 1 && ice.connection.nominated !== undefined, 10_000, 'the allowed ICE restart to complete');

    // Another restart: new credentials on the same candidates. It is made apart from the
    // publisher's connection, which stays on the ICE session the server knows (a client whose
    // restart is refused goes on with the one it has).
    const secondBody = firstBody
      .replace(/^a=ice-ufrag:.*$/m, `a=ice-ufrag:${randomBytes(6).toString('hex')}`)
      .replace(/^a=ice-pwd:.*$/m, `a=ice-pwd:${randomBytes(16).toString('hex')}`);
    const second = await fetch(server.url + location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: secondBody,
    });
    expect(second.status).toBe(429);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(second.headers.get('retry-after')).toBe('60');
    expect(((await second.json()) as { title: string }).title).toBe('Too many renegotiations');
    // Read as the media side reads it: a line with leading space is still an ice-ufrag.
    const spaced = secondBody.replace(/^a=ice-ufrag/m, '  a=ice-ufrag');
    const third = await fetch(server.url + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' }, body: spaced });
    expect(third.status).toBe(429);
    // A PATCH that cannot be a restart (no credentials) is not counted.
    expect((await restart()).status).toBe(400);

    await sendMedia(publisher, 10);
    await eventually(() => (server!.manager.view(sessionId)?.counters.frames_received ?? 0) > 0, 5000, 'frames after the refused restart');
    expect((await fetch(server.url + location, { method: 'DELETE' })).status).toBe(200);
  });
});
