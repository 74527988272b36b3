/** The frame assembler at the edges of its rules: limits met exactly, and a sender that sets no marker bit. */
import { FrameAssembler, type AssembledFrame } from '../../src/media/frameAssembler';

const packet = (sequenceNumber: number, timestamp: number, marker: boolean, bytes = 10) => ({
  header: { timestamp, marker, sequenceNumber, payloadType: 96 },
  payload: Buffer.alloc(bytes),
});

function assemble(limits: { maxFrameBytes: number; maxFramePackets: number }, ...packets: Array<ReturnType<typeof packet>>): AssembledFrame[] {
  const frames: AssembledFrame[] = [];
  const assembler = new FrameAssembler((frame) => frames.push(frame), () => 0, limits);
  for (const item of packets) assembler.push(item);
  assembler.flush();
  return frames;
}

describe('FrameAssembler at its edges', () => {
  it('keeps a frame of exactly MAX_FRAME_BYTES and drops one byte more', () => {
    const limits = { maxFrameBytes: 20, maxFramePackets: 100 };
    const [exact] = assemble(limits, packet(1, 3000, false, 10), packet(2, 3000, true, 10));
    expect(exact).toMatchObject({ bytes: 20, packets: 2, incomplete: false });
    expect(exact!.overLimit).toBeUndefined();
    const [over] = assemble(limits, packet(1, 3000, false, 10), packet(2, 3000, true, 11));
    expect(over).toMatchObject({ overLimit: 'frame_bytes', payloads: [] });
  });

  it('keeps a frame of exactly MAX_FRAME_PACKETS and drops one packet more', () => {
    const limits = { maxFrameBytes: 1000, maxFramePackets: 2 };
    const [exact] = assemble(limits, packet(1, 3000, false), packet(2, 3000, true));
    expect(exact!.overLimit).toBeUndefined();
    const [over] = assemble(limits, packet(1, 3000, false), packet(2, 3000, false), packet(3, 3000, true));
    expect(over).toMatchObject({ overLimit: 'frame_packets' });
  });

  it('a frame that ends without a marker bit but with no packet missing is complete when the next timestamp arrives', () => {
    const frames = assemble({ maxFrameBytes: 1000, maxFramePackets: 100 }, packet(1, 3000, false), packet(2, 3000, false), packet(3, 6000, true));
    expect(frames.map((frame) => ({ ts: frame.rtpTimestamp, incomplete: frame.incomplete, afterLoss: frame.afterLoss }))).toEqual([
      { ts: 3000, incomplete: false, afterLoss: false },
      { ts: 6000, incomplete: false, afterLoss: false },
    ]);
  });
});
