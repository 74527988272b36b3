import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { ServerConfig } from './config';
import { createApp } from './http/app';
import type { Logger } from './logger';
import { acceptingAnalyzer, type FrameAnalyzer } from './media/analyzer';
import { SessionManager } from './session/sessionManager';

export interface StartServerOptions {
  config: ServerConfig;
  logger: Logger;
  analyzer?: FrameAnalyzer;
}

export interface RunningServer {
  url: string;
  port: number;
  manager: SessionManager;
  /** A5: closes every session, then stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startServer({ config, logger, analyzer = acceptingAnalyzer }: StartServerOptions): Promise<RunningServer> {
  const manager = new SessionManager({ config, logger, analyzer });
  const app = createApp({ manager, logger, maxBodyBytes: config.maxBodyBytes, authToken: config.authToken });
  const http: Server = await new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    manager,
    close() {
      closing ??= (async () => {
        await manager.shutdown();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
      })();
      return closing;
    },
  };
}
