import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { machineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { createPageRouter } from '../../src/http/pageRoutes';
import { sendProblem } from '../../src/http/problem';
import { HttpProblem } from '../../src/errors';

let server: Server;
let url: string;

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const listening = await new Promise<Server>((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  return { server: listening, url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  const app = express();
  app.use(createPageRouter());
  ({ server, url } = await listen(app));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('page routes', () => {
  it('GET /page/machine.json is the graph of the peer-session machine, generated from its definition', async () => {
    const response = await fetch(`${url}/page/machine.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const graph = await response.json();
    expect(graph).toEqual(machineGraph(peerSessionMachine));
    expect(graph.initial).toBe('Active');
    expect(graph.states.map((state: { path: string }) => state.path)).toEqual(Object.keys(peerSessionMachine.config.states ?? {}));
  });

  it('the page script fetches the graph and carries no machine code (its import of the graph type is type-only)', async () => {
    const script = await (await fetch(`${url}/page/app.js`)).text();
    const code = script.replace(/\/\/# sourceMappingURL=.*$/m, '');
    expect(code.includes('/page/machine.json')).toBe(true);
    expect(code.includes('lifecycle-diagram')).toBe(true);
    expect(/xstate|createMachine|toDirectedGraph/.test(code)).toBe(false);
  });

  it('serves the page as built (npm run build), bundling nothing at run time; an unbuilt page is a 503 that says so', async () => {
    const pageDir = mkdtempSync(join(tmpdir(), 'page-'));
    const app = express();
    app.use(createPageRouter(pageDir));
    app.use((error: HttpProblem, _req: express.Request, res: express.Response, _next: express.NextFunction) => sendProblem(res, error));
    const built = await listen(app);
    try {
      const missing = await fetch(`${built.url}/page/app.js`);
      expect(missing.status).toBe(503);
      expect(await missing.json()).toMatchObject({ title: 'Page not built', detail: expect.stringContaining('npm run build') });
      writeFileSync(join(pageDir, 'app.js'), 'window.built = true;\n');
      const script = await fetch(`${built.url}/page/app.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toBe('window.built = true;\n');
    } finally {
      await new Promise((resolve) => built.server.close(resolve));
      rmSync(pageDir, { recursive: true, force: true });
    }
  });
});
