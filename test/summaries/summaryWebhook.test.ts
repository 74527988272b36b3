import type { ServerResponse } from 'node:http';
import { SummaryWebhook, type SummaryWebhookOptions } from '../../src/summaries/summaryWebhook';
import { captureLogs, type LogEntry } from '../helpers/logCapture';
import { eventually, expectNothingLeft, finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';
import { answer, signatureMatches, standardSignatureMatches, startReceiver, summaryRecord as record, type Receiver, type ReceivedRequest } from '../helpers/webhookReceiver';

const SECRET = 'webhook-secret-0123456789';

function onlyRequest(receiver: Receiver): ReceivedRequest {
  expect(receiver.requests).toHaveLength(1);
  return receiver.requests[0]!;
}

let logs: LogEntry[];
let receiver: Receiver | undefined;
let webhook: SummaryWebhook | undefined;

function createWebhook(url: string, options: Partial<SummaryWebhookOptions> = {}): SummaryWebhook {
  const capture = captureLogs();
  logs = capture.logs;
  const logger = capture.logger;
  webhook = new SummaryWebhook({ url, logger, maxAttempts: 5, queueSize: 100, backoffBaseMs: 10, ...options });
  return webhook;
}

/** One summary delivered to a receiver answering 204: the request it got. */
async function deliverOne(options: Partial<SummaryWebhookOptions> = {}): Promise<{ hook: SummaryWebhook; request: ReceivedRequest }> {
  receiver = await startReceiver(answer(204));
  const hook = createWebhook(receiver.url, options);
  hook.enqueue(record('session-1'));
  await eventually(() => hook.stats().delivered === 1, 2000, 'delivery');
  return { hook, request: onlyRequest(receiver) };
}

afterEach(async () => {
  await webhook?.close(0);
  await receiver?.close();
  webhook = undefined;
  receiver = undefined;
});

describe('SummaryWebhook', () => {
  it('POSTs the session summary as JSON signed with HMAC-SHA256 of the raw body', async () => {
    const { hook, request } = await deliverOne({ secret: SECRET });
    expect(request.headers['content-type']).toBe('application/json');
    expect(signatureMatches(request, SECRET)).toBe(true);
    expect(signatureMatches(request, 'some-other-secret-value')).toBe(false);
    expect(request.body).toEqual({
      event_type: 'session_summary',
      session_id: 'session-1',
      reason: 'client_request',
      summary: { total_frames_received: 3 },
      ended_at: 1_700_000_000_000,
    });
    expect(hook.stats()).toEqual({ delivered: 1, failed: 0, retried: 0, dropped: 0, queued: 0 });
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('follows Standard Webhooks: webhook-id, a fresh webhook-timestamp, webhook-signature over id.timestamp.body', async () => {
    const { request } = await deliverOne({ secret: SECRET });
    expect(request.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - request.receivedAt / 1000)).toBeLessThan(5);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // A secret without the whsec_ prefix is the key as it is.
    expect(standardSignatureMatches(request, Buffer.from(SECRET))).toBe(true);
    expect(standardSignatureMatches(request, Buffer.from('some-other-secret-value'))).toBe(false);
    const replayed = { ...request, headers: { ...request.headers, 'webhook-timestamp': String(Number(request.headers['webhook-timestamp']) + 600) } };
    expect(standardSignatureMatches(replayed, Buffer.from(SECRET))).toBe(false);
    // The deprecated headers are still there: the same id, and the body's HMAC.
    expect(request.headers['x-delivery-id']).toBe(request.headers['webhook-id']);
    expect(signatureMatches(request, SECRET)).toBe(true);
  });

  it('decodes a whsec_ secret from base64 for webhook-signature (and keys X-Signature-256 with the secret as written)', async () => {
    const key = Buffer.from('0123456789abcdefghijklmn');
    const secret = `whsec_${key.toString('base64')}`;
    const { request } = await deliverOne({ secret });
    expect(standardSignatureMatches(request, key)).toBe(true);
    expect(standardSignatureMatches(request, Buffer.from(secret))).toBe(false);
    expect(signatureMatches(request, secret)).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(key.toString('base64'));
  });

  it('sends no signature without a secret', async () => {
    const { request } = await deliverOne();
    expect(request.headers['x-signature-256']).toBeUndefined();
    expect(request.headers['webhook-signature']).toBeUndefined();
    expect(request.headers['webhook-id']).toBe(request.headers['x-delivery-id']);
    expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
  });

  it('retries 5xx with the same X-Delivery-Id until the receiver accepts', async () => {
    receiver = await startReceiver((response, index) => response.writeHead(index < 2 ? 500 : 200).end());
    const hook = createWebhook(receiver.url);

    hook.enqueue(record('session-1'));
    await eventually(() => hook.stats().delivered === 1, 5000, 'delivery');

    expect(hook.stats()).toMatchObject({ delivered: 1, retried: 2, failed: 0, queued: 0 });
    const deliveryIds = receiver.requests.map((request) => request.headers['x-delivery-id']);
    expect(deliveryIds).toHaveLength(3);
    expect(deliveryIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(deliveryIds).size).toBe(1);
  });

  it('retries 429 and network errors, and gives up after maxAttempts', async () => {
    receiver = await startReceiver(answer(429));
    const hook = createWebhook(receiver.url, { maxAttempts: 3 });

    hook.enqueue(record('session-1'));
    await eventually(() => hook.stats().failed === 1, 5000, 'giving up');
    expect(receiver.requests).toHaveLength(3);
    expect(hook.stats()).toMatchObject({ delivered: 0, retried: 2, failed: 1 });

    const unreachable = receiver.url;
    await receiver.close();
    receiver = undefined;
    const offline = createWebhook(unreachable, { maxAttempts: 2 });
    offline.enqueue(record('session-2'));
    await eventually(() => offline.stats().failed === 1, 5000, 'giving up on a closed port');
    expect(offline.stats()).toMatchObject({ retried: 1, failed: 1 });
    expect(logs).toContainEqual(expect.objectContaining({ message: 'Summary webhook unreachable', session_id: 'session-2' }));
  });

  it('waits what Retry-After says on 503 and 429 (seconds), re-stamping each attempt under the same webhook-id', async () => {
    receiver = await startReceiver((response, index) => {
      if (index < 2) response.writeHead(index === 0 ? 503 : 429, { 'Retry-After': '1' }).end();
      else response.writeHead(200).end();
    });
    const hook = createWebhook(receiver.url, { secret: SECRET });

    hook.enqueue(record('session-1'));
    await eventually(() => hook.stats().delivered === 1, 5000, 'delivery');

    const [first, second, third] = receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
    const stamps = receiver.requests.map((request) => Number(request.headers['webhook-timestamp']));
    expect(stamps[2]!).toBeGreaterThan(stamps[0]!);
    expect(receiver.requests.every((request) => standardSignatureMatches(request, Buffer.from(SECRET)))).toBe(true);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'Summary webhook answered with an error', status: 503, retry_after: '1', retry_after_ms: 1000 }),
    );
  });

  it('reads a Retry-After HTTP date, and caps any Retry-After at backoffCapMs', async () => {
    receiver = await startReceiver((response, index) => {
      if (index === 0) response.writeHead(503, { 'Retry-After': new Date(Date.now() + 2000).toUTCString() }).end();
      else if (index === 1) response.writeHead(503, { 'Retry-After': '3600' }).end();
      else response.writeHead(200).end();
    });
    const hook = createWebhook(receiver.url, { backoffCapMs: 1500 });

    hook.enqueue(record('session-1'));
    // A sanity bound only: the cap is read from the wait the webhook chose (logged), not from a stopwatch.
    await eventually(() => hook.stats().delivered === 1, 20_000, 'delivery');

    const [first, second, third] = receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(1400);
    expect(logs).toContainEqual(expect.objectContaining({ retry_after: '3600', retry_after_ms: 1500 }));
  });

  it('does not retry a 4xx other than 429', async () => {
    receiver = await startReceiver(answer(400));
    const hook = createWebhook(receiver.url);

    hook.enqueue(record('session-1'));
    await eventually(() => hook.stats().failed === 1, 2000, 'giving up');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(receiver.requests).toHaveLength(1);
    expect(hook.stats()).toEqual({ delivered: 0, failed: 1, retried: 0, dropped: 0, queued: 0 });
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', session_id: 'session-1' }));
  });

  it.each([307, 308, 302, 301])('never follows a %i: the signed summary goes nowhere else, the delivery fails once, logged with its status', async (status) => {
    const elsewhere = await startReceiver(answer(200));
    try {
      receiver = await startReceiver((response) => response.writeHead(status, { Location: elsewhere.url }).end());
      const hook = createWebhook(receiver.url, { secret: SECRET });

      hook.enqueue(record('session-1'));
      await eventually(() => hook.stats().failed === 1, 2000, 'giving up');
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(elsewhere.requests).toHaveLength(0);
      expect(receiver.requests).toHaveLength(1);
      expect(hook.stats()).toMatchObject({ delivered: 0, failed: 1, retried: 0 });
      expect(logs).toContainEqual(
        expect.objectContaining({ level: 'warn', message: 'Summary webhook answered with a redirect, not followed', status, location: elsewhere.url, will_retry: false }),
      );
    } finally {
      await elsewhere.close();
    }
  });

  it('drops the oldest waiting summary when the queue is full, and counts it', async () => {
    const held: ServerResponse[] = [];
    receiver = await startReceiver((response) => held.push(response));
    const hook = createWebhook(receiver.url, { queueSize: 2 });

    hook.enqueue(record('in-flight'));
    await eventually(() => receiver!.requests.length === 1, 2000, 'first request');
    for (const id of ['a', 'b', 'c', 'd']) hook.enqueue(record(id));

    expect(hook.stats()).toMatchObject({ dropped: 2, queued: 3 });
    expect(logs.filter((entry) => entry.level === 'warn').map((entry) => entry.session_id)).toEqual(['a', 'b']);

    for (const response of held.splice(0)) response.writeHead(200).end();
    await eventually(() => {
      for (const response of held.splice(0)) response.writeHead(200).end();
      return hook.stats().delivered === 3;
    }, 2000, 'the rest delivered');
    expect(receiver.requests.map((request) => request.body.session_id)).toEqual(['in-flight', 'c', 'd']);
  });

  it('close() returns within the flush timeout while the receiver hangs, and is idempotent', async () => {
    receiver = await startReceiver(() => undefined);
    // An attempt that outlives the test (30 s): close() returning at all did not wait for it.
    const hook = createWebhook(receiver.url, { attemptTimeoutMs: 60_000 });
    hook.enqueue(record('hanging'));
    hook.enqueue(record('waiting'));
    await eventually(() => receiver!.requests.length === 1, 2000, 'request in flight');

    const started = Date.now();
    const closing = hook.close(200);
    expect(hook.close(5000)).toBe(closing);
    await closing;

    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'Summary webhook closed with summaries undelivered', session_ids: ['hanging', 'waiting'] }),
    );
    hook.enqueue(record('late'));
    expect(receiver.requests).toHaveLength(1);
  });

  it('close() keeps delivering what is queued until the flush timeout', async () => {
    receiver = await startReceiver((response, index) => response.writeHead(index === 0 ? 503 : 200).end());
    const hook = createWebhook(receiver.url, { backoffBaseMs: 50 });
    hook.enqueue(record('first'));
    hook.enqueue(record('second'));

    await hook.close(2000);

    expect(hook.stats()).toEqual({ delivered: 2, failed: 0, retried: 1, dropped: 0, queued: 0 });
  });
});

