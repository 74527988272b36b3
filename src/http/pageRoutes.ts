import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Response } from 'express';
import { machineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { REPOSITORY_ROOT } from '../paths';
import { HttpProblem } from '../errors';

/**
 * The built page: scripts/build.js bundles src/web/ into dist/web/ (`npm run build`, or the page
 * alone with `--page` for `npm run dev` and the tests), so the server bundles nothing at run time.
 */
export const PAGE_DIR = path.join(REPOSITORY_ROOT, 'dist', 'web');

const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";

/** One file of the built page; a page that was never built is an operator's error, said plainly. */
async function readPageFile(pageDir: string, name: string): Promise<string> {
  try {
    return await readFile(path.join(pageDir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new HttpProblem(503, 'Page not built', `${name} is not in ${path.relative(REPOSITORY_ROOT, pageDir)}/: run npm run build`);
  }
}

/** Runs `load` on first use and keeps its result; a failed load is retried on the next call. */
function cachedOnce(load: () => Promise<string>): () => Promise<string> {
  let pending: Promise<string> | null = null;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}

function send(res: Response, contentType: string, body: string): void {
  res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }).send(body);
}

/**
 * The browser client: GET / serves the page, /page/app.js its script, /page/styles.css its style
 * sheet (each read from the built page on first request, then served from memory), and /page/machine.json the
 * peer-session machine's graph (states and transitions, generated from its definition), which
 * the page draws as its lifecycle diagram.
 */
export function createPageRouter(pageDir = PAGE_DIR): Router {
  const router = Router();
  const pageHtml = cachedOnce(() => readPageFile(pageDir, 'index.html'));
  const pageStyles = cachedOnce(() => readPageFile(pageDir, 'styles.css'));
  const pageScript = cachedOnce(() => readPageFile(pageDir, 'app.js'));
  const machineJson = JSON.stringify(machineGraph(peerSessionMachine));

  router.get('/', async (_req, res) => {
    res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    send(res, 'text/html; charset=utf-8', await pageHtml());
  });
  router.get('/page/app.js', async (_req, res) => {
    send(res, 'text/javascript; charset=utf-8', await pageScript());
  });
  router.get('/page/styles.css', async (_req, res) => {
    send(res, 'text/css; charset=utf-8', await pageStyles());
  });
  router.get('/page/machine.json', (_req, res) => {
    send(res, 'application/json; charset=utf-8', machineJson);
  });
  return router;
}
