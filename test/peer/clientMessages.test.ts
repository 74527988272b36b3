import { parseClientMessage } from '../../src/peer/clientMessages';

describe('parseClientMessage', () => {
  it('accepts end_stream', () => {
    expect(parseClientMessage('{"type":"end_stream"}')).toEqual({ ok: true, value: { type: 'end_stream' } });
  });

  it.each([
    [Buffer.from('{"type":"end_stream"}'), 'binary message'],
    ['not json', 'not JSON'],
    ['{"type":"dance"}', 'unknown message type "dance"'],
    ['[]', 'unknown message type null'],
    [JSON.stringify({ type: 'end_stream', pad: 'x'.repeat(5000) }), 'message over 4096 bytes'],
  ])('refuses %p: %s', (data, problem) => {
    expect(parseClientMessage(data)).toEqual({ ok: false, problem });
  });
});
