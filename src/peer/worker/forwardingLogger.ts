import { Writable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import winston from 'winston';
import type { Logger } from '../../logger';
import type { FromMediaWorker } from './mediaWorkerProtocol';

/** Fields winston adds that the main thread's logger adds again. */
const OWN_FIELDS = new Set(['level', 'message', 'timestamp']);

/**
 * A media worker's logger: the same interface as the server's; each entry is sent to the main
 * thread, which logs it through the server's logger (its format and transports).
 */
export function forwardingLogger(port: MessagePort, level: string): Logger {
  const forward = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, done) {
      const meta = Object.fromEntries(Object.entries(info).filter(([key]) => !OWN_FIELDS.has(key)));
      const entry: FromMediaWorker = { type: 'log', level: String(info.level), message: String(info.message), meta };
      port.postMessage(entry);
      done();
    },
  });
  return winston.createLogger({ level, transports: [new winston.transports.Stream({ stream: forward })] });
}
