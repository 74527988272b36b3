import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, type Logger } from '../../src/logger';

export interface LogEntry {
  level: string;
  message: string;
  session_id?: string;
  [field: string]: unknown;
}

export interface LogCaptureOptions {
  /** Lowest level kept (default debug: everything). */
  level?: string;
  /** Print to the console too (default: when TEST_LOGS=1). */
  console?: boolean;
}

/** A logger that keeps every entry, as the server logged it (level uncoloured), in `logs`. */
export function captureLogs({ level = 'debug', console = process.env.TEST_LOGS === '1' }: LogCaptureOptions = {}): { logger: Logger; logs: LogEntry[] } {
  const logs: LogEntry[] = [];
  const logger = createLogger({ level, format: 'pretty', console });
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(entry: LogEntry, _encoding, done) {
          logs.push(entry);
          done();
        },
      }),
    }),
  );
  return { logger, logs };
}
