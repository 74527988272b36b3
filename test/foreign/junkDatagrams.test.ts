/**
 * A live session under a flood of junk datagrams at its ICE port (issue 23, finding 1 and the
 * STUN/RTCP floods): a foreign client (aiortc) streams to a server whose connections live in a
 * media worker, while another socket sends thousands of datagrams of every hostile shape (see
 * test/helpers/junkDatagrams.ts) at the port its answer names, from the moment the answer is
 * out (ICE and DTLS still connecting) until the session has ended. The session must end as
 * usual with its summary, having counted frames, and the worker must not die.
 */
import { expectNothingLeft, messages, startTestServer, type TestServer } from '../helpers/testServer';
import { JUNK_KINDS, sdpIcePorts, sprayJunk, type Spray } from '../helpers/junkDatagrams';
import { requireAiortc, runAiortc } from './aiortcClient';

let server: TestServer | undefined;
let spray: Spray | undefined;

afterEach(async () => {
  await spray?.stop();
  spray = undefined;
  if (server) await expectNothingLeft(server);
  await server?.close();
  server = undefined;
});

/** input_refused_total by resource, as /metrics shows it. */
async function refusedTotals(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const totals: Record<string, number> = {};
  for (const match of text.matchAll(/^input_refused_total\{resource="([a-z_]+)"\} (\d+)/gm)) totals[match[1]!] = Number(match[2]);
  return totals;
}

describe('junk datagrams at a live session’s ICE port', () => {
  it('a streaming aiortc session survives thousands of them while connecting and streaming, and ends with its summary', async () => {
    requireAiortc();
    server = await startTestServer({ mediaWorkers: 1 });
    const live = server;
    let sprayStarted: Promise<Spray> | undefined;
    const run = await runAiortc({
      url: live.url,
      mediaSeconds: 3,
      waitSeconds: 10,
      onLine: (line) => {
        if (line.event === 'answer') {
          // The answer is out, the client has not applied it yet: ICE and DTLS are still to come.
          const { ports, ufrag } = sdpIcePorts(line.sdp);
          if (ports.length === 0) throw new Error(`no host candidate in the answer:\n${line.sdp}`);
          sprayStarted = sprayJunk(ports, { seed: 23, perTick: 22, intervalMs: 5, serverUfrag: ufrag });
        }
        if (line.event === 'connected') {
          const peer = live.manager.get(line.session_id);
          if (peer) live.peers.push(peer);
        }
      },
    });
    spray = await sprayStarted;
    expect(spray).toBeDefined();
    const sent = spray!.total;
    await spray!.stop();

    const [session] = run.sessions;
    expect({ exitCode: run.exitCode, errors: session?.done?.errors }).toEqual({ exitCode: 0, errors: [] });
    expect(session!.streamClosed).toMatchObject({ reason: 'tracks_ended' });
    expect(session!.streamClosed!.summary.total_frames_received).toBeGreaterThan(0);
    expect(session!.record).toMatchObject({ state: 'Released', reason: 'tracks_ended' });
    // Thousands of each shape, spread over the connection's setup and its streaming.
    expect(sent).toBeGreaterThan(2000);
    expect(Object.keys(spray!.sent)).toEqual([...JUNK_KINDS]);
    // The worker lived: no death, no exception caught at its last line of defence.
    expect(messages(live)).not.toContain('Media worker died: its sessions failed; starting a new one');
    expect(live.mediaWorkers?.loads()).toEqual({ 'media-1': 0 });
    const refused = await refusedTotals(live.url);
    expect(refused).toMatchObject({ udp_datagram: expect.any(Number), stun_request: expect.any(Number) });
    expect(refused.peer_exception ?? 0).toBe(0);
  }, 60_000);
});
