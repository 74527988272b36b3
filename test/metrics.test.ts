/**
 * /metrics over the real server with a werift client: live sessions by state, closures by
 * reason, teardown time and the summary counters added when a session is released.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, finishTestServer, startTestServer, type TestServer } from './helpers/testServer';

let server: TestServer;

afterEach(async () => {
  await finishTestServer(server);
});

/** Sample values from the Prometheus text format, keyed by `name{labels}` as written. */
async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

describe('GET /metrics', () => {
  it('reports a session while it is live, then its closure and its summary counters', async () => {
    server = await startTestServer();
    const { client, peer } = await server.connect({ audio: false });
    await client.waitForEvent('session_started', 2000);
    await client.sendVideoFrames(12, { intervalMs: 10 });
    await client.peerConnection.iceTransports[0]!.connection.send(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, 5]));
    await eventually(() => peer.view().counters.ignored_rtp_packets === 1, 2000, 'the bad packet counted');

    const during = await scrape(server.url);
    expect(during.get('sessions_active{state="Active"}')).toBe(1);
    expect(during.get('sessions_closed_total{reason="client_request"}')).toBeUndefined();
    expect(during.get('frames_received_total')).toBe(0);
    expect(during.get(`media_worker_connections{worker="${peer.location}"}`)).toBe(1);
    // Each media worker's event-loop delay since the previous scrape (resolution 10 ms: never 0 once it ran).
    expect(during.get(`media_worker_event_loop_delay_p99_seconds{worker="${peer.location}"}`)).toBeGreaterThan(0);

    const closed = (await (await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' })).json()) as {
      reason: string;
      summary: { total_frames_received: number; total_frames_processed: number; total_frames_analyzed: number; audio_frames: number };
    };
    expect(closed.reason).toBe('client_request');

    const after = await scrape(server.url);
    expect([...after.keys()].filter((key) => key.startsWith('sessions_active{'))).toEqual([]);
    expect(after.get(`media_worker_connections{worker="${peer.location}"}`)).toBe(0);
    expect(after.get('sessions_closed_total{reason="client_request"}')).toBe(1);
    expect(after.get('frames_received_total')).toBe(closed.summary.total_frames_received);
    expect(after.get('frames_received_total')).toBe(12);
    expect(after.get('frames_processed_total')).toBe(closed.summary.total_frames_processed);
    expect(after.get('frames_analyzed_total')).toBe(closed.summary.total_frames_analyzed);
    expect(after.get('frames_not_sampled_total')).toBe(0);
    expect(after.get('audio_frames_total')).toBe(0);
    expect(after.get('detections_total')).toBe(0);
    expect(after.get('media_packets_ignored_total{kind="rtp"}')).toBe(1);
    expect(after.get('media_packets_ignored_total{kind="rtcp"}')).toBe(0);
    expect(after.get('session_teardown_seconds_count')).toBe(1);
    // In seconds, from the session's own timeline: the first closing state to Released.
    const timeline = peer.view().timeline;
    const closingMs = timeline.at(-1)!.at - timeline.find((entry) => entry.state !== 'Active')!.at;
    expect(timeline.at(-1)!.state).toBe('Released');
    expect(after.get('session_teardown_seconds_sum')).toBe(peer.teardownSeconds);
    // Seconds, not milliseconds (the timeline's times are taken in the same turns, a few ms apart at most).
    expect(after.get('session_teardown_seconds_sum')).toBeCloseTo(closingMs / 1000, 1);
    expect(after.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(after.has('summary_webhook_deliveries_total{outcome="delivered"}')).toBe(false);
    expect(after.get('summary_webhook_queued')).toBe(0);
  });

  it('keeps its counts per server', async () => {
    const other = await startTestServer();
    try {
      server = await startTestServer();
      const { peer } = await server.connect({ audio: false });
      await server.manager.endHere(peer.id);
      expect((await scrape(server.url)).get('sessions_closed_total{reason="client_request"}')).toBe(1);
      expect((await scrape(other.url)).get('sessions_closed_total{reason="client_request"}')).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('reports summary webhook deliveries', async () => {
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      server = await startTestServer({ summaryWebhookUrl: `http://127.0.0.1:${port}/hook` });
      const { peer } = await server.connect({ audio: false });
      await server.manager.endHere(peer.id);

      let samples = await scrape(server.url);
      for (const deadline = Date.now() + 5000; samples.get('summary_webhook_deliveries_total{outcome="delivered"}') !== 1; ) {
        if (Date.now() > deadline) throw new Error('no webhook delivery counted');
        await new Promise((resolve) => setTimeout(resolve, 50));
        samples = await scrape(server.url);
      }
      expect(samples.get('summary_webhook_deliveries_total{outcome="failed"}')).toBe(0);
      expect(samples.get('summary_webhook_queued')).toBe(0);
    } finally {
      await server.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('requires the bearer token like the other routes', async () => {
    const token = 'metrics-test-token-0123456789';
    server = await startTestServer({ authToken: token });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await scrape(server.url, { authorization: `Bearer ${token}` })).has('sessions_closed_total')).toBe(false);
  });
});
