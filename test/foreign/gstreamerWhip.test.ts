import { eventually, expectNothingLeft, startTestServer, type LogEntry, type TestServer } from '../helpers/testServer';
import { summaryProblems } from '../helpers/wireContract';
import { createNetworkNamespace, type NetworkNamespace } from './networkNamespace';
import { buildGupnpIgdStub, requireWhipClient, WhipClientProcess } from './whipClientProcess';

/**
 * The server against GStreamer's WHIP client (Debian's simple-whip-client: webrtcbin, libnice,
 * OpenSSL DTLS), a WHIP stack this repo did not write. It runs in a network namespace joined to
 * the host by a veth pair (it never uses loopback), and the server's HTTP and ICE are bound to
 * the host side of that pair only: no traffic leaves the machine.
 */

const FRAMES = 30; // about a second of its 30 fps test pattern
const AUDIO_FRAMES = 25; // half a second of 20 ms Opus packets

let namespace: NetworkNamespace | undefined;
let stub: { dir: string; close(): void } | undefined;
let server: TestServer | undefined;
const clients: WhipClientProcess[] = [];

beforeAll(async () => {
  // Fails (not skips) every test here, naming what is missing: whip-client, gcc, root, iproute2.
  requireWhipClient();
  stub = buildGupnpIgdStub();
  namespace = createNetworkNamespace();
  const address = namespace.hostAddress;
  server = await startTestServer({ host: address, iceInterfaceAddress: address, iceAdditionalHostAddresses: [] });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  if (!server) return; // beforeAll failed, and said why
  // A client killed before its DELETE (a failed test) leaves its session live: end it here as
  // DELETE would have, tracked or not (one may have failed before it was tracked).
  const live = server.manager.live();
  server.peers.push(...live.filter((peer) => !server!.peers.includes(peer)));
  await Promise.all(live.map((peer) => server!.manager.end(peer.id)));
  await expectNothingLeft(server);
  server.peers.length = 0;
});

afterAll(async () => {
  try {
    await server?.close();
  } finally {
    namespace?.close();
    stub?.close();
  }
});

/** Starts whip-client and returns it with its session, once the server tracks that session. */
async function startClient(noTrickle: boolean) {
  const client = new WhipClientProcess({ url: `${server!.url}/whip`, namespace: namespace!, libraryDir: stub!.dir, noTrickle });
  clients.push(client);
  const sessionId = await client.sessionId();
  const peer = server!.manager.get(sessionId);
  if (!peer) throw new Error(`whip-client's session ${sessionId} is not tracked by the server`);
  server!.peers.push(peer);
  return { client, sessionId, peer };
}

/** eventually(), failing with whip-client's output too. */
async function eventuallyFrom(client: WhipClientProcess, probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  try {
    await eventually(probe, timeoutMs, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}; whip-client's output:\n${client.output()}`);
  }
}

/** Video (VP8, the only video codec it offers here) and Opus audio counted by the server. */
async function expectMedia(client: WhipClientProcess, sessionId: string): Promise<void> {
  const counters = () => server!.manager.view(sessionId)?.counters;
  await eventuallyFrom(client, () => (counters()?.frames_received ?? 0) >= FRAMES, 10_000, `${FRAMES} video frames from whip-client`);
  await eventuallyFrom(client, () => (counters()?.audio_frames ?? 0) >= AUDIO_FRAMES, 5000, `${AUDIO_FRAMES} Opus frames from whip-client`);
}

