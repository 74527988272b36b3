import winston from 'winston';

export type Logger = winston.Logger;

const pretty = winston.format.printf(({ timestamp, level, message, ...meta }) => {
  const fields = Object.entries(meta)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  return `${String(timestamp)} ${level}: ${String(message)}${fields ? ` | ${fields}` : ''}`;
});

export function createLogger(options: { level: string; format: 'json' | 'pretty'; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format:
      options.format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())
        : winston.format.combine(winston.format.timestamp(), winston.format.colorize(), pretty),
    transports: [new winston.transports.Console()],
  });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
