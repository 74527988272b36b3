/**
 * An error the media side raises is recognised on the main thread the same way wherever the
 * connection lives: here, or in a media worker, from which it arrives as a plain Error that kept
 * only its name and message (the class does not cross a thread, so `instanceof` would miss it).
 * Real server on loopback, a real werift client, a real media worker.
 */
import { IceFragmentError, IcePreconditionError, isError } from '../../src/errors';
import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer;

afterEach(async () => {
  await finishTestServer(server);
});

/** What a call rejected with (or a failure of the test if it resolved). */
async function rejectionOf(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    () => new Error('the call resolved'),
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error) || outcome.message === 'the call resolved') throw new Error(`expected a rejection, got ${String(outcome)}`);
  return outcome;
}

describe.each([
  ['on the main thread', 0],
  ['in a media worker', 1],
])('an error raised %s', (where, mediaWorkers) => {
  it('is recognised by isError on the main thread, like one raised there', async () => {
    server = await startTestServer({ mediaWorkers });
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    expect(peer.location).toBe(mediaWorkers === 0 ? 'main' : 'media-1');

    // Raised by the media side (iceUpdates, where the connection lives), after the fragment parsed.
    const stale = await rejectionOf(peer.updateIce('a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n', '"not-the-current-ice-session"'));
    expect(isError(stale, 'IcePreconditionError')).toBe(true);
    expect(isError(stale, 'IceFragmentError')).toBe(false);
    expect(stale.message).toMatch(/does not name the current ICE session/);
    // The class itself survives only on its own thread: this is why nothing tests it.
    expect(stale instanceof IcePreconditionError).toBe(where === 'on the main thread');

    const unparsable = await rejectionOf(peer.updateIce('a=mid:0\r\nhello', '*'));
    expect(isError(unparsable, 'IceFragmentError')).toBe(true);
    expect(isError(unparsable, 'IcePreconditionError')).toBe(false);
    expect(unparsable.message).toMatch(/line 2 is not an SDP line/);

    // And the same test knows the errors raised here.
    expect(isError(new IcePreconditionError('here'), 'IcePreconditionError')).toBe(true);
    expect(isError(new IceFragmentError('here'), 'IceFragmentError')).toBe(true);
    expect(isError(new Error('here'), 'IceFragmentError')).toBe(false);
    expect(isError('IceFragmentError', 'IceFragmentError')).toBe(false);

    await peer.close();
  });
});
