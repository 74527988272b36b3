import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { sendProblem } from '../../src/http/problem';
import { requireContentType, sessionIdParam } from '../../src/http/requests';
import { HttpProblem } from '../../src/errors';

const SESSION_ID = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';

let server: Server;
let url: string;
const unknownIds: string[] = [];

/** A loopback app with one route per helper and the problem rendering of src/http/app.ts. */
beforeAll(async () => {
  const app = express();
  const unknownThing = (id: string) => {
    unknownIds.push(id);
    return new HttpProblem(404, 'Unknown thing', `no thing "${id.slice(0, 8)}"`);
  };
  app.get('/things/:id', (req, res) => {
    res.json({ id: sessionIdParam(req, unknownThing) });
  });
  app.post('/json', requireContentType('application/json'), (_req, res) => {
    res.status(204).end();
  });
  app.post('/sdp', requireContentType('application/sdp'), (_req, res) => {
    res.status(204).end();
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendProblem(res, error as HttpProblem);
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  unknownIds.length = 0;
});

async function problem(response: globalThis.Response): Promise<{ status: number; title: string; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as { status: number; title: string; detail: string };
}

describe('sessionIdParam', () => {
  it.each([SESSION_ID, SESSION_ID.toUpperCase()])('returns the UUID %s', async (id) => {
    const response = await fetch(`${url}/things/${id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id });
    expect(unknownIds).toEqual([]);
  });

  it.each(['not-a-uuid', `${SESSION_ID}0`, SESSION_ID.replace('0', 'g'), 'x'.repeat(100)])(
    "refuses %s with the route's own problem, given the id",
    async (id) => {
      const response = await fetch(`${url}/things/${id}`);
      expect(response.status).toBe(404);
      expect(await problem(response)).toMatchObject({ title: 'Unknown thing', detail: `no thing "${id.slice(0, 8)}"` });
      expect(unknownIds).toEqual([id]);
    },
  );
});

describe('requireContentType', () => {
  async function post(path: string, contentType: string | null) {
    return fetch(url + path, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body: contentType ? 'x' : undefined });
  }

  it.each([
    ['/json', 'application/json'],
    ['/json', 'application/json; charset=utf-8'],
    ['/sdp', 'application/sdp'],
    ['/sdp', 'Application/SDP'],
  ])('lets %s with %s through', async (path, contentType) => {
    expect((await post(path, contentType)).status).toBe(204);
  });

  it.each([
    ['/json', 'text/plain', 'expected Content-Type application/json, got "text/plain"'],
    ['/json', 'application/sdp', 'expected Content-Type application/json, got "application/sdp"'],
    ['/sdp', 'application/json', 'expected Content-Type application/sdp, got "application/json"'],
    ['/sdp', null, 'expected Content-Type application/sdp, got null'],
  ])('refuses %s with %s: 415 naming both types', async (path, contentType, detail) => {
    const response = await post(path, contentType);
    expect(response.status).toBe(415);
    expect(await problem(response)).toEqual({
      type: '/problems/unsupported-media-type',
      title: 'Unsupported media type',
      status: 415,
      detail,
    });
  });
});
