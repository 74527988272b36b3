import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { COLOUR_REGION_DEFAULTS, ColourRegionDetector } from '../../../src/media/detectors/colourRegion';
import { paintRect, solidI420, type Rgb } from '../../../src/media/i420Frame';
import { summarize } from '../../helpers/stats';
import {
  BLUE,
  coveredShare,
  edgeDistance,
  frameWith,
  GREEN,
  GREY,
  NOT_RED,
  RED,
  WOUND_REDS,
  type Rect,
} from './syntheticFrames';

describe('ColourRegionDetector', () => {
  const detector = new ColourRegionDetector();

  it('finds one red square on grey with its box within 2 px and a score above 0.5', () => {
    const truth: Rect = [101, 77, 61, 45];
    const detections = detector.detect(frameWith(320, 240, GREY, [truth, RED]));

    expect(detections).toHaveLength(1);
    const [found] = detections;
    expect(found!.label).toBe('wound');
    expect(edgeDistance(found!.bbox, truth)).toBeLessThanOrEqual(2);
    expect(found!.score).toBeGreaterThan(0.5);
    expect(found!.score).toBeLessThanOrEqual(1);
  });

  it.each(Object.entries(WOUND_REDS))('finds %s on grey and on skin', (_name, colour) => {
    const truth: Rect = [40, 30, 80, 60];
    for (const background of [GREY, NOT_RED.mediumSkin!, NOT_RED.brownSkin!]) {
      const detections = detector.detect(frameWith(200, 150, background, [truth, colour]));
      expect(detections).toHaveLength(1);
      expect(edgeDistance(detections[0]!.bbox, truth)).toBeLessThanOrEqual(2);
      expect(detections[0]!.score).toBeGreaterThan(0);
    }
  });

  it('gives two detections for two separate red regions, the redder first', () => {
    const bright: Rect = [200, 120, 50, 40];
    const dull: Rect = [20, 20, 60, 60];
    const detections = detector.detect(frameWith(320, 240, GREY, [dull, WOUND_REDS.dullRed!], [bright, RED]));

    expect(detections).toHaveLength(2);
    expect(edgeDistance(detections[0]!.bbox, bright)).toBeLessThanOrEqual(2);
    expect(edgeDistance(detections[1]!.bbox, dull)).toBeLessThanOrEqual(2);
    expect(detections[0]!.score).toBeGreaterThan(detections[1]!.score);
  });

  it('drops regions under the minimum area', () => {
    // 320x240: max(400 px, 0.2% of 76800 px) = 400 px.
    expect(detector.detect(frameWith(320, 240, GREY, [[100, 100, 18, 18], RED]))).toEqual([]);
    expect(detector.detect(frameWith(320, 240, GREY, [[100, 100, 20, 20], RED]))).toHaveLength(1);
    // 640x480: 0.2% of the frame is 614 px, more than 400.
    expect(detector.detect(frameWith(640, 480, GREY, [[100, 100, 22, 22], RED]))).toEqual([]);
    expect(detector.detect(frameWith(640, 480, GREY, [[100, 100, 26, 26], RED]))).toHaveLength(1);

    const lenient = new ColourRegionDetector({ minAreaPixels: 16, minAreaFraction: 0 });
    expect(lenient.detect(frameWith(320, 240, GREY, [[100, 100, 4, 4], RED]))).toHaveLength(1);
  });

  it.each(Object.entries(NOT_RED))('finds nothing in a plain %s frame', (_name, colour) => {
    expect(detector.detect(solidI420(320, 240, colour))).toEqual([]);
  });

  it('finds nothing in green and blue squares on grey or on skin', () => {
    for (const background of [GREY, NOT_RED.fairSkin!]) {
      const frame = frameWith(320, 240, background, [[20, 20, 100, 100], GREEN], [[180, 60, 100, 120], BLUE]);
      expect(detector.detect(frame)).toEqual([]);
    }
  });

  it('finds nothing in skin, beige and orange patches next to each other', () => {
    const patches = Object.values(NOT_RED).map((colour, i): [Rect, Rgb] => [
      [(i % 6) * 50, Math.floor(i / 6) * 80, 50, 80],
      colour,
    ]);
    expect(detector.detect(frameWith(300, 240, GREY, ...patches))).toEqual([]);
  });

  it('works on odd frame sizes, up to the right and bottom edges', () => {
    const corner: Rect = [281, 201, 40, 40];
    const frame = frameWith(321, 241, GREY, [corner, RED], [[0, 0, 31, 27], WOUND_REDS.woundRed!]);
    const detections = detector.detect(frame);

    expect(detections).toHaveLength(2);
    const boxes = detections.map((d) => d.bbox).sort((a, b) => a[0] - b[0]);
    expect(edgeDistance(boxes[0]!, [0, 0, 31, 27])).toBeLessThanOrEqual(2);
    expect(edgeDistance(boxes[1]!, corner)).toBeLessThanOrEqual(2);
    expect(boxes[1]![0] + boxes[1]![2]).toBe(321);
    expect(boxes[1]![1] + boxes[1]![3]).toBe(241);

    const full = detector.detect(solidI420(321, 241, RED));
    expect(full.map((d) => d.bbox)).toEqual([[0, 0, 321, 241]]);
    expect(detector.detect(solidI420(1, 1, RED))).toEqual([]);
  });

  it('joins diagonal neighbours (8-connectivity) and scores a ring below a solid square', () => {
    const diagonal = detector.detect(frameWith(200, 200, GREY, [[20, 20, 30, 30], RED], [[50, 50, 30, 30], RED]));
    expect(diagonal.map((d) => d.bbox)).toEqual([[20, 20, 60, 60]]);

    const ring = frameWith(200, 200, GREY, [[20, 20, 80, 80], RED], [[30, 30, 60, 60], GREY]);
    const [ringFound] = detector.detect(ring);
    expect(ringFound!.bbox).toEqual([20, 20, 80, 80]);
    expect(ringFound!.score).toBeLessThan(0.5);
  });

  it('keeps the maxDetections best regions', () => {
    const squares = Array.from({ length: 12 }, (_, i): [Rect, Rgb] => [
      [(i % 4) * 80 + 10, Math.floor(i / 4) * 80 + 10, 40, 40],
      RED,
    ]);
    const frame = frameWith(320, 240, GREY, ...squares);
    expect(detector.detect(frame)).toHaveLength(COLOUR_REGION_DEFAULTS.maxDetections);
    expect(new ColourRegionDetector({ maxDetections: 3 }).detect(frame)).toHaveLength(3);
  });

  it('gives the same answers when frame sizes change between calls', () => {
    const small = frameWith(160, 120, GREY, [[10, 10, 40, 40], RED]);
    const odd = frameWith(321, 241, GREY, [[200, 100, 50, 50], RED], [[10, 10, 30, 30], RED]);
    const first = [detector.detect(small), detector.detect(odd)];
    expect([detector.detect(small), detector.detect(odd), detector.detect(small)]).toEqual([...first, first[0]]);
  });

  it('rejects frames whose planes are not tightly packed, and bad options', () => {
    const frame = solidI420(64, 48, GREY);
    expect(() => detector.detect({ ...frame, y: new Uint8Array(64 * 48 + 64) })).toThrow(/tightly packed/);
    expect(() => detector.detect({ ...frame, u: frame.u.subarray(1) })).toThrow(/tightly packed/);
    expect(() => new ColourRegionDetector({ minRedness: 3 })).toThrow(/unknown option 'minRedness'.*minCr/);
    expect(() => new ColourRegionDetector({ minCr: Number.NaN })).toThrow(/finite number/);
    expect(() => new ColourRegionDetector({ minCr: 0, maxDetections: 0.5 })).toThrow(/minCr.*maxDetections/);
  });

  it('keeps the edge samples where the red blends with the background (hysteresis)', () => {
    // Odd edges: the outer chroma samples are half maroon, half grey (cr 22, under minCr 40).
    const truth: Rect = [31, 21, 41, 33];
    const frame = frameWith(160, 120, GREY, [truth, WOUND_REDS.maroon!]);
    expect(detector.detect(frame).map((d) => d.bbox)).toEqual([[30, 20, 42, 34]]);
    const strict = new ColourRegionDetector({ minEdgeCr: COLOUR_REGION_DEFAULTS.minCr });
    expect(strict.detect(frame).map((d) => d.bbox)).toEqual([[32, 22, 40, 32]]);
    // Edge-red samples alone never make a region.
    expect(detector.detect(solidI420(160, 120, [170, 100, 100]))).toEqual([]);
  });

  it('finds any painted wound-red rectangle on a non-red background (property)', () => {
    // Sides of 40 px or more: on skin, a half-covered edge sample can fail the hue test, so each
    // edge may move in by 1 px, and (40 - 2) / 40 squared is still over 90% of the rectangle.
    const backgrounds = ['grey', 'white', 'black', 'lightSkin', 'mediumSkin', 'tanSkin', 'brownSkin', 'darkSkin', 'beige'];
    const scene = fc
      .record({ width: fc.integer({ min: 40, max: 400 }), height: fc.integer({ min: 40, max: 300 }) })
      .chain(({ width, height }) =>
        fc.record({
          width: fc.constant(width),
          height: fc.constant(height),
          rect: fc
            .tuple(fc.integer({ min: 40, max: width }), fc.integer({ min: 40, max: height }))
            .chain(([w, h]) =>
              fc.tuple(
                fc.integer({ min: 0, max: width - w }),
                fc.integer({ min: 0, max: height - h }),
                fc.constant(w),
                fc.constant(h),
              ),
            ),
          colour: fc.constantFrom(...Object.values(WOUND_REDS)),
          background: fc.constantFrom(...backgrounds.map((name) => NOT_RED[name]!)),
        }),
      );
    fc.assert(
      fc.property(scene, ({ width, height, rect, colour, background }) => {
        const frame = paintRect(solidI420(width, height, background), ...rect, colour);
        const detections = detector.detect(frame);
        expect(detections).toHaveLength(1);
        expect(coveredShare(detections[0]!.bbox, rect)).toBeGreaterThanOrEqual(0.9);
        expect(edgeDistance(detections[0]!.bbox, rect)).toBeLessThanOrEqual(2);
      }),
      { seed: 20240611, numRuns: 200 },
    );
  });

  it('reports the time per 640x480 frame (not asserted)', () => {
    const frame = frameWith(
      640,
      480,
      NOT_RED.mediumSkin!,
      [[100, 80, 120, 90], RED],
      [[400, 300, 60, 70], WOUND_REDS.woundRed!],
      [[300, 50, 80, 80], NOT_RED.orange!],
      [[50, 350, 100, 60], GREEN],
    );
    // Sensor-like noise, so that the per-sample decisions do not all go one way.
    let seed = 1;
    const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 28) - 8;
    for (const plane of [frame.y, frame.u, frame.v]) {
      for (let i = 0; i < plane.length; i++) plane[i] = Math.min(255, Math.max(0, plane[i]! + noise()));
    }

    const timed = new ColourRegionDetector();
    for (let i = 0; i < 10; i++) timed.detect(frame);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const start = performance.now();
      timed.detect(frame);
      times.push(performance.now() - start);
    }
    const { n, median, p95 } = summarize(times, 3);
    console.log(`colour-region 640x480: median ${median} ms, p95 ${p95} ms (nearest rank) over ${n} runs`);
    expect(timed.detect(frame)).toHaveLength(2);
  });
});
