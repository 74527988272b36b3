import { ReorderBuffer, type ReorderBufferOptions } from '../../src/media/reorderBuffer';

const packet = (sequenceNumber: number, timestamp = sequenceNumber * 100, ssrc?: number) => ({
  header: { sequenceNumber, timestamp, marker: false, payloadType: 96, ssrc },
  payload: Buffer.alloc(1),
});

type Packet = ReturnType<typeof packet>;

function reorder(sequences: number[], options: ReorderBufferOptions = { maxHeldPackets: 8, maxWaitTicks: 1000 }) {
  const emitted: number[] = [];
  let newRuns = 0;
  const buffer = new ReorderBuffer((item: Packet) => emitted.push(item.header.sequenceNumber), options, () => newRuns++);
  for (const sequence of sequences) buffer.push(packet(sequence));
  return { emitted, buffer, newRuns: () => newRuns };
}

/** `count` consecutive sequence numbers from `first`, across the wrap. */
const run = (first: number, count: number) => Array.from({ length: count }, (_, i) => (first + i) & 0xffff);

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
    // 3 is lost; 4..15 arrive. The held-packet limit is out of reach: only the wait can give 3 up,
    // once 4 (timestamp 400) has waited over 1000 ticks, when 15 (timestamp 1500) arrives.
    const { emitted, buffer } = reorder([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], { maxHeldPackets: 1000, maxWaitTicks: 1000 });
    expect(emitted).toEqual([1, 2]);
    buffer.push(packet(15));
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

  describe('a sender that restarts its sequence numbers', () => {
    // The default run window: 4 × maxHeldPackets = 32 here.
    it('keeps counting after a jump of 2^15 or more (5 packets, then 1,000 from 40000: all 1,005)', () => {
      const sequences = [...run(5, 5), ...run(40_000, 1000)];
      const { emitted, newRuns } = reorder(sequences);
      expect(emitted).toEqual(sequences);
      expect(newRuns()).toBe(1);
    });

    it.each([
      ['forward by exactly 2^15', 1000, 1000 + 0x8000],
      ['forward by just under 2^15', 1000, 1000 + 0x7fff],
      ['backward by just under 2^15', 40_000, 40_000 - 0x7fff],
      ['backward by 2^15 - 2', 40_000, 40_000 - 0x7ffe],
      ['backward beyond the run window', 40_000, 40_000 - 100],
      ['forward beyond the run window, across the wrap', 65_500, 65_500 + 4 + 100],
    ])('jumps %s: the new run is emitted at once and every packet is kept', (_, first, restart) => {
      const sequences = [...run(first, 4), ...run(restart, 50)];
      const { emitted, buffer, newRuns } = reorder(sequences);
      expect(emitted).toEqual(sequences);
      expect(buffer.heldCount).toBe(0);
      expect(newRuns()).toBe(1);
    });

    it('still waits for a missing packet within the run window ahead, and discards duplicates and late packets within it behind', () => {
      const { emitted, buffer, newRuns } = reorder([100, 101, 120, 121]);
      expect(emitted).toEqual([100, 101]);
      for (const late of [101, 100, 101 - 31, 120]) buffer.push(packet(late));
      expect(emitted).toEqual([100, 101]);
      expect(newRuns()).toBe(0);
    });

    it('emits what it held when the run ends, before the new run', () => {
      const { emitted, newRuns } = reorder([1, 3, 4, 30_000, 30_001]);
      expect(emitted).toEqual([1, 3, 4, 30_000, 30_001]);
      expect(newRuns()).toBe(1);
    });

    it('starts a new run on a new SSRC, even with sequence numbers that would be duplicates of the old one', () => {
      const emitted: Array<[number, number]> = [];
      const buffer = new ReorderBuffer((item: Packet) => emitted.push([item.header.ssrc!, item.header.sequenceNumber]), { maxHeldPackets: 8, maxWaitTicks: 1000 });
      for (const sequence of run(100, 5)) buffer.push(packet(sequence, sequence * 100, 1111));
      buffer.push(packet(102, 0, 1111));
      for (const sequence of run(98, 10)) buffer.push(packet(sequence, 50_000 + sequence * 100, 2222));
      expect(emitted).toEqual([...run(100, 5).map((s) => [1111, s]), ...run(98, 10).map((s) => [2222, s])]);
      expect(buffer.runCount).toBe(2);
    });

    it('discards duplicates after a restart, of the new run and of the run it left', () => {
      const emitted: Array<[number, number]> = [];
      const buffer = new ReorderBuffer((item: Packet) => emitted.push([item.header.ssrc!, item.header.sequenceNumber]), { maxHeldPackets: 8, maxWaitTicks: 1000 });
      const push = (ssrc: number, sequence: number) => buffer.push(packet(sequence, sequence * 100, ssrc));
      for (const sequence of run(100, 5)) push(1, sequence);
      push(1, 40_000);
      push(1, 40_001);
      // Duplicates and late packets of the old run (same SSRC, far from the new run) do not flip back to it.
      push(1, 104);
      push(1, 100);
      push(1, 40_000);
      push(1, 40_002);
      // Then a new SSRC; the SSRC left behind sends a duplicate.
      push(2, 7);
      push(1, 40_002);
      push(2, 8);
      push(2, 7);
      expect(emitted).toEqual([...run(100, 5).map((s) => [1, s]), [1, 40_000], [1, 40_001], [1, 40_002], [2, 7], [2, 8]]);
      expect(buffer.runCount).toBe(3);
    });

    it('keeps a packet of the old run that arrives after the restart (reordered across it): it is counted, not lost', () => {
      const { emitted } = reorder([100, 101, 40_000, 102, 40_001]);
      expect(emitted).toEqual([100, 101, 40_000, 102, 40_001]);
    });

    it('costs bounded memory and emits every packet once when a peer alternates two runs', () => {
      const options = { maxHeldPackets: 8, maxWaitTicks: 1000 };
      const emitted: number[] = [];
      let mostHeld = 0;
      const buffer = new ReorderBuffer((item: Packet) => emitted.push(item.header.sequenceNumber), options);
      const sent: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const sequence = i % 2 === 0 ? (100 + i) & 0xffff : (40_000 + 3 * i) & 0xffff;
        sent.push(sequence);
        buffer.push(packet(sequence, i * 7919));
        mostHeld = Math.max(mostHeld, buffer.heldCount);
      }
      buffer.flush();
      expect([...emitted].sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b));
      expect(mostHeld).toBeLessThanOrEqual(options.maxHeldPackets);
    });
  });
});
