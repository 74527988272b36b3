/**
 * The server answers an actpass offer `a=setup:passive` (the client leads the DTLS handshake),
 * and connections still come up with werift and aiortc clients.
 */
import { RTCDtlsTransport, type RTCPeerConnection } from 'werift';
import type { PeerSession } from '../../src/sessions/peerSession';
import { answerAsDtlsServer, keepsEarlyDtlsRecords, roleAnswering } from '../../src/webrtc/dtlsRole';
import { runAiortc } from '../foreign/aiortcClient';
import { closePeers, connected, negotiatePeers, setupAttributes } from '../helpers/loopbackPeers';
import { finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

describe('roleAnswering', () => {
  it('takes the server role for actpass and active offers, the client role for a passive one', () => {
    expect(roleAnswering('auto')).toBe('server');
    expect(roleAnswering('client')).toBe('server');
    expect(roleAnswering('server')).toBe('client');
    expect(roleAnswering(undefined)).toBe('server');
  });
});

describe('answerAsDtlsServer between two werift peers', () => {
  let peers: RTCPeerConnection[] = [];
  afterEach(async () => {
    await closePeers(...peers);
    peers = [];
  });

  it('makes werift answer an actpass offer with a=setup:passive, and the peers connect with the offerer as DTLS client', async () => {
    const { offerer, answerer } = await negotiatePeers({ beforeAnswer: answerAsDtlsServer });
    peers = [offerer, answerer];
    expect(setupAttributes(offerer.localDescription!.sdp)).toEqual(['actpass', 'actpass']);
    expect(setupAttributes(answerer.localDescription!.sdp)).toEqual(['passive', 'passive']);
    await Promise.all([connected(offerer), connected(answerer)]);
    expect(offerer.dtlsTransports.map((transport) => transport.role)).toEqual(['client']);
    expect(answerer.dtlsTransports.map((transport) => transport.role)).toEqual(['server']);
  });

  it('leaves werift’s own answer (a=setup:active) untouched without it', async () => {
    const { offerer, answerer } = await negotiatePeers();
    peers = [offerer, answerer];
    expect(setupAttributes(answerer.localDescription!.sdp)).toEqual(['active', 'active']);
  });

  it('keeps a role already settled (a renegotiation)', async () => {
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        for (const transport of pc.dtlsTransports) transport.role = 'client';
        answerAsDtlsServer(pc);
      },
    });
    peers = [offerer, answerer];
    expect(setupAttributes(answerer.localDescription!.sdp)).toEqual(['active', 'active']);
  });

  it('leaves the answer to werift when werift drops DTLS records that arrive early (an unpatched install)', async () => {
    const prototype = RTCDtlsTransport.prototype as unknown as Record<string, unknown>;
    const take = prototype.takeEarlyHandshakeRecords;
    expect(keepsEarlyDtlsRecords()).toBe(true);
    delete prototype.takeEarlyHandshakeRecords;
    try {
      expect(keepsEarlyDtlsRecords()).toBe(false);
      const { offerer, answerer } = await negotiatePeers({
        beforeAnswer: (pc) => {
          answerAsDtlsServer(pc);
          // Answered, nothing more is wanted of these peers: keep them from starting DTLS
          // without the method this test took away.
          prototype.takeEarlyHandshakeRecords = take;
        },
      });
      peers = [offerer, answerer];
      expect(setupAttributes(answerer.localDescription!.sdp)).toEqual(['active', 'active']);
    } finally {
      prototype.takeEarlyHandshakeRecords = take;
    }
  });
});

describe('the server answers a=setup:passive', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: 300, audioInactivityMs: 300 });
  });
  afterEach(async () => {
    await finishTestServer(server);
  });

  it('to the werift client, which then leads the handshake; media flows and the session ends cleanly', async () => {
    const { client, peer } = await server.connect();
    expect(setupAttributes(client.peerConnection.remoteDescription!.sdp)).toEqual(['passive', 'passive', 'passive']);
    expect(serverConnection(peer).dtlsTransports.map((transport) => transport.role)).toEqual(['server']);
    expect(client.peerConnection.dtlsTransports.filter((transport) => transport.state === 'connected').map((t) => t.role)).toEqual([
      'client',
    ]);
    await Promise.all([client.sendVideoFrames(10, { intervalMs: 5 }), client.sendAudioFrames(10, { intervalMs: 5 })]);
    client.sendMessage({ type: 'end_stream' });
    const closed = await client.waitForStreamClosed(5000);
    expect(closed.reason).toBe('client_request');
    expect(closed.summary.total_frames_received).toBeGreaterThan(0);
  });

  it('to an aiortc client, which connects, streams and ends with an RTCP BYE', async () => {
    const serverSides: PeerSession[] = [];
    const run = await runAiortc({
      url: server.url,
      sessions: 1,
      mediaSeconds: 1,
      end: 'bye',
      onLine: (line) => {
        if (line.event !== 'connected') return;
        const peer = server.manager.get(line.session_id);
        if (peer) serverSides.push(peer);
      },
    });
    server.peers.push(...serverSides);
    expect({ exit: run.exitCode, errors: run.sessions[0]?.done?.errors, stderr: run.exitCode === 0 ? '' : run.stderr }).toEqual({
      exit: 0,
      errors: [],
      stderr: '',
    });
    const [peer] = serverSides;
    expect(setupAttributes(serverConnection(peer!).localDescription!.sdp).every((setup) => setup === 'passive')).toBe(true);
    expect(serverConnection(peer!).dtlsTransports.map((transport) => transport.role)).toEqual(['server']);
    expect(run.sessions[0]!.streamClosed?.reason).toBe('tracks_ended');
  });
});
