import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { RELAY_PAGE_SCRIPT, relayPageHtml } from './relayPage';

/** Always loopback: inspection events carry session ids and state, and nothing else guards them. */
const RELAY_HOST = '127.0.0.1';
/** Messages kept for a page opened later (each session sends a few dozen). */
const REPLAY_LIMIT = 1000;
/** A client this far behind is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface InspectionRelayOptions {
  /** 0 picks a free port. */
  port: number;
  /** The inspector UI the page frames (the Stately inspector unless a test serves its own). */
  inspectorUrl?: string;
}

export interface InspectionRelay {
  /** The page to open in a browser, http://127.0.0.1:<port>/. */
  readonly pageUrl: string;
  /** Where WebSocket clients connect, ws://127.0.0.1:<port>/. */
  readonly webSocketUrl: string;
  /** Sends one message (a JSON inspection event) to every client; kept for those who come later. */
  broadcast(message: string): void;
  /** Stops listening and disconnects every client. Idempotent. */
  close(): Promise<void>;
}

/**
 * A loopback HTTP server with the relay page and a WebSocket endpoint that passes inspection
 * events on, one JSON text message each, to every client: the page, or any WebSocket client.
 * Messages from clients are ignored. Browsers may connect only from the relay's own page: a site
 * open in another tab cannot read sessions through it.
 */
export async function startInspectionRelay({ port, inspectorUrl }: InspectionRelayOptions): Promise<InspectionRelay> {
  const page = relayPageHtml(inspectorUrl);
  const recent: string[] = [];
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const http: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/') {
      response.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-src https:; frame-ancestors 'none'",
      });
      response.end(page);
    } else if (request.method === 'GET' && request.url === '/relay.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      response.end(RELAY_PAGE_SCRIPT);
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
  let listeningPort = port;
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!fromOwnPage(request.headers.origin, listeningPort)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      for (const message of recent) client.send(message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, RELAY_HOST, () => {
      http.off('error', reject);
      resolve();
    });
  });
  listeningPort = (http.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    pageUrl: `http://${RELAY_HOST}:${listeningPort}/`,
    webSocketUrl: `ws://${RELAY_HOST}:${listeningPort}/`,
    broadcast(message) {
      if (closing) return;
      recent.push(message);
      if (recent.length > REPLAY_LIMIT) recent.shift();
      for (const client of sockets.clients) {
        if (client.readyState !== WebSocket.OPEN) continue;
        if (client.bufferedAmount > MAX_BUFFERED_BYTES) client.terminate();
        else client.send(message);
      }
    },
    close() {
      closing ??= (async () => {
        for (const client of sockets.clients) client.terminate();
        await new Promise<void>((resolve) => sockets.close(() => resolve()));
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await stopped;
        recent.length = 0;
      })();
      return closing;
    },
  };
}

/** No Origin (not a browser), or the relay's own page on a loopback name. */
function fromOwnPage(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && LOOPBACK_NAMES.has(url.hostname) && Number(url.port) === port;
  } catch {
    return false;
  }
}
