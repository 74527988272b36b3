/**
 * werift's SCTP receiver (patches/werift+0.25.2+009+sctp-receive-window.patch) against a client that ignores the receive
 * window the server advertises: what the server buffers for messages it cannot deliver yet stays
 * within that window, however much the client pushes.
 */
import { eventually, finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

jest.setTimeout(60_000);

let server: TestServer | null = null;
afterEach(async () => {
  await finishTestServer(server);
  server = null;
});

/** The parts of werift's SCTP association this test reads or bends. */
interface Association {
  advertisedRwnd: number;
  peerAdvertisedRwnd: number;
  inboundStreams: Record<string, { reassembly: Array<{ userData: Buffer }> }>;
  send(streamId: number, ppId: number, data: Buffer, options?: { ordered: boolean }): Promise<void>;
  sendChunk(chunk: { type: number; userData?: Buffer }): Promise<void>;
}

const WINDOW = 1024 * 1024;
const WEBRTC_BINARY = 53;

it('a client that ignores the receive window cannot make the server buffer more than the window (patch 009 sctp-receive-window)', async () => {
  server = await startTestServer({ mediaWorkers: 0, videoInactivityMs: 60_000, audioInactivityMs: 60_000 });
  const { client, peer } = await server.connect({ audio: false });
  const ours = serverConnection(peer).sctpTransport!.sctp as unknown as Association;
  const theirs = client.peerConnection.sctpTransport!.sctp as unknown as Association;
  expect(ours.advertisedRwnd).toBe(WINDOW);

  // The client believes the server's window is endless, and counts what it sends.
  Object.defineProperty(theirs, 'peerAdvertisedRwnd', { get: () => 1 << 30, set: () => undefined });
  let sentBytes = 0;
  const sendChunk = theirs.sendChunk.bind(theirs);
  theirs.sendChunk = (chunk) => {
    if (chunk.type === 0) sentBytes += chunk.userData?.length ?? 0;
    return sendChunk(chunk);
  };
  const buffered = () => Object.values(ours.inboundStreams).reduce((sum, stream) => sum + stream.reassembly.reduce((bytes, chunk) => bytes + chunk.userData.length, 0), 0);
  let mostBuffered = 0;
  const watch = setInterval(() => (mostBuffered = Math.max(mostBuffered, buffered())), 5);

  // One 8 MB message on a stream of its own: werift keeps its fragments until the last one comes.
  void theirs.send(1001, WEBRTC_BINARY, Buffer.alloc(8 * WINDOW)).catch(() => undefined);
  // Until the client has pushed four times the window, or has been held back for 10 s.
  await eventually(() => sentBytes >= 4 * WINDOW, 10_000, 'client pushing').catch(() => undefined);
  clearInterval(watch);
  mostBuffered = Math.max(mostBuffered, buffered());

  expect(sentBytes).toBeGreaterThan(WINDOW / 2);
  expect(mostBuffered).toBeLessThanOrEqual(WINDOW);
  await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
  await peer.released;
});
