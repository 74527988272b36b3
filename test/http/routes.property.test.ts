/**
 * Random bodies, content types and SDP mutations thrown at every route of the real server:
 * only 2xx/4xx answers, problem+json for every 4xx, the server stays up, and no session is
 * left behind once the connect timeout has released the offers that happened to be valid.
 */
import fc from 'fast-check';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { eventually, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer;
let validSdp: string;

beforeAll(async () => {
  server = await startTestServer({
    connectTimeout: 300,
    maxBodyBytes: 16 * 1024,
    videoInactivityMs: 300,
    audioInactivityMs: 300,
  });
  const options = { iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1', bundlePolicy: 'max-bundle' as const };
  const pc = createPeerConnection(options);
  pc.addTransceiver('video', { direction: 'sendonly' });
  pc.addTransceiver('audio', { direction: 'sendonly' });
  pc.createDataChannel('events');
  await pc.setLocalDescription(await pc.createOffer());
  // Without candidates no session created from it can ever connect: the connect timeout ends them all.
  validSdp = pc.localDescription!.sdp.replace(/^a=candidate:.*\r\n/gm, '');
  await pc.close();
});

afterAll(async () => {
  await server.close();
});

const SESSION_ID = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';

const routes = fc.constantFrom(
  ['POST', '/offer'],
  ['POST', '/whip'],
  ['POST', `/sessions/${SESSION_ID}/offer`],
  ['GET', `/sessions/${SESSION_ID}`],
  ['DELETE', `/sessions/${SESSION_ID}`],
  ['GET', '/sessions/not-a-uuid'],
  ['PATCH', `/whip/${SESSION_ID}`],
  ['DELETE', `/whip/${SESSION_ID}`],
  ['PUT', '/offer'],
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/sdp',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  undefined,
);

/** The valid offer with random lines removed, duplicated, garbled or truncated. */
function mutatedSdp(minMutations = 1): fc.Arbitrary<string> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('garble' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('numbers' as const), at: fc.nat(), value: fc.integer({ min: -1, max: 70000 }) }),
  );
  return fc.array(mutation, { minLength: minMutations, maxLength: 4 }).map((mutations) => {
    let lines = validSdp.split('\r\n');
    for (const m of mutations) {
      const i = m.at % Math.max(1, lines.length);
      if (m.kind === 'drop') lines.splice(i, 1);
      else if (m.kind === 'duplicate') lines.splice(i, 0, lines[i] ?? '');
      else if (m.kind === 'garble') lines[i] = m.text;
      else if (m.kind === 'truncate') lines = lines.slice(0, i);
      else lines[i] = (lines[i] ?? '').replace(/\d+/, String(m.value));
    }
    return lines.join('\r\n');
  });
}

const bodies = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  mutatedSdp(),
  mutatedSdp().map((sdp) => JSON.stringify({ type: 'offer', sdp })),
  fc.record({ type: fc.constantFrom('offer', 'answer', 'pranswer', 42), sdp: fc.oneof(fc.string(), mutatedSdp()) }).map((body) =>
    JSON.stringify(body),
  ),
  fc.constant('x'.repeat(20 * 1024)),
);

interface RandomRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

const anyRequest: fc.Arbitrary<RandomRequest> = fc
  .tuple(routes, contentTypes, bodies)
  .map(([[method, path], contentType, body]) => ({ method: method!, path: path!, contentType, body }));

/** Well-formed offers with few or no mutations, so the success path is exercised too. */
const offerRequest: fc.Arbitrary<RandomRequest> = fc.oneof(
  mutatedSdp(0).map((sdp) => ({ method: 'POST', path: '/offer', contentType: 'application/json', body: JSON.stringify({ type: 'offer', sdp }) })),
  mutatedSdp(0).map((sdp) => ({ method: 'POST', path: '/whip', contentType: 'application/sdp', body: sdp })),
);

describe('routes under random input', () => {
  it('answer only 2xx/4xx, with problem+json for errors, and never leak a session', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: anyRequest, weight: 3 }, { arbitrary: offerRequest, weight: 1 }), async ({ method, path, contentType, body }) => {
        const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
        const response = await fetch(server.url + path, {
          method,
          headers,
          body: method === 'GET' || method === 'DELETE' ? undefined : body,
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
        if (response.status >= 400) {
          expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(JSON.parse(text)).toMatchObject({ status: response.status, detail: expect.any(String) });
        }
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    if (process.env.TEST_LOGS === '1') console.log(Object.fromEntries(statuses));
    // The run must have reached the success path too, not only the input checks.
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
    // Offers that stayed valid created sessions that never connect: the connect timeout releases them.
    await eventually(() => server.manager.count === 0, 10_000, 'every session released').catch((error: Error) => {
      const left = server.manager.live().map((peer) => ({ state: peer.state, connection: peer.connectionState }));
      throw new Error(`${error.message}; left: ${JSON.stringify(left)}`);
    });
  });
});
