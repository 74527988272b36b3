import fc from 'fast-check';
import { FrameAssembler, type AssembledFrame } from '../../src/media/frameAssembler';

const packet = (sequenceNumber: number, timestamp: number, marker: boolean, bytes = 10) => ({
  header: { timestamp, marker, sequenceNumber, payloadType: 96 },
  payload: Buffer.alloc(bytes),
});

function assemble(...packets: Array<ReturnType<typeof packet>>): AssembledFrame[] {
  const frames: AssembledFrame[] = [];
  const assembler = new FrameAssembler((frame) => frames.push(frame));
  for (const item of packets) assembler.push(item);
  assembler.flush();
  return frames;
}

describe('FrameAssembler', () => {
  it('groups packets with one timestamp into a frame completed by the marker bit', () => {
    const frames: AssembledFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(1, 3000, false));
    assembler.push(packet(2, 3000, false));
    expect(frames).toHaveLength(0);
    assembler.push(packet(3, 3000, true, 5));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ rtpTimestamp: 3000, packets: 3, bytes: 25, incomplete: false, afterLoss: false });
  });

  it('completes a frame whose marker was lost when the next timestamp arrives, and marks it incomplete', () => {
    const frames = assemble(packet(1, 3000, false), packet(3, 6000, true));
    expect(frames.map((frame) => [frame.rtpTimestamp, frame.incomplete, frame.afterLoss])).toEqual([
      [3000, true, false],
      [6000, false, true],
    ]);
  });

  it('marks a frame missing a middle packet incomplete, and the frame after lost frames as after a loss', () => {
    const frames = assemble(packet(1, 3000, false), packet(3, 3000, true), packet(10, 9000, true), packet(11, 12000, true));
    expect(frames.map((frame) => [frame.incomplete, frame.afterLoss])).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ]);
  });

  it('follows sequence numbers across their wrap', () => {
    const frames = assemble(packet(65535, 3000, true), packet(0, 6000, true));
    expect(frames.map((frame) => frame.afterLoss)).toEqual([false, false]);
  });

  it('flushes a partial frame', () => {
    const frames: AssembledFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(1, 9000, false));
    assembler.flush();
    assembler.flush();
    expect(frames).toHaveLength(1);
  });

  it('flush() emits the open frame as incomplete (its end was never seen), and the next frame comes after a loss', () => {
    const frames: AssembledFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(1, 9000, false));
    assembler.flush();
    // A new run of sequence numbers that happens to continue the old one.
    assembler.push(packet(2, 12_000, true));
    expect(frames.map(({ incomplete, afterLoss }) => ({ incomplete, afterLoss }))).toEqual([
      { incomplete: true, afterLoss: false },
      { incomplete: false, afterLoss: true },
    ]);
  });
});

describe('FrameAssembler limits (MAX_FRAME_BYTES, MAX_FRAME_PACKETS)', () => {
  const limits = { maxFrameBytes: 5000, maxFramePackets: 16 };

  it('drops an endless frame at its packet limit, keeps none of its payloads, and resynchronises on the next timestamp', () => {
    const frames: AssembledFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame), Date.now, limits);
    for (let i = 0; i < 10_000; i++) assembler.push(packet(i, 3000, false, 100));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ rtpTimestamp: 3000, overLimit: 'frame_packets', payloads: [] });
    assembler.push(packet(10_000, 6000, true, 100));
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatchObject({ rtpTimestamp: 6000, packets: 1, incomplete: false, afterLoss: false });
    expect(frames[1]!.overLimit).toBeUndefined();
  });

  it('drops a frame at its byte limit; the packet after its marker starts a new frame', () => {
    const all: AssembledFrame[] = [];
    const assembler = new FrameAssembler((frame) => all.push(frame), Date.now, limits);
    for (const item of [packet(1, 3000, false, 3000), packet(2, 3000, false, 3000), packet(3, 3000, true, 10), packet(4, 3000, true, 10)]) assembler.push(item);
    expect(all.map((frame) => [frame.overLimit ?? 'ok', frame.payloads.length])).toEqual([['frame_bytes', 0], ['ok', 1]]);
  });

  /** Frames as a receiver should see them: runs of one timestamp, each ended by its marker. */
  function expectedFrames(packets: Array<{ timestamp: number; marker: boolean }>): number {
    let frames = 0;
    let open: number | null = null;
    for (const { timestamp, marker } of packets) {
      if (open === null || open !== timestamp) frames++;
      open = marker ? null : timestamp;
    }
    return frames;
  }

  it('emits every frame once, within its limits, whatever the packets (property)', () => {
    const packets = fc.array(fc.record({ timestamp: fc.integer({ min: 0, max: 3 }), marker: fc.boolean(), bytes: fc.integer({ min: 0, max: 1500 }), skip: fc.integer({ min: 0, max: 20 }) }), { maxLength: 300 });
    fc.assert(
      fc.property(packets, fc.integer({ min: 1, max: 8000 }), fc.integer({ min: 1, max: 40 }), (items, maxFrameBytes, maxFramePackets) => {
        const frames: AssembledFrame[] = [];
        const assembler = new FrameAssembler((frame) => frames.push(frame), () => 0, { maxFrameBytes, maxFramePackets });
        let sequence = 0;
        for (const item of items) {
          sequence = (sequence + (item.skip === 0 ? 2 : 1)) & 0xffff;
          assembler.push(packet(sequence, item.timestamp, item.marker, item.bytes));
        }
        assembler.flush();
        expect(frames).toHaveLength(expectedFrames(items));
        for (const frame of frames) {
          const kept = frame.payloads.reduce((sum, payload) => sum + payload.length, 0);
          expect(kept).toBeLessThanOrEqual(maxFrameBytes);
          expect(frame.payloads.length).toBeLessThanOrEqual(maxFramePackets);
          if (frame.overLimit) expect(frame.payloads).toEqual([]);
          else expect(frame.payloads).toHaveLength(frame.packets);
        }
      }),
      { numRuns: 500 },
    );
  });
});
