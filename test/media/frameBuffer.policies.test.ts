import { FrameBuffer } from '../../src/media/frameBuffer';

/** The buffer's limits and its one-taker rule, at their edges. */
describe('FrameBuffer limits', () => {
  it('holds exactly its capacity: a buffer of one keeps one frame and drops at the second', async () => {
    const dropped: number[] = [];
    const buffer = new FrameBuffer<number>(1, (frame) => dropped.push(frame));
    buffer.push(1);
    expect(dropped).toEqual([]);
    expect(buffer.size).toBe(1);
    buffer.push(2);
    expect(dropped).toEqual([1]);
    expect(buffer.size).toBe(1);
    expect(await buffer.take()).toBe(2);
    expect(buffer.size).toBe(0);
  });

  it('keeps its policy and capacity readable, drop_oldest by default', () => {
    const buffer = new FrameBuffer<number>(4, () => {});
    expect(buffer.policy).toBe('drop_oldest');
    expect(buffer.capacity).toBe(4);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses capacity %p', (capacity) => {
    expect(() => new FrameBuffer<number>(capacity, () => {})).toThrow(new RangeError('capacity must be an integer >= 1'));
  });

  it('has one taker at a time: a second take while one waits is refused', async () => {
    const buffer = new FrameBuffer<number>(2, () => {});
    const first = buffer.take();
    expect(() => buffer.take()).toThrow('FrameBuffer.take() already has a waiting taker');
    buffer.push(9);
    expect(await first).toBe(9);
    // Handed over: the next take waits again, and may.
    const next = buffer.take();
    buffer.push(10);
    expect(await next).toBe(10);
  });

  it('a frame handed to a waiting taker is not queued, so the buffer stays empty and nothing is dropped', async () => {
    const dropped: number[] = [];
    const buffer = new FrameBuffer<number>(1, (frame) => dropped.push(frame), 'drop_newest');
    const taken = buffer.take();
    buffer.push(1);
    expect(buffer.size).toBe(0);
    buffer.push(2);
    buffer.push(3);
    expect(await taken).toBe(1);
    expect(dropped).toEqual([3]);
    expect(buffer.close()).toEqual([2]);
  });

  it('takes queued frames in order, then undefined once closed and drained', async () => {
    const buffer = new FrameBuffer<number>(3, () => {});
    buffer.push(1);
    buffer.push(2);
    expect(await buffer.take()).toBe(1);
    expect(buffer.close()).toEqual([2]);
    expect(buffer.size).toBe(0);
    expect(await buffer.take()).toBeUndefined();
    expect(await buffer.take()).toBeUndefined();
  });
});
