import { AnalysisSampler } from '../../src/media/analysisRate';

/** 30 fps on the 90 kHz clock. */
const FRAME_TICKS = 3000;

/**
 * Feeds frames with these RTP timestamps to a sampler the way the analyzer does (asks, and
 * reports the frames analysed unless `noPicture` says the decoder gave none) and returns the
 * indexes of the frames that were due.
 */
function sample(sampler: AnalysisSampler, timestamps: number[], noPicture: ReadonlySet<number> = new Set()): number[] {
  const due: number[] = [];
  timestamps.forEach((timestamp, index) => {
    if (!sampler.due(timestamp)) return;
    due.push(index);
    if (!noPicture.has(index)) sampler.analysed(timestamp);
  });
  return due;
}

const steady = (count: number, start = 0, step = FRAME_TICKS) => Array.from({ length: count }, (_, i) => (start + i * step) >>> 0);

describe('AnalysisSampler', () => {
  it('picks one frame in six of a 30 fps track at 5 fps, the first frame first', () => {
    expect(sample(new AnalysisSampler(5), steady(60))).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
  });

  it('picks every frame when the rate is at or above the source rate', () => {
    expect(sample(new AnalysisSampler(30), steady(30))).toHaveLength(30);
    expect(sample(new AnalysisSampler(60), steady(30))).toHaveLength(30);
  });

  it('analyses at the rate on average when it does not divide the source rate (30 fps at 7 gives 7 a second, not 6)', () => {
    const due = sample(new AnalysisSampler(7), steady(300));
    expect(due).toHaveLength(70);
    // Never two frames closer than one frame less than the slot: 4 or 5 frames apart.
    const gaps = due.slice(1).map((index, i) => index - due[i]!);
    expect(new Set(gaps)).toEqual(new Set([4, 5]));
  });

  it('allows decimal rates: 0.5 fps picks one frame every two seconds', () => {
    expect(sample(new AnalysisSampler(0.5), steady(181))).toEqual([0, 60, 120, 180]);
  });

  it('is not thrown off by jitter in the sender timestamps (10 fps of a jittery 30 fps stays 10 fps)', () => {
    // Capture times a few ticks early or late, as a browser camera gives them.
    const jitter = [0, -15, 12, -9, 7, -20, 18, -4, 3, -11];
    const timestamps = steady(300).map((timestamp, i) => (timestamp + jitter[i % jitter.length]! + 100) >>> 0);
    expect(sample(new AnalysisSampler(10), timestamps)).toHaveLength(100);
  });

  it('carries on across the 32-bit RTP timestamp wrap', () => {
    const start = 2 ** 32 - 10 * FRAME_TICKS;
    const timestamps = steady(60, start);
    expect(timestamps[10]).toBe(0);
    expect(sample(new AnalysisSampler(5), timestamps)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
  });

  it('leaves the slot open when a due frame gave no picture: the next frame is due instead', () => {
    // Frames 0 and 1 give no picture, 2 is analysed; 8 gives none, 9 takes its slot, 14 is on the grid.
    expect(sample(new AnalysisSampler(5), steady(20), new Set([0, 1, 8]))).toEqual([0, 1, 2, 8, 9, 14]);
  });

  it('starts the slots again after a gap in the stream (frames lost or a paused sender)', () => {
    const timestamps = [...steady(7), ...steady(10, 100 * FRAME_TICKS + 1000)];
    expect(sample(new AnalysisSampler(5), timestamps)).toEqual([0, 6, 7, 13]);
  });

  it('skips a frame stepping back a little in media time, but starts again when the sender restarts its clock', () => {
    const sampler = new AnalysisSampler(5);
    expect(sample(sampler, [900_000, 903_000, 897_000])).toEqual([0]);
    // Ten seconds back: a new clock, analysed at once, and sampled from there.
    expect(sample(sampler, steady(13))).toEqual([0, 6, 12]);
  });

  it('refuses a rate that is not a positive number', () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new AnalysisSampler(rate)).toThrow(RangeError);
  });
});
