/**
 * A close requested while the DTLS handshake is under way: the session is released, its
 * transports closed, and werift's handshake retransmissions stop instead of running on for
 * half a minute (nothing is left that would keep the process alive).
 */
import type { RTCPeerConnection } from 'werift';
import { postOffer } from '../../client/signaling';
import { keepCandidatesOn, keepLoopbackCandidates } from '../../client/sdpCandidates';
import type { PeerSession } from '../../src/sessions/peerSession';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { eventually, finishTestServer, serverConnection, startTestServer, transportsClosed, type TestServer } from '../helpers/testServer';

let server: TestServer;
let offerer: RTCPeerConnection | null = null;

afterEach(async () => {
  await finishTestServer(server);
  if (offerer) await closeOfferer();
});

async function closeOfferer(): Promise<void> {
  await offerer!.close();
  offerer = null;
}

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of process.getActiveResourcesInfo()) counts[resource] = (counts[resource] ?? 0) + 1;
  return counts;
}

async function offerAndApplyAnswer(): Promise<string> {
  const options = {
    iceServers: [],
    additionalHostAddresses: ['127.0.0.1'],
    interfaceAddress: '127.0.0.1',
    bundlePolicy: 'max-bundle' as const,
  };
  const pc = createPeerConnection(options);
  offerer = pc;
  pc.addTransceiver('video', { direction: 'sendonly' });
  pc.createDataChannel('events');
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await postOffer(server.url, keepCandidatesOn(pc.localDescription!.sdp, '127.0.0.1'));
  await pc.setRemoteDescription({ type: 'answer', sdp: keepLoopbackCandidates(answer.sdp) });
  return answer.session_id;
}

/** Resolves once the server side's DTLS transport starts its handshake. */
function handshakeStarted(peer: PeerSession): Promise<void> {
  return new Promise((resolve) => {
    for (const transport of serverConnection(peer).dtlsTransports) {
      if (transport.state === 'connecting') return resolve();
      transport.onStateChange.subscribe((state) => {
        if (state === 'connecting') resolve();
      });
    }
  });
}

describe('close during the DTLS handshake', () => {
  it.each([
    ['peer.close()', (testServer: TestServer, id: string) => testServer.manager.get(id)!.close()],
    ['DELETE /sessions/<id>', (testServer: TestServer, id: string) => fetch(`${testServer.url}/sessions/${id}`, { method: 'DELETE' })],
  ])('%s releases the session, closes its transports and leaves no timer behind', async (_name, requestClose) => {
    server = await startTestServer({ mediaWorkers: 0 });
    const baseline = activeResources();
    const sessionId = await offerAndApplyAnswer();
    const peer = server.manager.get(sessionId)!;
    server.peers.push(peer);

    await handshakeStarted(peer);
    const dtlsStatesAtClose = serverConnection(peer).dtlsTransports.map((transport) => transport.state);
    await requestClose(server, sessionId);
    const summary = await peer.released;
    await closeOfferer();

    expect(dtlsStatesAtClose).toContain('connecting');
    expect(peer.view()).toMatchObject({ state: 'Released', reason: 'client_request', faults: [] });
    expect(summary).toMatchObject({ total_frames_received: 0, total_frames_processed: 0, total_frames_dropped: 0 });
    expect(server.manager.count).toBe(0);
    expect(transportsClosed(serverConnection(peer))).toBe(true);
    // Without patches/werift+0.25.2+015+dtls-handshake-close.patch the retransmission timers of
    // both sides run on for ~33 s.
    const grown = () =>
      (['Timeout', 'UDPWrap'] as const).filter((resource) => (activeResources()[resource] ?? 0) > (baseline[resource] ?? 0));
    await eventually(() => grown().length === 0, 3000, 'no timer or socket left').catch(() => {
      throw new Error(`still active after the close: ${grown().join(', ')}`);
    });
  });
});
