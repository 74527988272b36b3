/**
 * A live session and datagrams from a stranger at its ICE port: an unencrypted DTLS alert
 * (close_notify, 15 bytes) from any address closed werift's DTLS transport, and the session
 * ended as if its peer had hung up; a STUN request naming the server's ufrag but signed with
 * another password was answered, and its USE-CANDIDATE could move the session's media to the
 * stranger. Both are now dropped (and counted): the session streams on and ends as its client asks.
 */
import dgram from 'node:dgram';
import { junkDatagram, prng } from '../helpers/junkDatagrams';
import { eventually, finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer;
let stranger: dgram.Socket | undefined;

afterEach(async () => {
  stranger?.close();
  stranger = undefined;
  await finishTestServer(server);
});

describe('datagrams from a stranger at a live session’s ICE port', () => {
  it('a forged DTLS alert and forged STUN checks neither end the session nor move its media', async () => {
    server = await startTestServer({ mediaWorkers: 0 });
    const { client, peer } = await server.connect({ audio: false });
    const connection = serverConnection(peer).iceTransports[0]!.connection;
    const pair = connection.nominated!;
    const [ufrag, port] = [connection.localUsername, pair.localCandidate.port];
    stranger = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => stranger!.bind(0, '127.0.0.1', resolve));
    const random = prng(7);
    const send = (datagram: Buffer) => new Promise<void>((resolve) => stranger!.send(datagram, port, '127.0.0.1', () => resolve()));
    for (let i = 0; i < 20; i++) {
      await send(junkDatagram('dtls_alert', random));
      await send(junkDatagram('stun_wrong_password', random, ufrag));
    }

    await client.sendVideoFrames(10, { intervalMs: 5 });
    await eventually(() => peer.view().counters.frames_received === 10, 3000, 'frames after the forged datagrams');
    expect(peer.state).toBe('Active');
    expect(connection.nominated?.remoteAddr).toEqual(pair.remoteAddr);
    expect(serverConnection(peer).dtlsTransports[0]!.state).toBe('connected');

    client.stopVideo();
    const closed = await client.waitForStreamClosed(5000);
    expect(closed).toMatchObject({ reason: 'tracks_ended', summary: { total_frames_received: 10 } });
  });
});
