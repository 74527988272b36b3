import fc from 'fast-check';
import { InOrderReplies } from '../../../src/media/decode/inOrderReplies';

describe('InOrderReplies', () => {
  it("holds a reply until the earlier ones of its stream are out; other streams' replies pass", () => {
    const delivered: string[] = [];
    const replies = new InOrderReplies<string>((reply) => delivered.push(reply));
    const a1 = replies.reserve('a');
    const b1 = replies.reserve('b');
    const a2 = replies.reserve('a');
    const a3 = replies.reserve('a');

    a3('a3');
    a2('a2');
    expect(delivered).toEqual([]);
    b1('b1');
    expect(delivered).toEqual(['b1']);
    a1('a1');
    expect(delivered).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(replies.streams).toBe(0);
  });

  it('counts only the first settling of a place', () => {
    const delivered: string[] = [];
    const replies = new InOrderReplies<string>((reply) => delivered.push(reply));
    const first = replies.reserve('a');
    const second = replies.reserve('a');
    second('timeout');
    second('late answer');
    first('answer');
    first('again');
    expect(delivered).toEqual(['answer', 'timeout']);
  });

  it('starts a stream afresh once it has nothing pending', () => {
    const delivered: string[] = [];
    const replies = new InOrderReplies<string>((reply) => delivered.push(reply));
    replies.reserve('a')('a1');
    expect(replies.streams).toBe(0);
    const a2 = replies.reserve('a');
    const a3 = replies.reserve('a');
    a3('a3');
    expect(replies.streams).toBe(1);
    a2('a2');
    expect(delivered).toEqual(['a1', 'a2', 'a3']);
    expect(replies.streams).toBe(0);
  });

  it('delivers every reply once, each stream in the order of its places, whatever the order of settling', () => {
    const request = fc.record({ stream: fc.constantFrom('a', 'b', 'c'), settleAt: fc.nat(1000) });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 60 }), (requests) => {
        const delivered: Array<{ stream: string; index: number }> = [];
        const replies = new InOrderReplies<{ stream: string; index: number }>((reply) => delivered.push(reply));
        const places = requests.map(({ stream, settleAt }, index) => ({ settle: replies.reserve(stream), stream, index, settleAt }));
        for (const place of [...places].sort((x, y) => x.settleAt - y.settleAt)) place.settle({ stream: place.stream, index: place.index });

        expect(delivered).toHaveLength(requests.length);
        for (const stream of ['a', 'b', 'c']) {
          const indexes = delivered.filter((reply) => reply.stream === stream).map((reply) => reply.index);
          expect(indexes).toEqual(places.filter((place) => place.stream === stream).map((place) => place.index));
        }
        expect(replies.streams).toBe(0);
      }),
    );
  });
});
