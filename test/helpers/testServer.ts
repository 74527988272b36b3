import { loadConfig, type ServerConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { FrameAnalyzer } from '../../src/media/analyzer';
import { startServer, type RunningServer } from '../../src/server';

export type ConfigOverrides = Partial<Omit<ServerConfig, 'timeouts'>> & { timeouts?: Partial<ServerConfig['timeouts']> };

/** The real server on an ephemeral loopback port, ICE bound to loopback, logs silent unless TEST_LOGS=1. */
export async function startTestServer(overrides: ConfigOverrides = {}, analyzer?: FrameAnalyzer): Promise<RunningServer> {
  const base = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
  const config: ServerConfig = {
    ...base,
    iceInterfaceAddress: '127.0.0.1',
    ...overrides,
    timeouts: { ...base.timeouts, ...overrides.timeouts },
  };
  const logger = createLogger({ level: 'debug', format: 'pretty', silent: process.env.TEST_LOGS !== '1' });
  return startServer({ config, logger, analyzer });
}
