import type { RTCSctpTransport } from 'werift';
import { requestImmediateAcks, tsnAtOrAfter } from '../../src/webrtc/dataChannelDelivery';

type Chunk = { type: number; flags: number; tsn?: number };

/** A stand-in for werift's SCTP association: records the flags of each chunk it is asked to send. */
function fakeTransport(localTsn: number) {
  const sent: Chunk[] = [];
  const association = {
    localTsn,
    async sendChunk(chunk: Chunk) {
      sent.push({ ...chunk });
    },
  };
  return { transport: { sctp: association } as unknown as RTCSctpTransport, association, sent };
}

const DATA = 0;
const SACK = 3;
const I_BIT = 0x08;
const END_FRAGMENT = 0x03;

describe('requestImmediateAcks', () => {
  it('sets the I bit on DATA chunks from the next TSN on, first sends and retransmissions alike, and only there', async () => {
    const { transport, association, sent } = fakeTransport(100);
    requestImmediateAcks(transport);
    await association.sendChunk({ type: DATA, flags: END_FRAGMENT, tsn: 99 }); // sent before: a retransmission
    await association.sendChunk({ type: DATA, flags: END_FRAGMENT, tsn: 100 });
    await association.sendChunk({ type: DATA, flags: END_FRAGMENT, tsn: 100 }); // retransmitted
    await association.sendChunk({ type: SACK, flags: 0 });
    expect(sent.map((chunk) => chunk.flags)).toEqual([END_FRAGMENT, END_FRAGMENT | I_BIT, END_FRAGMENT | I_BIT, 0]);
  });

  it('undoes itself', async () => {
    const { transport, association, sent } = fakeTransport(7);
    requestImmediateAcks(transport)();
    await association.sendChunk({ type: DATA, flags: 0, tsn: 7 });
    expect(sent[0]!.flags).toBe(0);
  });

  it('does nothing without an SCTP transport', () => {
    expect(() => requestImmediateAcks(undefined)()).not.toThrow();
  });
});

describe('tsnAtOrAfter', () => {
  it('compares TSNs in serial number arithmetic, across the 32-bit wrap', () => {
    expect(tsnAtOrAfter(5, 5)).toBe(true);
    expect(tsnAtOrAfter(6, 5)).toBe(true);
    expect(tsnAtOrAfter(4, 5)).toBe(false);
    expect(tsnAtOrAfter(2, 0xffff_fffe)).toBe(true);
    expect(tsnAtOrAfter(0xffff_fffe, 2)).toBe(false);
  });
});
