import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

/** What each worker thread was started with, as the pool handed it over (a copy is cloned into the thread). */
const mockWorkerData: Array<{ name: string; data: unknown }> = [];

jest.mock('../../src/workerThreads', () => {
  const actual = jest.requireActual<typeof import('../../src/workerThreads')>('../../src/workerThreads');
  return {
    ...actual,
    startWorkerThread: (dir: string, name: string, workerData: unknown) => {
      mockWorkerData.push({ name, data: workerData });
      return actual.startWorkerThread(dir, name, workerData);
    },
  };
});

const TOKEN = 'a-bearer-token-of-the-main-thread';
const SECRET = 'a-webhook-secret-of-the-main-thread';

describe('a media worker is started with its slices of the configuration only', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await finishTestServer(server);
    server = undefined;
  });

  it('peer, ice, limits and analysis: not the HTTP settings, the bearer token or the webhook secret', async () => {
    server = await startTestServer({ mediaWorkers: 1, authToken: TOKEN, summaryWebhookUrl: 'http://127.0.0.1:9/hook', summaryWebhookSecret: SECRET });
    const setups = mockWorkerData.filter(({ name }) => name === 'mediaWorker').map(({ data }) => data as Record<string, unknown>);
    expect(setups).toHaveLength(1);
    const [setup] = setups;
    expect(Object.keys(setup!).sort()).toEqual(['analysis', 'certificate', 'collectBeforeMeasuring', 'decodeWorkers', 'decoder', 'logLevel', 'name', 'receivedVideo', 'settings']);
    expect(Object.keys(setup!.settings as object).sort()).toEqual(['ice', 'limits', 'peer']);
    const cloned = JSON.stringify(setup);
    expect(cloned).not.toContain(TOKEN);
    expect(cloned).not.toContain(SECRET);
  });
});
