import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { Router, type Response } from 'express';
import { machineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { REPOSITORY_ROOT } from '../paths';

/** The page's sources (bundled at run time, also by the compiled server). */
export const PAGE_SOURCE_DIR = path.join(REPOSITORY_ROOT, 'src', 'web');

const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";

/** Bundles src/web/app.ts into one browser script, in memory. */
export async function bundlePageScript(sourceDir = PAGE_SOURCE_DIR): Promise<string> {
  const result = await build({
    entryPoints: [path.join(sourceDir, 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output for the page script');
  return output.text;
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
 * The browser client: GET / serves the page, /page/app.js its script (bundled on first request,
 * then served from memory), /page/styles.css its style sheet, and /page/machine.json the
 * peer-session machine's graph (states and transitions, generated from its definition), which
 * the page draws as its lifecycle diagram.
 */
export function createPageRouter(sourceDir = PAGE_SOURCE_DIR): Router {
  const router = Router();
  const pageHtml = cachedOnce(() => readFile(path.join(sourceDir, 'index.html'), 'utf8'));
  const pageStyles = cachedOnce(() => readFile(path.join(sourceDir, 'styles.css'), 'utf8'));
  const pageScript = cachedOnce(() => bundlePageScript(sourceDir));
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
