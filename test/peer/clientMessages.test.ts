import fc from 'fast-check';
import { ClientMessageRate, parseClientMessage } from '../../src/peer/clientMessages';

const MAX = 4096;

describe('parseClientMessage', () => {
  it('accepts end_stream', () => {
    expect(parseClientMessage('{"type":"end_stream"}', MAX)).toEqual({ ok: true, value: { type: 'end_stream' } });
  });

  it.each([
    ['binary', Buffer.from('{"type":"end_stream"}'), 'binary', 'binary message'],
    ['text', 'not json', 'not_json', 'not JSON'],
    ['an unknown type', '{"type":"dance"}', 'unknown_type', 'unknown message type "dance"'],
    ['an array', '[]', 'unknown_type', 'unknown message type null'],
    ['a number type', '{"type":7}', 'unknown_type', 'unknown message type number'],
    ['end_stream over the limit', JSON.stringify({ type: 'end_stream', pad: 'x'.repeat(5000) }), 'too_large', 'message over 4096 bytes'],
    // Under the limit in UTF-16 units, over it in UTF-8 bytes.
    ['end_stream over the limit in UTF-8 bytes', JSON.stringify({ type: 'end_stream', pad: '€'.repeat(1500) }), 'too_large', 'message over 4096 bytes'],
    ['a long unknown type', JSON.stringify({ type: 'x'.repeat(1000) }), 'unknown_type', `unknown message type "${'x'.repeat(40)}..."`],
  ])('refuses %s as %s: %s', (_what, data, kind, problem) => {
    expect(parseClientMessage(data, MAX)).toEqual({ ok: false, kind, problem });
  });

  it('never throws; accepts exactly the end_stream objects within the limit; quotes at most a short excerpt', () => {
    const anyJson = fc.json({ maxDepth: 3 });
    const endStream = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((extra) => JSON.stringify({ ...extra, type: 'end_stream' }));
    const message = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), anyJson, endStream, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)));
    fc.assert(
      fc.property(message, fc.integer({ min: 2, max: 300 }), (data, maxBytes) => {
        const parsed = parseClientMessage(data, maxBytes);
        let expectedOk = false;
        if (typeof data === 'string' && Buffer.byteLength(data) <= maxBytes) {
          try {
            const value = JSON.parse(data) as unknown;
            expectedOk = typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === 'end_stream';
          } catch {
            expectedOk = false;
          }
        }
        expect(parsed.ok).toBe(expectedOk);
        if (!parsed.ok) expect(parsed.problem.length).toBeLessThanOrEqual(80);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('ClientMessageRate', () => {
  it('lets a second of messages through at once, then as many a second as the budget', () => {
    let now = 1_000;
    const rate = new ClientMessageRate(20, () => now);
    const burst = Array.from({ length: 50 }, () => rate.take()).filter(Boolean).length;
    expect(burst).toBe(20);
    now += 500;
    expect(Array.from({ length: 50 }, () => rate.take()).filter(Boolean).length).toBe(10);
    now += 10_000;
    expect(Array.from({ length: 50 }, () => rate.take()).filter(Boolean).length).toBe(20);
  });

  it('never lets more through than the budget allows over any run of calls', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 200 }), (perSecond, steps) => {
        let now = 0;
        const rate = new ClientMessageRate(perSecond, () => now);
        let passed = 0;
        for (const step of steps) {
          now += step;
          if (rate.take()) passed += 1;
        }
        expect(passed).toBeLessThanOrEqual(perSecond + Math.floor((now * perSecond) / 1000));
      }),
      { numRuns: 300 },
    );
  });
});