/** SIGINT: whip-client DELETEs its session (200) and exits 0; the session ends client_request. */
async function expectInterruptEndsSession(client: WhipClientProcess, sessionId: string): Promise<void> {
  const before = server!.manager.view(sessionId)!.counters;
  expect(await client.interrupt()).toEqual({ code: 0, signal: null });
  // It warns on any status but 200 for its DELETE (" [<status>] <reason>"), or 200/204 for a PATCH.
  expect(client.lines.filter((line) => /\[(WARN|ERR)\]/.test(line))).toEqual([]);
  await server!.manager.get(sessionId)?.released;
  const response = await fetch(`${server!.url}/sessions/${sessionId}`);
  expect(response.status).toBe(200);
  const record = (await response.json()) as { state: string; reason: string; tracks: Array<{ kind: string; status: string }>; summary: Record<string, unknown> };
  expect({ state: record.state, reason: record.reason }).toEqual({ state: 'Released', reason: 'client_request' });
  expect(record.tracks.map(({ kind, status }) => ({ kind, status })).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
    { kind: 'audio', status: 'stopped' },
    { kind: 'video', status: 'stopped' },
  ]);
  expect(summaryProblems(record.summary)).toEqual([]);
  expect(record.summary.total_frames_received).toBeGreaterThanOrEqual(before.frames_received);
  expect(record.summary.audio_frames).toBeGreaterThanOrEqual(before.audio_frames);
  expect(server!.logs.some((entry) => entry.message === 'session.closed' && entry.session_id === sessionId && entry.reason === 'client_request')).toBe(true);
}

/** Requests about the session the server refused (it logs each 4xx as 'Request refused'). */
function refusedRequests(sessionId: string): LogEntry[] {
  return server!.logs.filter((entry) => entry.message === 'Request refused' && String(entry.path).includes(sessionId));
}

const trickles = (sessionId: string) => server!.logs.filter((entry) => entry.message === 'Trickled ICE candidates' && entry.session_id === sessionId);

/** The candidates whip-client logged as sent (trickled) or added to its offer (-n), by whether the server uses them. */
function clientCandidates(client: WhipClientProcess, verb: 'Sending candidates' | 'Adding candidate to SDP') {
  const candidates = client.lines.flatMap((line) => {
    const match = new RegExp(`${verb}: (candidate:.*)$`).exec(line);
    return match ? [match[1]!] : [];
  });
  const usable = candidates.filter((candidate) => / udp \d+ \d+\.\d+\.\d+\.\d+ \d+ typ /i.test(candidate));
  return { usable, other: candidates.length - usable.length, end: client.lines.some((line) => line.endsWith(`${verb}: end-of-candidates`)) };
}

describe("GStreamer's whip-client (simple-whip-client) against the server", () => {
  it('trickle ICE (default): its PATCHes with If-Match are accepted (204), VP8 and Opus arrive, SIGINT ends the session with client_request', async () => {
    const { client, sessionId, peer } = await startClient(false);
    // Its candidates come in PATCHes (batched every 100 ms), the last with a=end-of-candidates.
    await eventuallyFrom(client, () => trickles(sessionId).some((entry) => entry.end === true), 10_000, 'a PATCH with a=end-of-candidates');
    await expectMedia(client, sessionId);
    expect(peer.state).toBe('Active');

    const sent = clientCandidates(client, 'Sending candidates');
    expect(sent.end).toBe(true);
    expect(sent.usable.length).toBeGreaterThan(0);
    expect(sent.usable.every((candidate) => candidate.includes(` ${namespace!.clientAddress} `))).toBe(true);
    // UDP over IPv4 is added, the rest (its TCP candidates, IPv6 link-local ones) discarded, nothing refused.
    const entries = trickles(sessionId);
    const total = (field: 'added' | 'discarded') => entries.reduce((sum, entry) => sum + Number(entry[field]), 0);
    expect({ added: total('added'), discarded: total('discarded') }).toEqual({ added: sent.usable.length, discarded: sent.other });
    expect(refusedRequests(sessionId)).toEqual([]);

    await expectInterruptEndsSession(client, sessionId);
    expect(refusedRequests(sessionId)).toEqual([]);
  }, 30_000);

  it('candidates in the offer (-n): no PATCH, VP8 and Opus arrive, SIGINT ends the session with client_request', async () => {
    const { client, sessionId } = await startClient(true);
    await expectMedia(client, sessionId);

    const offered = clientCandidates(client, 'Adding candidate to SDP');
    expect(offered.end).toBe(true);
    expect(offered.usable.length).toBeGreaterThan(0);
    expect(client.lines.some((line) => line.includes('Sending candidates'))).toBe(false);
    expect(trickles(sessionId)).toEqual([]);

    await expectInterruptEndsSession(client, sessionId);
    expect(refusedRequests(sessionId)).toEqual([]);
  }, 30_000);
});
