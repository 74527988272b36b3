/**
 * GET /sessions on an instance of a cluster whose Redis holds thousands of records: each request
 * reads one page, capped, and the cursors walk the whole listing once, newest first.
 */
import Redis from 'ioredis';
import type { SessionListEntry } from '../../src/protocol';
import { RecordStore, type StoredRecord } from '../../src/cluster/recordStore';
import { MAX_LISTING_LIMIT } from '../../src/protocol/sessionListing';
import { testClusterConfig, useRedisServer } from '../helpers/redisServer';
import { eventuallyAsync, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

const redis = useRedisServer();
let server: TestServer | null = null;

afterEach(async () => {
  await finishTestServer(server);
  server = null;
});

const RECORDS = 2500;

/** Final records of sessions another instance held, as that instance would have written them. */
async function seedRecords(count: number): Promise<StoredRecord[]> {
  const client = new Redis(redis.server.url, { maxRetriesPerRequest: 1 });
  const store = new RecordStore(client, { prefix: testClusterConfig(redis.server, 'x').keyPrefix, retentionMs: 600_000 });
  const now = Date.now();
  const records: StoredRecord[] = [];
  const tx = client.multi();
  for (let i = 0; i < count; i += 1) {
    // Some share a start time: the cursor orders ties by session id.
    const started_at = now - 60_000 + Math.floor(i / 3);
    const record = { session_id: `s-${String(i).padStart(5, '0')}`, state: 'Released', started_at, ended_at: started_at + 10, instance_id: 'gone' } as unknown as StoredRecord;
    store.put(tx, record);
    records.push(record);
  }
  await tx.exec();
  client.disconnect();
  return records;
}

async function list(query = ''): Promise<{ status: number; body: { sessions: SessionListEntry[]; next_cursor?: string } }> {
  const response = await fetch(`${server!.url}/sessions${query}`);
  return { status: response.status, body: (await response.json()) as { sessions: SessionListEntry[]; next_cursor?: string } };
}

/** The instance on `cluster`, once its link to Redis is up (a listing is answered 503 before). */
async function startInstance(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  server = await startTestServer({ cluster: testClusterConfig(redis.server, 'a'), ...overrides });
  await eventuallyAsync(async () => ((await list('?limit=1')).status === 200 ? true : undefined), 5000, 'Redis link up');
  return server;
}

describe('GET /sessions in a cluster: paged and capped', () => {
  it(`answers at most ${MAX_LISTING_LIMIT} sessions a request, and its cursors walk all ${RECORDS} once, newest first`, async () => {
    const records = await seedRecords(RECORDS);
    server = await startInstance();

    const first = await list();
    expect(first.status).toBe(200);
    expect(first.body.sessions).toHaveLength(MAX_LISTING_LIMIT);
    expect(first.body.next_cursor).toEqual(expect.any(String));

    const seen: SessionListEntry[] = [...first.body.sessions];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await list(`?limit=700&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status).toBe(200);
      expect(page.body.sessions.length).toBeLessThanOrEqual(700);
      seen.push(...page.body.sessions);
      cursor = page.body.next_cursor;
    }
    const expected = [...records].sort((a, b) => b.started_at - a.started_at || (a.session_id < b.session_id ? 1 : -1)).map((record) => record.session_id);
    expect(seen.map((entry) => entry.session_id)).toEqual(expected);
    expect(seen[0]).toEqual({ session_id: expected[0], state: 'Released', started_at: expect.any(Number), ended_at: expect.any(Number) });
  });

  it('caps a limit over the maximum, and refuses a bad limit or cursor with a problem', async () => {
    await seedRecords(1200);
    server = await startInstance();
    const five = await list('?limit=5');
    expect(five).toMatchObject({ status: 200 });
    expect(five.body.sessions).toHaveLength(5);
    expect((await list('?limit=100000')).body.sessions).toHaveLength(MAX_LISTING_LIMIT);
    for (const query of ['?limit=0', '?limit=-1', '?limit=ten', '?cursor=garbage', '?cursor=1.%0Aforged']) {
      const response = await fetch(`${server.url}/sessions${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('lists the instance own live session with the records, as before', async () => {
    await seedRecords(10);
    server = await startInstance({ videoInactivityMs: 60_000, audioInactivityMs: 60_000 });
    const { client, peer } = await server.connect({ audio: false });
    const listed = await list();
    expect(listed.body.sessions).toHaveLength(11);
    expect(listed.body.sessions[0]).toMatchObject({ session_id: peer.id, state: expect.any(String), ended_at: null });
    expect(listed.body.next_cursor).toBeUndefined();
    client.sendMessage({ type: 'end_stream' });
    await peer.released;
  });
});
