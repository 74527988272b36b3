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
});
