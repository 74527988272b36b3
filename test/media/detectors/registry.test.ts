import { ColourRegionDetector } from '../../../src/media/detectors/colourRegion';
import type { Detection } from '../../../src/media/detectors/detector';
import { createDetector, DEFAULT_DETECTOR, detectorNames } from '../../../src/media/detectors/registry';
import { frameWith, GREY, RED } from './syntheticFrames';

describe('detector registry', () => {
  const frame = frameWith(160, 120, GREY, [[40, 30, 40, 30], RED]);

  it('names colour-region, the default, delayed-colour-region and none', () => {
    expect(DEFAULT_DETECTOR).toBe('colour-region');
    expect(detectorNames).toEqual(expect.arrayContaining(['colour-region', 'delayed-colour-region', 'none']));
    expect(detectorNames).toContain(DEFAULT_DETECTOR);
  });

  it('creates a working detector for every name that needs no model (onnx: test/media/detectors/onnx/)', async () => {
    for (const name of detectorNames.filter((known) => known !== 'onnx')) {
      const detector = createDetector(name);
      expect(detector.name).toBe(name);
      expect(Array.isArray(await detector.detect(frame))).toBe(true);
    }
  });

  it('creates the colour-region detector, with its options, and a new one each time', () => {
    const detector = createDetector('colour-region');
    expect(detector).toBeInstanceOf(ColourRegionDetector);
    expect((detector.detect(frame) as Detection[]).map((d) => d.bbox)).toEqual([[40, 30, 40, 30]]);
    expect(createDetector('colour-region')).not.toBe(detector);
    expect(createDetector('colour-region', { minAreaPixels: 5000 }).detect(frame)).toEqual([]);
  });

  it("creates 'none', which finds nothing and takes no options", () => {
    expect(createDetector('none').detect(frame)).toEqual([]);
    expect(() => createDetector('none', { minCr: 1 })).toThrow(/detector 'none': unknown option 'minCr'/);
  });

  it('creates delayed-colour-region: asynchronous, the picture read when the delay is over, with colour-region\'s options', async () => {
    jest.useFakeTimers();
    try {
      const detector = createDetector('delayed-colour-region', { delayMs: 50, concurrency: 3 });
      expect(detector.concurrency).toBe(3);
      const picture = frameWith(160, 120, GREY, [[40, 30, 40, 30], RED]);
      let answer: Detection[] | undefined;
      void Promise.resolve(detector.detect(picture)).then((detections) => (answer = detections));
      // Painted over before the delay is over: the answer sees what the picture holds then.
      const repainted = frameWith(160, 120, GREY, [[0, 0, 20, 20], RED]);
      for (const plane of ['y', 'u', 'v'] as const) picture[plane].set(repainted[plane]);
      await jest.advanceTimersByTimeAsync(49);
      expect(answer).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(answer?.map((d) => d.bbox)).toEqual([[0, 0, 20, 20]]);
      const filtered = createDetector('delayed-colour-region', { delayMs: 0, minAreaPixels: 5000 }).detect(frame);
      await jest.advanceTimersByTimeAsync(0);
      await expect(filtered).resolves.toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds every holdEvery-th answer of delayed-colour-region until the next call, answering the others synchronously', async () => {
    const detector = createDetector('delayed-colour-region', { holdEvery: 2, concurrency: 2 });
    const picture = frameWith(160, 120, GREY, [[40, 30, 40, 30], RED]);
    expect(detector.detect(picture)).toEqual([expect.objectContaining({ bbox: [40, 30, 40, 30] })]);
    let held: Detection[] | undefined;
    const second = detector.detect(picture);
    expect(second).toBeInstanceOf(Promise);
    void (second as Promise<Detection[]>).then((detections) => (held = detections));
    await new Promise((resolve) => setImmediate(resolve));
    expect(held).toBeUndefined();
    expect(detector.detect(picture)).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(held?.map((d) => d.bbox)).toEqual([[40, 30, 40, 30]]);
  });

  it.each([
    [{ delayMs: -1 }, /delayMs must be >= 0/],
    [{ jitterMs: -5 }, /jitterMs must be >= 0/],
    [{ concurrency: 0 }, /concurrency must be an integer >= 1, got 0/],
    [{ concurrency: 1.5 }, /concurrency must be an integer >= 1/],
    [{ minCR: 30 }, /detector 'delayed-colour-region': unknown option 'minCR'/],
    [{ holdEvery: 3 }, /holdEvery needs concurrency >= 2/],
    [{ holdEvery: 1.5, concurrency: 2 }, /holdEvery must be an integer >= 0/],
  ])('refuses delayed-colour-region with %j', (options, message) => {
    expect(() => createDetector('delayed-colour-region', options)).toThrow(message);
  });

  it('throws for an unknown name, listing the known ones', () => {
    expect(() => createDetector('yolo')).toThrow("unknown detector 'yolo' (known: colour-region, delayed-colour-region, none, onnx)");
    expect(() => createDetector('toString')).toThrow(/unknown detector 'toString'/);
    expect(() => createDetector('colour-region', { minCR: 30 })).toThrow(/unknown option 'minCR'/);
  });
});
