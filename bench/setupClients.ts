/**
 * werift clients (client/streamingClient.ts) for bench/setup.bench.ts, in their own process
 * so that the server's event loop is not theirs. Each session streams synthetic media for
 * --media-ms once connected, then closes. One JSON line per session on stdout:
 *
 *   {"event":"connected","session":0,"session_id":"…","setup_ms":27.4}
 *   {"event":"error","session":3,"message":"…"}
 *
 * setup_ms: from the offer's POST being sent to `StreamingClient.connect()` resolving (connection
 * `connected` and the events data channel open), the client's wait before it can stream.
 *
 * Options: --url URL, --sessions K (default 1), --spread-ms S (start the K evenly over S ms),
 * --sequential (one after another, each closed before the next), --media-ms N (default 1000),
 * --warmup N (connections made and closed first, not reported: this process's first connection
 * pays for its own code warming up and its certificate; default 1),
 * --baseline (werift's setup as before this repository's changes: bench/setupBaseline.ts).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { StreamingClient } from '../client/streamingClient';
import { restoreWeriftSetupBaseline } from './setupBaseline';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    sessions: { type: 'string', default: '1' },
    'spread-ms': { type: 'string', default: '0' },
    sequential: { type: 'boolean', default: false },
    'media-ms': { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '1' },
    baseline: { type: 'boolean', default: false },
  },
});
const url = values.url ?? '';
const sessions = Number(values.sessions);
const spreadMs = Number(values['spread-ms']);
const mediaMs = Number(values['media-ms']);
if (!url || !(sessions > 0)) throw new Error('usage: setupClients.ts --url URL [--sessions K] [--spread-ms S] [--sequential]');
if (values.baseline) restoreWeriftSetupBaseline();

/** When each session's offer was POSTed, by the session id its answer carried. */
const postedAt = new Map<string, number>();
const fetchOriginal = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const sentAt = performance.now();
  const response = await fetchOriginal(input, init);
  if (init?.method === 'POST' && String(input).endsWith('/offer') && response.ok) {
    const body = (await response.clone().json()) as { session_id?: string };
    if (body.session_id) postedAt.set(body.session_id, sentAt);
  }
  return response;
};

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function warmUp(): Promise<void> {
  for (let run = 0; run < Number(values.warmup); run++) {
    const client = await StreamingClient.connect({ url, interfaceAddress: '127.0.0.1' });
    await client.close();
  }
}

async function session(index: number): Promise<void> {
  let client: StreamingClient | null = null;
  try {
    client = await StreamingClient.connect({ url, interfaceAddress: '127.0.0.1' });
    const connectedAt = performance.now();
    const setupMs = connectedAt - (postedAt.get(client.sessionId) ?? Number.NaN);
    print({ event: 'connected', session: index, session_id: client.sessionId, setup_ms: Math.round(setupMs * 10) / 10 });
    client.startStreaming();
    await new Promise((resolve) => setTimeout(resolve, mediaMs));
  } catch (error) {
    print({ event: 'error', session: index, message: error instanceof Error ? error.message : String(error) });
  } finally {
    await client?.close();
  }
}

async function main(): Promise<void> {
  await warmUp();
  if (values.sequential) {
    for (let index = 0; index < sessions; index++) await session(index);
    return;
  }
  const running: Array<Promise<void>> = [];
  for (let index = 0; index < sessions; index++) {
    if (index > 0 && spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, spreadMs / sessions));
    running.push(session(index));
  }
  await Promise.all(running);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
