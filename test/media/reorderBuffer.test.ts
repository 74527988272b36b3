import { ReorderBuffer } from '../../src/media/reorderBuffer';

const packet = (sequenceNumber: number, timestamp = sequenceNumber * 100) => ({
  header: { sequenceNumber, timestamp, marker: false, payloadType: 96 },
  payload: Buffer.alloc(1),
});

function reorder(sequences: number[], options = { maxHeldPackets: 8, maxWaitTicks: 1000 }) {
  const emitted: number[] = [];
  const buffer = new ReorderBuffer((item: ReturnType<typeof packet>) => emitted.push(item.header.sequenceNumber), options);
  for (const sequence of sequences) buffer.push(packet(sequence));
  return { emitted, buffer };
}

describe('ReorderBuffer', () => {
  it('passes packets in order straight through', () => {
    expect(reorder([1, 2, 3]).emitted).toEqual([1, 2, 3]);
  });

  it('puts swapped packets back in order', () => {
    expect(reorder([1, 3, 2, 4]).emitted).toEqual([1, 2, 3, 4]);
  });

  it('drops duplicates and packets older than what was emitted', () => {
    expect(reorder([1, 2, 2, 1, 3]).emitted).toEqual([1, 2, 3]);
  });

  it('gives up a missing packet after the wait and keeps every packet that arrived', () => {
    // 3 is lost; 4..14 arrive; once 4 has waited over 1000 ticks (timestamps 100 apart), 3 is given up.
    const { emitted } = reorder([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(emitted).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('gives up a missing packet when too many pile up behind it', () => {
    const { emitted } = reorder([1, 3, 4, 5], { maxHeldPackets: 2, maxWaitTicks: 1_000_000 });
    expect(emitted).toEqual([1, 3, 4, 5]);
  });

  it('holds early packets until the missing one arrives within the wait', () => {
    const { emitted, buffer } = reorder([1, 3, 4]);
    expect(emitted).toEqual([1]);
    buffer.push(packet(2));
    expect(emitted).toEqual([1, 2, 3, 4]);
  });

  it('follows sequence numbers across the wrap, and flush() emits what is held', () => {
    const { emitted, buffer } = reorder([65534, 65535, 1, 0]);
    expect(emitted).toEqual([65534, 65535, 0, 1]);
    buffer.push(packet(3, 400));
    buffer.flush();
    expect(emitted).toEqual([65534, 65535, 0, 1, 3]);
  });
});