describe('summary webhook end to end', () => {
  let server: TestServer;

  // A test that failed before its own end still stops its server (idempotent after a clean end).
  afterEach(async () => {
    await server?.close();
  });

  it('the receiver gets the summary of a session the client ended', async () => {
    receiver = await startReceiver(answer(200));
    server = await startTestServer({ summaryWebhookUrl: receiver.url, summaryWebhookSecret: SECRET });
    const { client, peer } = await server.connect({ audio: false });
    await client.sendVideoFrames(5, { intervalMs: 10 });
    await eventually(() => peer.view().counters.frames_received === 5, 2000, 'frames received');

    const response = await fetch(`${server.url}/sessions/${peer.id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const ended = (await response.json()) as { summary: Record<string, unknown> };
    await eventually(() => receiver!.requests.length === 1, 5000, 'summary at the receiver');

    const request = onlyRequest(receiver);
    expect(signatureMatches(request, SECRET)).toBe(true);
    expect(standardSignatureMatches(request, Buffer.from(SECRET))).toBe(true);
    expect(request.body).toMatchObject({
      event_type: 'session_summary',
      session_id: peer.id,
      reason: 'client_request',
      summary: { total_frames_received: 5 },
    });
    expect(request.body.summary).toEqual(ended.summary);
    expect(request.body.ended_at).toEqual(expect.any(Number));
    // Delivered once the server has read the receiver's answer, a moment after the receiver got the request.
    await eventually(() => server.manager.webhookStats()?.delivered === 1, 2000, 'the delivery counted');
    expect(server.manager.webhookStats()).toMatchObject({ delivered: 1, failed: 0, queued: 0 });
    expect(JSON.stringify(server.logs)).not.toContain(SECRET);

    await finishTestServer(server);
  });

  it('shutdown delivers the summaries of the sessions it closes before returning', async () => {
    receiver = await startReceiver(answer(200));
    server = await startTestServer({ summaryWebhookUrl: receiver.url });
    const { peer } = await server.connect({ audio: false });

    await server.close();

    expect(receiver.requests.map((request) => request.body)).toEqual([
      expect.objectContaining({ session_id: peer.id, reason: 'server_shutdown' }),
    ]);
    expect(server.manager.webhookStats()).toMatchObject({ delivered: 1, queued: 0 });
    await expectNothingLeft(server);
  });

  it('has no webhook when no URL is configured', async () => {
    server = await startTestServer();
    expect(server.manager.webhookStats()).toBeNull();
    await finishTestServer(server);
  });
});
