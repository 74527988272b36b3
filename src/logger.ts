import winston from 'winston';

export type Logger = winston.Logger;

/**
 * C0 and C1 control characters, DEL and the Unicode line and paragraph separators. A log message
 * or field can carry what a peer sent (a request body, an SDP line, a data-channel message, a
 * client's label): written raw, a newline would forge a log line and an ANSI escape would rewrite
 * the terminal. Escaped, one log call stays one line.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with every control character written as a visible escape (\n, \r, \t, \xNN, \uNNNN). */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => {
    if (character === '\n') return '\\n';
    if (character === '\r') return '\\r';
    if (character === '\t') return '\\t';
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function fieldText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * One line per entry: `timestamp level: message | key=value ...`. Everything after the level is
 * escaped (JSON.stringify leaves U+2028 and U+2029 raw, so objects are escaped too).
 */
export function prettyLine({ timestamp, level, message, ...meta }: winston.Logform.TransformableInfo): string {
  const fields = Object.entries(meta)
    .map(([key, value]) => `${escapeControlCharacters(key)}=${escapeControlCharacters(fieldText(value))}`)
    .join(' ');
  return `${String(timestamp)} ${level}: ${escapeControlCharacters(String(message))}${fields ? ` | ${fields}` : ''}`;
}

const pretty = winston.format.printf(prettyLine);

/** The console's format: JSON (which escapes control characters itself) or the coloured pretty line. */
export function consoleFormat(format: 'json' | 'pretty'): winston.Logform.Format {
  return format === 'json' ? winston.format.json() : winston.format.combine(winston.format.colorize(), pretty);
}

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
              format: consoleFormat(options.format),
            }),
          ],
  });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
