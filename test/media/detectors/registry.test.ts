import { ColourRegionDetector } from '../../../src/media/detectors/colourRegion';
import { createDetector, DEFAULT_DETECTOR, detectorNames } from '../../../src/media/detectors/registry';
import { frameWith, GREY, RED } from './syntheticFrames';

describe('detector registry', () => {
  const frame = frameWith(160, 120, GREY, [[40, 30, 40, 30], RED]);

  it('names colour-region, the default, and none', () => {
    expect(DEFAULT_DETECTOR).toBe('colour-region');
    expect(detectorNames).toEqual(expect.arrayContaining(['colour-region', 'none']));
    expect(detectorNames).toContain(DEFAULT_DETECTOR);
  });

  it('creates a working detector for every name', () => {
    for (const name of detectorNames) {
      const detector = createDetector(name);
      expect(detector.name).toBe(name);
      expect(Array.isArray(detector.detect(frame))).toBe(true);
    }
  });

  it('creates the colour-region detector, with its options, and a new one each time', () => {
    const detector = createDetector('colour-region');
    expect(detector).toBeInstanceOf(ColourRegionDetector);
    expect(detector.detect(frame).map((d) => d.bbox)).toEqual([[40, 30, 40, 30]]);
    expect(createDetector('colour-region')).not.toBe(detector);
    expect(createDetector('colour-region', { minAreaPixels: 5000 }).detect(frame)).toEqual([]);
  });

  it("creates 'none', which finds nothing and takes no options", () => {
    expect(createDetector('none').detect(frame)).toEqual([]);
    expect(() => createDetector('none', { minCr: 1 })).toThrow(/detector 'none': unknown option 'minCr'/);
  });

  it('throws for an unknown name, listing the known ones', () => {
    expect(() => createDetector('yolo')).toThrow("unknown detector 'yolo' (known: colour-region, none)");
    expect(() => createDetector('toString')).toThrow(/unknown detector 'toString'/);
    expect(() => createDetector('colour-region', { minCR: 30 })).toThrow(/unknown option 'minCR'/);
  });
});
