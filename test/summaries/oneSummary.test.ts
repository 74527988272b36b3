import { closedSessionBody, streamClosedEvent, webhookBody } from '../../src/counters/summary';
import type { SessionView, StreamSummary } from '../../src/protocol';
import { testClusterConfig, useRedisServer } from '../helpers/redisServer';
import { eventually, finishTestServer, startTestServer, type ConfigOverrides, type TestServer } from '../helpers/testServer';
import { answer, startReceiver, type Receiver } from '../helpers/webhookReceiver';
import { eventProblems } from '../helpers/wireContract';

/**
 * One session, one summary: the data channel's `stream_closed`, the DELETE answer, the record
 * GET /sessions/<id> shows and the webhook body all carry the summary the builder
 * (src/counters/summary.ts) made, in the same JSON text, wherever the session's connection
 * lived and whichever way the record and the webhook body travelled (a cluster: Redis).
 */
const redis = useRedisServer();

let servers: TestServer[] = [];
let receiver: Receiver | undefined;

// A test that failed before its end still closes its clients and servers (idempotent after a clean end).
afterEach(async () => {
  for (const server of servers) {
    await Promise.all(server.clients.map((client) => client.close()));
    await server.close();
  }
  await receiver?.close();
  servers = [];
  receiver = undefined;
});

interface Setup {
  name: string;
  mediaWorkers: number;
  /** Two instances sharing Redis: the record is read from the other one, the webhook body comes from the Redis stream. */
  cluster?: boolean;
}

const SETUPS: Setup[] = [
  { name: 'connection on the main thread', mediaWorkers: 0 },
  { name: 'connection in a media worker', mediaWorkers: 1 },
  { name: 'a cluster: record from Redis, webhook body from the Redis summary stream', mediaWorkers: 0, cluster: true },
];

describe('the summary of one session, as each consumer carries it', () => {
  for (const { name, mediaWorkers, cluster } of SETUPS) {
    it(`is the same in the stream_closed event, the DELETE answer, the record and the webhook body (${name})`, async () => {
      receiver = await startReceiver(answer(204));
      const config = (id: string): ConfigOverrides => ({
        mediaWorkers,
        summaryWebhookUrl: receiver!.url,
        ...(cluster && { cluster: testClusterConfig(redis.server, id) }),
      });
      servers.push(await startTestServer(config('a')));
      if (cluster) servers.push(await startTestServer(config('b')));
      const [home, reader] = [servers[0]!, servers.at(-1)!];

      const { client, peer } = await home.connect({ audio: false });
      await client.sendVideoFrames(5, { intervalMs: 10 });
      await eventually(() => peer.view().counters.frames_received === 5, 5000, 'frames received');

      const deleted = await fetch(`${home.url}/sessions/${peer.id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(200);
      const answered = (await deleted.json()) as Record<string, unknown> & { summary: StreamSummary };
      const event = await client.waitForStreamClosed();
      const record = (await (await fetch(`${reader.url}/sessions/${peer.id}`)).json()) as SessionView & { instance_id?: string };
      if (cluster) expect(record.instance_id).toBe('a');
      await eventually(() => receiver!.requests.length === 1, 5000, 'summary at the receiver');
      const posted = receiver.requests[0]!.body;
      const released = await peer.released;

      // Each body is the builder's, around the record's summary.
      const summary = record.summary!;
      expect(summary).toMatchObject({ total_frames_received: 5 });
      expect(answered).toStrictEqual(closedSessionBody(record));
      expect(posted).toStrictEqual(webhookBody(record));
      expect(event).toStrictEqual(streamClosedEvent(peer.id, 'client_request', summary));
      expect(eventProblems(event, peer.id)).toEqual([]);
      // The same summary, in the same JSON text: same fields, same values, same order.
      const texts = [event.summary, answered.summary, posted.summary, released].map((carried) => JSON.stringify(carried));
      expect(texts).toEqual(Array(4).fill(JSON.stringify(summary)));

      for (const server of servers) await finishTestServer(server);
    });
  }
});
