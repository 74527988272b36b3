import type { StreamingClient } from '../../client/streamingClient';
import { loadConfig } from '../../src/config';
import type { PeerSession } from '../../src/sessions/peerSession';
import type { LogEntry } from '../helpers/logCapture';
import { eventually, eventuallyAsync, finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

/**
 * A client flooding its data channel with junk, on a real werift connection through a media
 * worker: every message is counted, the log gets a handful of lines (1st, 10th, 100th... of each
 * kind), and the session goes on to end on the client's request with its summary.
 */
jest.setTimeout(60_000);

describe('client messages: floods and junk on a real data channel', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await finishTestServer(server);
    server = null;
  });

  const defaults = loadConfig({}).limits;
  // The client sends no media: its tracks must outlive the flood rather than end it by inactivity.
  const quietTracks = { videoInactivityMs: 120_000, audioInactivityMs: 120_000 };
  const ignoredLines = (logs: LogEntry[], sessionId: string) => logs.filter((entry) => entry.session_id === sessionId && entry.message === 'Ignored data channel message');

  /**
   * Sends `messages` in batches of 25 with a breath between them, then waits until the server
   * has counted them all: a werift client stalls for good when it is handed some hundreds of
   * messages at once (its SCTP sender, not the server).
   */
  async function sendInBatches(client: StreamingClient, peer: PeerSession, messages: Array<string | object>, counted: () => number): Promise<void> {
    const start = counted();
    for (let sent = 0; sent < messages.length; sent += 25) {
      for (const message of messages.slice(sent, sent + 25)) client.sendMessage(message);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await eventually(() => counted() - start === messages.length, 30_000, `${messages.length} messages counted (${peer.id})`);
  }

  /** The client forgets the server's a=max-message-size, as a hostile one would: werift's client refuses to send more. */
  function ignoreMaxMessageSize(client: StreamingClient): void {
    (client.peerConnection.sctpTransport as unknown as { remoteMaxMessageSize: number }).remoteMaxMessageSize = 0;
  }

  async function refusedClientMessages(url: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = /input_refused_total\{resource="client_message"\} (\d+)/.exec(text);
    return match ? Number(match[1]) : 0;
  }

  it('thousands of junk messages of each kind: all counted, a few log lines, and end_stream still ends the session', async () => {
    server = await startTestServer({ ...quietTracks, mediaWorkers: 1, limits: { ...defaults, clientMessagesPerSecond: 100_000 } });
    const { client, peer } = await server.connect();
    // The answer tells the client the largest message the server takes.
    expect(client.peerConnection.remoteDescription!.sdp).toContain(`a=max-message-size:${defaults.maxClientMessageBytes}`);
    ignoreMaxMessageSize(client);
    const junk = ['not json', JSON.stringify({ type: 'dance\n2026-01-01 info: forged' }), JSON.stringify({ type: 'end_stream', pad: 'x'.repeat(defaults.maxClientMessageBytes) })];
    const perKind = 1000;
    const oversized = 100;
    // Fewer oversized ones: a werift client sends 16 KB messages slowly.
    const messages = Array.from({ length: perKind }, (_, i) => (i < oversized ? junk : junk.slice(0, 2))).flat();
    await sendInBatches(client, peer, messages, () => peer.view().counters.ignored_client_messages);
    // 1st, 10th, 100th and 1,000th of the two kinds sent 1,000 times, 1st, 10th and 100th of the oversized.
    const lines = ignoredLines(server.logs, peer.id);
    expect(lines.map((entry) => entry.occurrences).sort((a, b) => Number(a) - Number(b))).toEqual([1, 1, 1, 10, 10, 10, 100, 100, 100, 1000, 1000]);
    expect(lines.map((entry) => entry.problem)).toContain('unknown message type "dance\\n2026-01-01 info: forged"');
    expect(await eventuallyAsync(async () => ((await refusedClientMessages(server!.url)) >= messages.length ? true : undefined), 5000, 'refusals in /metrics')).toBe(true);
    expect(peer.view().state).toBe('Active');
    client.sendMessage({ type: 'end_stream' });
    expect(await client.waitForStreamClosed(5000)).toMatchObject({ reason: 'client_request', summary: { ignored_client_messages: messages.length } });
    await peer.released;
  });

  it('a flood beyond CLIENT_MESSAGES_PER_SECOND is dropped before parsing, counted, and logged a few times', async () => {
    server = await startTestServer({ ...quietTracks, mediaWorkers: 1, limits: { ...defaults, clientMessagesPerSecond: 20 } });
    const { client, peer } = await server.connect();
    // The first 20 a second are parsed (and refused as unknown), the rest dropped unparsed.
    const flood = 2000;
    await sendInBatches(client, peer, Array.from({ length: flood }, () => ({ type: 'dance' })), () => peer.view().counters.ignored_client_messages);
    const lines = ignoredLines(server.logs, peer.id);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines.filter((entry) => entry.problem === 'over 20 messages a second').map((entry) => entry.occurrences)).toEqual(expect.arrayContaining([1, 10, 100, 1000]));
    // A second later the budget has refilled: the client's end_stream is heard.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    client.sendMessage({ type: 'end_stream' });
    expect(await client.waitForStreamClosed(5000)).toMatchObject({ reason: 'client_request', summary: { ignored_client_messages: flood } });
    await peer.released;
  });

  it('data channels opened after the first are closed by the server and forgotten; the events channel goes on (patch 010 datachannel-close-cleanup)', async () => {
    server = await startTestServer({ ...quietTracks, mediaWorkers: 0 });
    const { client, peer } = await server.connect();
    const extras = Array.from({ length: 20 }, (_, i) => client.peerConnection.createDataChannel(`extra-${i}`));
    await eventually(() => extras.every((channel) => channel.readyState === 'closed'), 10_000, 'extra channels closed');
    const lines = server.logs.filter((entry) => entry.session_id === peer.id && entry.message === 'Closed a data channel beyond the first');
    expect(lines.map((entry) => entry.occurrences)).toEqual([1, 10]);
    // werift (patches/werift+0.25.2+010+datachannel-close-cleanup.patch) drops a closed channel the client opened from its list.
    const channels = (serverConnection(peer) as unknown as { sctpManager: { dataChannels: unknown[] } }).sctpManager.dataChannels;
    await eventually(() => channels.length === 1, 5000, 'closed channels forgotten');
    client.sendMessage({ type: 'end_stream' });
    expect(await client.waitForStreamClosed(5000)).toMatchObject({ reason: 'client_request' });
    await peer.released;
  });
});
