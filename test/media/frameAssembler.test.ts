import { FrameAssembler, type VideoFrame } from '../../src/media/frameAssembler';

const packet = (timestamp: number, marker: boolean, bytes = 10) => ({
  header: { timestamp, marker, sequenceNumber: 0, payloadType: 96 },
  payload: Buffer.alloc(bytes),
});

describe('FrameAssembler', () => {
  it('groups packets with one timestamp into a frame completed by the marker bit', () => {
    const frames: VideoFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(3000, false));
    assembler.push(packet(3000, false));
    expect(frames).toHaveLength(0);
    assembler.push(packet(3000, true, 5));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ rtpTimestamp: 3000, packets: 3, bytes: 25 });
  });

  it('completes a frame whose marker was lost when the next timestamp arrives', () => {
    const frames: VideoFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(3000, false));
    assembler.push(packet(6000, true));
    expect(frames.map((frame) => frame.rtpTimestamp)).toEqual([3000, 6000]);
  });

  it('flushes a partial frame', () => {
    const frames: VideoFrame[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.push(packet(9000, false));
    assembler.flush();
    assembler.flush();
    expect(frames).toHaveLength(1);
  });
});
