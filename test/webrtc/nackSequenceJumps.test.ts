/**
 * werift's NACK generator as patched (patches/werift+0.25.2+012+nack-sequence-jumps.patch): sequence numbers compared
 * modulo 2^16, and a jump beyond what NACK can recover (a sender restart) followed without
 * marking the numbers in between as lost. Before, every packet a wrap or a jump put "behind"
 * marked up to ~65,000 numbers lost one by one: a peer alternating two sequence numbers made
 * the server's media thread spend ~17 ms per packet.
 */
import { dirname, join } from 'node:path';

interface NackHandlerLike {
  lostSeqNumbers: number[];
  addPacket(packet: unknown): void;
  setLost(seq: number, count: number): void;
  close(): void;
}

// Not exported by werift: loaded from the CommonJS copy the server loads (the package's `require` entry).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NackHandler } = require(join(dirname(require.resolve('werift')), 'media/receiver/nack.js')) as {
  NackHandler: new (receiver: unknown) => NackHandlerLike;
};

const LOST_SIZE = 150;

function handler() {
  const receiver = { onPacketLost: { execute: () => {} } };
  const nack = new NackHandler(receiver);
  (nack as unknown as { sendNack: () => Promise<void> }).sendNack = async () => {};
  let marked = 0;
  const setLost = nack.setLost.bind(nack);
  nack.setLost = (seq: number, count: number) => {
    marked++;
    setLost(seq, count);
  };
  const push = (sequenceNumber: number) => nack.addPacket({ header: { sequenceNumber, ssrc: 7 } });
  return { nack, push, marked: () => marked };
}

describe('werift NACK generator (patch 012 nack-sequence-jumps)', () => {
  afterEach(() => jest.useRealTimers());

  it('marks a small gap lost, across the wrap too', () => {
    const { nack, push } = handler();
    for (const sequence of [65_530, 65_531, 65_534, 1, 2]) push(sequence);
    expect(nack.lostSeqNumbers.sort((a, b) => a - b)).toEqual([0, 65_532, 65_533, 65_535]);
    nack.close();
  });

  it('costs at most LOST_SIZE marks per packet when a peer alternates sequence numbers, and marks nothing for a restart', () => {
    const { nack, push, marked } = handler();
    let packets = 0;
    for (let cycle = 0; cycle < 50; cycle++) {
      for (const sequence of [1, 65_534, 65_535, 0, 40_000]) {
        push(sequence);
        packets++;
      }
    }
    expect(marked()).toBeLessThanOrEqual(packets * LOST_SIZE);
    expect(marked()).toBeLessThan(1000);
    nack.close();
  });

  it('follows a sender that restarted its numbers: the new run gets NACKs for its own losses', () => {
    const { nack, push } = handler();
    for (const sequence of [40_000, 40_001, 40_002]) push(sequence);
    for (const sequence of [100, 101, 103]) push(sequence);
    expect(nack.lostSeqNumbers).toEqual([102]);
    nack.close();
  });
});
