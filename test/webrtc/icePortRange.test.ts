/**
 * ICE_PORT_RANGE: the server's ICE binds UDP ports of the range only, many sessions share it,
 * and a full range refuses a new session with 503 (and a log line) instead of answering with
 * no candidate, which werift does silently. Real werift clients on loopback; media workers on.
 */
import { loadConfig } from '../../src/config';
import { requireAiortc, runAiortc } from '../foreign/aiortcClient';
import { finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';
import { freeUdpRange } from '../helpers/udpPorts';

let server: TestServer | undefined;

afterEach(async () => {
  await finishTestServer(server);
  server = undefined;
});

const candidatePorts = (sdp: string): number[] => [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gm)].map((match) => Number(match[1]));

async function offer(url: string): Promise<Response> {
  const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':') + '\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n';
  return fetch(`${url}/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp }) });
}

describe('ICE_PORT_RANGE (patch 008 ice-port-range)', () => {
  it('sessions share a 10-port range, each answered on ports of it; once it is full an offer gets 503 and a log line; a freed port is used again', async () => {
    const range = await freeUdpRange(10);
    server = await startTestServer({ icePortRange: range });
    const sessions: string[] = [];
    const ports: number[] = [];
    const answerOnce = async () => {
      const response = await offer(server!.url);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { sdp: string; session_id: string };
      sessions.push(answer.session_id);
      return candidatePorts(answer.sdp);
    };
    // A session takes a port per local address ICE gathers on (here loopback and the machine's own).
    const first = await answerOnce();
    ports.push(...first);
    const fit = Math.floor(10 / first.length);
    for (let i = 1; i < fit; i++) ports.push(...(await answerOnce()));
    expect(ports.every((port) => port >= range[0] && port <= range[1])).toBe(true);
    expect(new Set(ports).size).toBe(ports.length);

    const refused = await offer(server.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { detail: string }).detail).toContain(`ICE_PORT_RANGE ${range[0]}-${range[1]} may be exhausted`);
    expect(server.logs.some((entry) => entry.message === 'Session refused: no ICE candidate to answer with')).toBe(true);
    expect(server.manager.count).toBe(fit);

    await fetch(`${server.url}/sessions/${sessions.shift()}`, { method: 'DELETE' });
    await answerOnce();
    for (const id of sessions) await fetch(`${server.url}/sessions/${id}`, { method: 'DELETE' });
  });

  it('concurrent offers share the range without a clash: as many sessions as it holds, the others 503, no media worker lost', async () => {
    const range = await freeUdpRange(20);
    server = await startTestServer({ icePortRange: range });
    // werift 0.25.2 probed a port with a throwaway socket and bound it later: two connections
    // set up at once could pick the same port, and the loser's EADDRINUSE crashed its thread.
    const answers = await Promise.all(Array.from({ length: 14 }, () => offer(server!.url)));
    const statuses = answers.map((response) => response.status);
    const sessions = await Promise.all(answers.filter((response) => response.ok).map(async (response) => ((await response.json()) as { session_id: string }).session_id));
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(sessions.length).toBeGreaterThanOrEqual(5);
    expect(server.manager.count).toBe(sessions.length);
    expect(server.logs.filter((entry) => /media worker|EADDRINUSE/i.test(`${entry.message} ${String(entry.error ?? '')}`)).map((entry) => entry.message)).toEqual([]);
    for (const id of sessions) await fetch(`${server.url}/sessions/${id}`, { method: 'DELETE' });
  });

  it('behind NAT, ICE_ANNOUNCED_ADDRESS is answered as a host candidate on a port of the range, the one a 1:1 port mapping forwards', async () => {
    const range = await freeUdpRange(4);
    const { iceAdditionalHostAddresses } = loadConfig({ ICE_ANNOUNCED_ADDRESS: '198.51.100.7', ICE_PORT_RANGE: range.join('-') }).ice;
    server = await startTestServer({ icePortRange: range, iceAdditionalHostAddresses });
    const response = await offer(server.url);
    expect(response.status).toBe(200);
    const { sdp, session_id } = (await response.json()) as { sdp: string; session_id: string };
    const announced = [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ 198\.51\.100\.7 (\d+) typ host/gm)].map((match) => Number(match[1]));
    expect(announced.length).toBeGreaterThan(0);
    for (const port of announced) expect(port >= range[0] && port <= range[1]).toBe(true);
    await fetch(`${server.url}/sessions/${session_id}`, { method: 'DELETE' });
  });

  it('a werift client connects and streams through a 4-port range', async () => {
    const range = await freeUdpRange(4);
    server = await startTestServer({ icePortRange: range, videoInactivityMs: 60_000, audioInactivityMs: 60_000 });
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 5000);
    await client.sendVideoFrames(10, { intervalMs: 10 });
    const deleted = (await (await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' })).json()) as { summary: { total_frames_received: number } };
    expect(deleted.summary.total_frames_received).toBeGreaterThan(0);
  });

  it('an aiortc client connects through the range, streams, and gets stream_closed', async () => {
    requireAiortc();
    const range = await freeUdpRange(4);
    // On the main thread: the test reads the ports the server's ICE bound.
    server = await startTestServer({ icePortRange: range, mediaWorkers: 0 });
    const ports: number[] = [];
    const run = await runAiortc({
      url: server.url,
      mediaSeconds: 1,
      waitSeconds: 10,
      end: 'delete',
      onLine: (line) => {
        if (line.event !== 'connected') return;
        const peer = server!.manager.get(line.session_id);
        if (!peer) return;
        server!.peers.push(peer);
        for (const transport of serverConnection(peer).iceTransports) ports.push(...transport.connection.localCandidates.map((candidate) => candidate.port));
      },
    });
    const [session] = run.sessions;
    expect(session?.done).toMatchObject({ ok: true });
    expect(session?.streamClosed).toMatchObject({ reason: 'client_request' });
    expect((session?.streamClosed?.summary as { total_frames_received?: number } | undefined)?.total_frames_received).toBeGreaterThan(0);
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.every((port) => port >= range[0] && port <= range[1])).toBe(true);
  }, 30_000);
});
