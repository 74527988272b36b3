import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { machineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { createPageRouter } from '../../src/http/pageRoutes';

let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.use(createPageRouter());
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
});
