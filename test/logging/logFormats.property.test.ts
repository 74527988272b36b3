import fc from 'fast-check';
import { Writable } from 'node:stream';
import winston from 'winston';
import { consoleFormat, createLogger, escapeControlCharacters } from '../../src/logger';

/** A logger as the server makes it, writing its console format into `lines` instead of stdout. */
function formattedLogger(format: 'json' | 'pretty'): { log: winston.Logger; output: () => string } {
  let written = '';
  const log = createLogger({ level: 'debug', format, console: false });
  log.add(
    new winston.transports.Stream({
      format: consoleFormat(format),
      stream: new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          written += chunk.toString();
          done();
        },
      }),
    }),
  );
  return { log, output: () => written };
}

// What a peer controls: any string, with control characters, ANSI escapes and line breaks likely.
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme-composite' }),
  fc.string({ unit: fc.constantFrom('\n', '\r', '\u001b', '[31m', '\u0000', '\u0085', '\u2028', '\u2029', '\t', 'a', ' ', '\\', '"', '=') }),
  fc.string({ unit: 'binary' }),
);
const fieldValue = fc.oneof(hostileString, fc.integer(), fc.constant(null), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }), fc.array(hostileString, { maxLength: 3 }));
// Field names are the server's own, but never one winston reads itself.
const fieldName = fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !['level', 'message', 'timestamp', 'stack'].includes(key));
const meta = fc.dictionary(fieldName, fieldValue, { maxKeys: 4 });

const LINE_BREAKS = /[\n\r\u0085\u2028\u2029\u000b\u000c]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('log formats: one log call is one line, whatever the peer sent', () => {
  it('pretty: exactly one line, and nothing after the (coloured) level holds a control character', () => {
    fc.assert(
      fc.property(hostileString, meta, (message, fields) => {
        const { log, output } = formattedLogger('pretty');
        log.warn(message, fields);
        const written = output();
        expect(written.endsWith('\n')).toBe(true);
        const line = written.slice(0, -1);
        expect(line).not.toMatch(LINE_BREAKS);
        // The level is coloured by the server (ESC[33m...ESC[39m); the rest is the peer's reach.
        const afterLevel = line.slice(line.indexOf(': ') + 2);
        expect(afterLevel).not.toMatch(CONTROL);
      }),
      { numRuns: 300 },
    );
  });

  it('json: exactly one line, which parses back to the message and fields as given', () => {
    fc.assert(
      fc.property(hostileString, meta, (message, fields) => {
        const { log, output } = formattedLogger('json');
        log.warn(message, fields);
        const written = output();
        const line = written.slice(0, -1);
        expect(written.endsWith('\n')).toBe(true);
        expect(line).not.toMatch(/[\n\r]/);
        // eslint-disable-next-line no-control-regex
        expect(line).not.toMatch(/[\u0000-\u001f]/);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        expect(parsed.message).toBe(message);
        expect(parsed.level).toBe('warn');
      }),
      { numRuns: 300 },
    );
  });

  it('a forged line in a request body stays inside its own entry, escaped', () => {
    const { log, output } = formattedLogger('pretty');
    const forged = 'x\n2026-01-01T00:00:00.000Z info: \u001b[32mSession closed\u001b[0m';
    log.warn(`Offer rejected: ${forged}`, { body: forged, nested: { sdp: 'v=0\r\na=forged' } });
    const lines = output().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Offer rejected: x\\n2026-01-01T00:00:00.000Z info: \\x1b[32mSession closed\\x1b[0m');
    expect(lines[0]).toContain('body=x\\n2026');
    expect(lines[0]).toContain('nested={"sdp":"v=0\\r\\na=forged"}');
  });

  it('escapes each control character visibly and leaves the rest alone', () => {
    expect(escapeControlCharacters('a\tb\u0000c\u009bd\u2028é€')).toBe('a\\tb\\x00c\\x9bd\\u2028é€');
  });
});
