/**
 * patches/werift+0.25.2+015+dtls-handshake-close.patch: closing a DTLS socket, or stopping its
 * transport (what pc.close() does), ends the retransmissions of a handshake under way at once,
 * instead of letting them run on for ~33 s into a closed connection.
 */
import { DtlsClient, RTCDtlsTransport, type Transport } from 'werift';
import { keepCandidatesOn } from '../../client/sdpCandidates';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { LOOPBACK } from '../helpers/loopbackPeers';
import { eventually } from '../helpers/testServer';

function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** A transport nobody answers on: what is sent is kept, nothing ever arrives. */
function silentTransport(sent: Buffer[]): Transport {
  return {
    type: 'udp',
    address: {} as never,
    onData: () => {},
    send: async (data: Buffer) => {
      sent.push(data);
    },
    close: () => {},
    closed: false,
  } as unknown as Transport;
}

describe('patch 015 dtls-handshake-close', () => {
  it('DtlsSocket.close() during the handshake ends its retransmissions at once: no timer left, nothing sent again', async () => {
    const certificate = await RTCDtlsTransport.SetupCertificate();
    const sent: Buffer[] = [];
    const before = timers();
    const client = new DtlsClient({
      cert: certificate.certPem,
      key: certificate.privateKey,
      signatureHash: certificate.signatureHash,
      transport: silentTransport(sent),
      extendedMasterSecret: true,
    });
    const connecting = client.connect().then(
      () => 'ended',
      (error: unknown) => error,
    );
    await eventually(() => sent.length > 0, 3000, 'the ClientHello');
    client.close();
    await eventually(() => timers() <= before, 3000, 'no retransmission timer left');
    expect(await connecting).toBe('ended');
    expect(sent).toHaveLength(1);
  });

  it('pc.close() ends a handshake that cannot finish (both sides DTLS clients): no timer left', async () => {
    const before = timers();
    const offerer = createPeerConnection(LOOPBACK);
    const answerer = createPeerConnection({ ...LOOPBACK, bundlePolicy: 'max-compat' });
    offerer.addTransceiver('video', { direction: 'sendonly' });
    await offerer.setLocalDescription(await offerer.createOffer());
    await answerer.setRemoteDescription({ type: 'offer', sdp: keepCandidatesOn(offerer.localDescription!.sdp, '127.0.0.1') });
    await answerer.setLocalDescription(await answerer.createAnswer());
    // The answerer answers a=setup:active (a DTLS client); telling the offerer "passive" makes it
    // a DTLS client too, so each sends ClientHellos that the other never answers.
    const answer = keepCandidatesOn(answerer.localDescription!.sdp, '127.0.0.1').replace(/a=setup:active/g, 'a=setup:passive');
    await offerer.setRemoteDescription({ type: 'answer', sdp: answer });
    const handshaking = (pc: typeof offerer) => pc.dtlsTransports.some((transport) => transport.state === 'connecting');
    await eventually(() => handshaking(offerer) && handshaking(answerer), 5000, 'both handshakes under way');

    await Promise.all([offerer.close(), answerer.close()]);
    await eventually(() => timers() <= before, 3000, 'no retransmission timer left');
  });
});
