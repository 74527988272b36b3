/**
 * ICE_RESTART_WINDOW_MS: a WHIP publisher whose network goes away (every packet it sends is
 * lost, STUN included, as when a phone leaves Wi-Fi) for longer than the inactivity time, then
 * restarts ICE with PATCH. With the window, its session and tracks wait for it; without, the
 * tracks end by inactivity as before. Real werift publisher and server on loopback.
 */
import type { RTCPeerConnection } from 'werift';
import { eventually, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { applyAnswer, applyRestartAnswer, createPublisher, postWhip, restartIceOffer, sendMedia, type WhipPublisher } from '../helpers/whipPublisher';

const INACTIVITY_MS = 400;
let server: TestServer | undefined;
let publisher: WhipPublisher | undefined;

afterEach(async () => {
  await publisher?.pc.close();
  publisher = undefined;
  await finishTestServer(server);
  server = undefined;
});

type UdpSender = { send(data: Buffer, addr: unknown): Promise<void> };

/** Loses every datagram the peer sends (media, RTCP, STUN) until restore(): its network is gone. */
function cutNetwork(pc: RTCPeerConnection): { restore(): void } {
  const restores = pc.iceTransports.flatMap((ice) =>
    (ice.connection as unknown as { protocols: Array<{ transport: UdpSender }> }).protocols.map(({ transport }) => {
      const send = transport.send;
      transport.send = async () => {};
      return () => {
        transport.send = send;
      };
    }),
  );
  return { restore: () => restores.forEach((restore) => restore()) };
}

async function streamingPublisher(): Promise<{ sessionId: string; location: string }> {
  publisher = await createPublisher();
  const response = await postWhip(server!.url, publisher.offerSdp);
  expect(response.status).toBe(201);
  const location = response.headers.get('location') ?? '';
  const sessionId = location.slice('/whip/'.length);
  server!.peers.push(server!.manager.get(sessionId)!);
  await applyAnswer(publisher, await response.text());
  await sendMedia(publisher, 10);
  await eventually(() => (server!.manager.view(sessionId)?.counters.frames_received ?? 0) >= 5, 5000, 'frames before the outage');
  return { sessionId, location };
}

describe('ICE_RESTART_WINDOW_MS', () => {
  it('keeps the session and its track through an outage longer than the inactivity time, until the client restarts ICE', async () => {
    server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS, iceRestartWindowMs: 10_000 });
    const { sessionId, location } = await streamingPublisher();
    const framesBefore = server.manager.view(sessionId)!.counters.frames_received;

    const network = cutNetwork(publisher!.pc);
    void sendMedia(publisher!, 10); // sent into the void
    await new Promise((resolve) => setTimeout(resolve, INACTIVITY_MS * 4));
    expect(server.manager.view(sessionId)).toMatchObject({ state: 'Active', tracks: [{ status: 'live' }] });

    network.restore();
    const restarted = await fetch(server.url + location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: await restartIceOffer(publisher!),
    });
    expect(restarted.status).toBe(200);
    await applyRestartAnswer(publisher!, await restarted.text());
    const [ice] = publisher!.pc.iceTransports;
    await eventually(() => ice?.iceRestarts === 1 && ice.connection.nominated !== undefined, 10_000, 'the new ICE session');
    await sendMedia(publisher!, 10);
    await eventually(() => server!.manager.view(sessionId)!.counters.frames_received >= framesBefore + 5, 5000, 'frames after the restart');
    expect(server.manager.view(sessionId)).toMatchObject({ state: 'Active', tracks: [{ status: 'live' }] });

    const closed = (await (await fetch(server.url + location, { method: 'DELETE' })).json()) as { reason: string };
    expect(closed.reason).toBe('client_request');
  });

  it('without it (the default) the same outage ends the track by inactivity, and the session with it', async () => {
    server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS });
    const { sessionId } = await streamingPublisher();
    cutNetwork(publisher!.pc);
    await eventually(() => server!.manager.view(sessionId)?.state === 'Released', 5000, 'the session to end');
    expect(server.manager.view(sessionId)).toMatchObject({ reason: 'tracks_ended', tracks: [{ end_reason: 'inactivity' }] });
  });

  it('still ends a track that stops while its peer keeps talking (RTCP, STUN) at the inactivity time', async () => {
    // The longest window there is: a track held by it would outlive this test many times over.
    server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: INACTIVITY_MS, audioInactivityMs: INACTIVITY_MS, iceRestartWindowMs: 600_000 });
    const { sessionId } = await streamingPublisher();
    // One more frame, the last: the track's inactivity counts from its arrival, after this time.
    const lastFrameSentAfter = Date.now();
    await sendMedia(publisher!, 1);
    // The peer stops its video but its network works: werift's consent checks and RTCP go on.
    await eventually(() => server!.manager.view(sessionId)?.state === 'Released', 20_000, 'the session to end (not held by the 10-minute window)');
    const view = server.manager.view(sessionId)!;
    expect(view).toMatchObject({ reason: 'tracks_ended', tracks: [{ end_reason: 'inactivity' }] });
    // The server's own timeline: the track ended no sooner than the inactivity time after its last frame.
    const trackEnding = view.timeline.find((entry) => entry.state === 'TrackEnding')!;
    expect(trackEnding.at - lastFrameSentAfter).toBeGreaterThanOrEqual(INACTIVITY_MS);
  });
});
