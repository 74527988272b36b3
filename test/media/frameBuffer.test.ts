import { FrameBuffer } from '../../src/media/frameBuffer';

describe('FrameBuffer', () => {
  it('drops the oldest frame when full by default', async () => {
    const dropped: number[] = [];
    const buffer = new FrameBuffer<number>(3, (frame) => dropped.push(frame));
    for (let frame = 1; frame <= 5; frame++) buffer.push(frame);

    expect(dropped).toEqual([1, 2]);
    expect(await buffer.take()).toBe(3);
    expect(buffer.size).toBe(2);
  });

  it('drops the newest frame with the drop_newest policy', async () => {
    const dropped: number[] = [];
    const buffer = new FrameBuffer<number>(2, (frame) => dropped.push(frame), 'drop_newest');
    for (let frame = 1; frame <= 4; frame++) buffer.push(frame);

    expect(dropped).toEqual([3, 4]);
    expect(await buffer.take()).toBe(1);
  });

  it('hands a frame straight to a waiting taker', async () => {
    const buffer = new FrameBuffer<string>(1, () => {
      throw new Error('nothing should be dropped');
    });
    const taken = buffer.take();
    buffer.push('a');
    buffer.push('b');
    expect(await taken).toBe('a');
    expect(await buffer.take()).toBe('b');
  });

  it('wakes a waiting taker with undefined on close and returns what was queued', async () => {
    const buffer = new FrameBuffer<number>(5, () => {});
    const waiting = buffer.take();
    expect(buffer.close()).toEqual([]);
    expect(await waiting).toBeUndefined();

    const other = new FrameBuffer<number>(5, () => {});
    other.push(1);
    other.push(2);
    expect(other.close()).toEqual([1, 2]);
    expect(other.close()).toEqual([]);
    expect(await other.take()).toBeUndefined();
  });

  it('counts frames pushed after close as dropped', () => {
    const dropped: number[] = [];
    const buffer = new FrameBuffer<number>(5, (frame) => dropped.push(frame));
    buffer.close();
    buffer.push(7);
    expect(dropped).toEqual([7]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new FrameBuffer<number>(0, () => {})).toThrow(RangeError);
  });
});
