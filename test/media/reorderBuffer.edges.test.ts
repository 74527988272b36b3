/**
 * The reorder buffer at the edges of its rules: exactly at the run window, exactly at the
 * held-packet limit, and what a new run's first packet does (it is emitted at once, not held).
 */
import { ReorderBuffer, type ReorderBufferOptions } from '../../src/media/reorderBuffer';

const packet = (sequenceNumber: number, timestamp = 0, ssrc?: number) => ({
  header: { sequenceNumber, timestamp, marker: false, payloadType: 96, ssrc },
  payload: Buffer.alloc(1),
});

type Packet = ReturnType<typeof packet>;

const OPTIONS: ReorderBufferOptions = { maxHeldPackets: 8, maxWaitTicks: 1000, runWindow: 32 };

function buffer(options = OPTIONS) {
  const emitted: number[] = [];
  let newRuns = 0;
  const reorder = new ReorderBuffer((item: Packet) => emitted.push(item.header.sequenceNumber), options, () => newRuns++);
  return { reorder, emitted, newRuns: () => newRuns };
}

describe('ReorderBuffer at its edges', () => {
  it('holds a packet exactly the run window ahead; one further on starts a new run at once', () => {
    const at = buffer();
    at.reorder.push(packet(100));
    at.reorder.push(packet(101 + 32));
    expect(at.emitted).toEqual([100]);
    expect(at.newRuns()).toBe(0);

    const beyond = buffer();
    beyond.reorder.push(packet(100));
    beyond.reorder.push(packet(101 + 33));
    expect(beyond.emitted).toEqual([100, 134]);
    expect(beyond.newRuns()).toBe(1);
  });

  it('discards a packet exactly the run window behind; one further back starts a new run', () => {
    const at = buffer();
    at.reorder.push(packet(100));
    at.reorder.push(packet(101 - 32));
    expect(at.emitted).toEqual([100]);
    expect(at.newRuns()).toBe(0);

    const beyond = buffer();
    beyond.reorder.push(packet(100));
    beyond.reorder.push(packet(101 - 33));
    expect(beyond.emitted).toEqual([100, 68]);
    expect(beyond.newRuns()).toBe(1);
  });

  it('a new SSRC starts a new run with its first packet, whatever its number', () => {
    const { reorder, emitted, newRuns } = buffer();
    reorder.push(packet(100, 0, 1));
    reorder.push(packet(102, 0, 1));
    reorder.push(packet(101, 0, 2));
    // 102 is passed on at once (its run ended), then the new run's first packet.
    expect(emitted).toEqual([100, 102, 101]);
    expect(newRuns()).toBe(1);
    reorder.push(packet(102, 0, 2));
    expect(emitted).toEqual([100, 102, 101, 102]);
  });

  it('gives a missing packet up when one more than maxHeldPackets is held, not before', () => {
    const { reorder, emitted } = buffer();
    reorder.push(packet(1));
    for (let sequence = 3; sequence < 3 + 8; sequence++) reorder.push(packet(sequence));
    expect(emitted).toEqual([1]);
    reorder.push(packet(11));
    expect(emitted).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('gives up only the missing packets before the earliest held one, across the wrap', () => {
    const { reorder, emitted } = buffer({ maxHeldPackets: 2, maxWaitTicks: 1000, runWindow: 32 });
    reorder.push(packet(65533));
    // 65534 is missing; 0 and 65535 and 1 are held in this order, the earliest being 65535.
    reorder.push(packet(0));
    reorder.push(packet(65535));
    reorder.push(packet(2));
    expect(emitted).toEqual([65533, 65535, 0]);
  });

  it('flushes held packets in sequence order across the wrap', () => {
    const { reorder, emitted } = buffer({ maxHeldPackets: 100, maxWaitTicks: 1000, runWindow: 200 });
    reorder.push(packet(65530));
    for (const sequence of [3, 65535, 1, 65533]) reorder.push(packet(sequence));
    reorder.flush();
    expect(emitted).toEqual([65530, 65533, 65535, 1, 3]);
  });

  it('a packet of the previous run arriving after the restart is discarded as late, not a restart', () => {
    const { reorder, emitted, newRuns } = buffer();
    reorder.push(packet(100, 0, 1));
    reorder.push(packet(101, 0, 1));
    reorder.push(packet(5000, 0, 1));
    expect(newRuns()).toBe(1);
    reorder.push(packet(99, 0, 1));
    reorder.push(packet(5001, 0, 1));
    expect(emitted).toEqual([100, 101, 5000, 5001]);
    expect(newRuns()).toBe(1);
  });
});
