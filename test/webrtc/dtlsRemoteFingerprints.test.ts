/**
 * patches/werift+0.25.2+018+dtls-remote-fingerprints.patch: werift's DTLS transport kept the
 * union of the fingerprints of every remote description applied to it, so a certificate that only
 * a superseded description named still completed the handshake. Now the description being
 * applied names the certificates the peer may present (RFC 8122 section 5).
 */
import type { RTCDtlsFingerprint, RTCDtlsTransport, RTCPeerConnection } from 'werift';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { eventually } from '../helpers/testServer';
import { createPublisher, newCertificate, PUBLISHER_OPTIONS } from '../helpers/whipPublisher';
import { keepLoopbackCandidates } from '../../client/sdpCandidates';

/** The fingerprints a transport verifies the peer's certificate against (a private field of werift's: what the patch changes). */
const remoteFingerprints = (transport: RTCDtlsTransport): RTCDtlsFingerprint[] =>
  (transport as unknown as { remoteParameters?: { fingerprints: RTCDtlsFingerprint[] } }).remoteParameters?.fingerprints ?? [];

describe('patch 018 dtls-remote-fingerprints', () => {
  const pcs: RTCPeerConnection[] = [];
  afterEach(async () => {
    await Promise.all(pcs.splice(0).map((pc) => pc.close()));
  });

  /** An answerer that takes `offers` in turn and answers each; returns it with its last answer. */
  async function answerer(offers: string[]): Promise<{ pc: RTCPeerConnection; answer: string }> {
    const pc = createPeerConnection(PUBLISHER_OPTIONS);
    pcs.push(pc);
    for (const sdp of offers) {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
    }
    return { pc, answer: pc.localDescription!.sdp };
  }

  it('a renegotiated offer with another fingerprint replaces the first: the certificate it superseded no longer completes the handshake', async () => {
    const client = await createPublisher();
    pcs.push(client.pc);
    const other = (await newCertificate()).getFingerprints()[0]!;
    // The client's own offer again (same ICE session), naming another certificate.
    const superseding = client.offerSdp.replace(/^a=fingerprint:.*$/gm, `a=fingerprint:${other.algorithm} ${other.value}`);
    const { pc: server, answer } = await answerer([client.offerSdp, superseding]);
    const transport = server.dtlsTransports.find((candidate) => remoteFingerprints(candidate).length > 0)!;
    expect(remoteFingerprints(transport).map(({ value }) => value.toLowerCase())).toEqual([other.value.toLowerCase()]);

    await client.pc.setRemoteDescription({ type: 'answer', sdp: keepLoopbackCandidates(answer) });
    // ICE connects; the handshake with the superseded certificate fails on the server's side.
    await eventually(() => transport.state === 'failed', 10_000, 'the server to refuse the superseded certificate');
    expect(server.connectionState).not.toBe('connected');
  });

  it('a renegotiated offer with the same fingerprint, or without one, keeps it', async () => {
    const client = await createPublisher();
    pcs.push(client.pc);
    const withoutFingerprint = client.offerSdp.replace(/^a=fingerprint:.*\r?\n/gm, '');
    const { pc: server } = await answerer([client.offerSdp, client.offerSdp, withoutFingerprint]);
    const transport = server.dtlsTransports.find((candidate) => remoteFingerprints(candidate).length > 0)!;
    const own = client.offerSdp.match(/^a=fingerprint:(\S+) (\S+)/m)!;
    expect(remoteFingerprints(transport).map(({ algorithm, value }) => `${algorithm} ${value}`)).toEqual([`${own[1]} ${own[2]}`]);
  });
});
