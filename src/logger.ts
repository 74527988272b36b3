import winston from 'winston';

export type Logger = winston.Logger;

const pretty = winston.format.printf(({ timestamp, level, message, ...meta }) => {
  const fields = Object.entries(meta)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  return `${String(timestamp)} ${level}: ${String(message)}${fields ? ` | ${fields}` : ''}`;
});

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  silent?: boolean;
  /** Write to the console (default). Tests turn it off and add a transport of their own. */
  console?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true })),
    // Formatting belongs to the console transport: colorize rewrites `level`, which other
    // transports (tests' capture, shippers) must see plain.
    transports:
      options.console === false
        ? []
        : [
            new winston.transports.Console({
              format: options.format === 'json' ? winston.format.json() : winston.format.combine(winston.format.colorize(), pretty),
            }),
          ],
  });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
