/**
 * The server makes werift's one certificate per process before it listens, and every session
 * presents that certificate: sessions one after another and side by side still connect.
 */
import { RTCDtlsTransport } from 'werift';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

function fingerprints(sdp: string): string[] {
  return [...new Set([...sdp.matchAll(/^a=fingerprint:(\S+ \S+)/gm)].map((match) => match[1]!.toUpperCase()))];
}

describe('the DTLS certificate', () => {
  let server: TestServer;
  afterEach(async () => {
    await finishTestServer(server);
  });

  it('exists once the server listens, and every session, sequential or concurrent, presents it and connects', async () => {
    expect(RTCDtlsTransport.localCertificate).toBeUndefined();
    server = await startTestServer();
    const certificate = RTCDtlsTransport.localCertificate;
    expect(certificate).toBeDefined();
    const expected = certificate!.getFingerprints().map(({ algorithm, value }) => `${algorithm} ${value}`.toUpperCase());

    const first = await server.connect();
    const concurrent = await Promise.all([server.connect(), server.connect()]);
    for (const { client } of [first, ...concurrent]) {
      expect(fingerprints(client.peerConnection.remoteDescription!.sdp)).toEqual(expected);
      client.sendMessage({ type: 'end_stream' });
      expect((await client.waitForStreamClosed(5000)).reason).toBe('client_request');
    }
    expect(RTCDtlsTransport.localCertificate).toBe(certificate);
  });
});
