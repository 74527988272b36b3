import { finishTestServer, startTestServer, type TestServer } from '../helpers/testServer';

let server: TestServer | null = null;
afterEach(async () => {
  await finishTestServer(server);
  server = null;
});

describe("'Request refused' lines", () => {
  it('a client sending thousands of junk requests gets the 1st, 10th, 100th and 1,000th of each status logged', async () => {
    server = await startTestServer();
    for (let i = 0; i < 1000; i += 1) {
      // A path the client makes up each time, with what would forge a log line.
      expect((await fetch(`${server.url}/nope-${i}%0a2026-01-01%20info:%20forged`)).status).toBe(404);
      expect((await fetch(`${server.url}/offer`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    }
    const refused = server.logs.filter((entry) => entry.message === 'Request refused');
    expect(refused.map((entry) => [entry.status, entry.occurrences])).toEqual([
      [404, 1],
      [415, 1],
      [404, 10],
      [415, 10],
      [404, 100],
      [415, 100],
      [404, 1000],
      [415, 1000],
    ]);
    expect(refused[0]).toMatchObject({ client: expect.stringContaining('127.0.0.1'), path: '/nope-0%0a2026-01-01%20info:%20forged' });
  });
});
