import { loadConfig, type ServerConfig } from './config';
import { checkMediaSettings } from './media/settingsCheck';
import { createLogger, errorMessage } from './logger';
import { startServer } from './server';
import { isError } from './errors';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig();
    checkMediaSettings(config.analysis, config.threads.decoder);
  } catch (error) {
    if (isError(error, 'ConfigError')) {
      console.error(`Invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logging.logLevel, format: config.logging.logFormat });
  // One session's defect must not take the others down: log it and keep serving.
  process.on('uncaughtException', (error) => logger.error('Uncaught exception', { error: error.stack ?? String(error) }));
  process.on('unhandledRejection', (reason) => logger.error('Unhandled rejection', { error: errorMessage(reason) }));

  const server = await startServer({ config, logger });

  let signals = 0;
  const exitWithin = (timeoutMs: number) => {
    const deadline = setTimeout(() => {
      logger.error('Shutdown deadline passed, exiting');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
  };
  // First signal: drain (no new sessions, open ones may finish), then close. Second: close now.
  const { drainTimeoutMs, shutdownTimeoutMs } = config.shutdown;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(`${signal} received, draining`, { drain_timeout_ms: drainTimeoutMs });
      exitWithin(drainTimeoutMs + shutdownTimeoutMs);
      void server.drain(drainTimeoutMs).then(() => process.exit(0));
    } else if (signals === 2) {
      logger.warn(`${signal} again: closing every session now`);
      exitWithin(shutdownTimeoutMs);
      void server.close().then(() => process.exit(0));
    } else {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Announced only once the handlers are in place: whoever reads this line may signal at once.
  logger.info(`Listening on ${server.url}`, { stun: config.ice.iceServers.length > 0 ? 'configured' : 'none' });
}

main().catch((error) => {
  console.error(`Failed to start: ${errorMessage(error)}`);
  process.exit(1);
});
