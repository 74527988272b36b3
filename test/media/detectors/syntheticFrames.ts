import { paintRect, solidI420, type I420Frame, type Rgb } from '../../../src/media/i420Frame';

export type Rect = [x: number, y: number, w: number, h: number];

export const GREY: Rgb = [128, 128, 128];
export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
export const GREEN: Rgb = [0, 200, 0];
export const BLUE: Rgb = [0, 0, 220];
export const RED: Rgb = [255, 0, 0];

/** Reds a wound bed or blood can show: saturated, dark, dull and crimson. */
export const WOUND_REDS: Record<string, Rgb> = {
  red: RED,
  darkRed: [139, 0, 0],
  maroon: [120, 20, 25],
  dullRed: [150, 30, 30],
  woundRed: [180, 40, 40],
  crimson: [200, 30, 50],
  lightRed: [230, 80, 80],
};

/** Colours that are not wounds: skin tones from light to dark, beige, orange, neutrals. */
export const NOT_RED: Record<string, Rgb> = {
  grey: GREY,
  white: WHITE,
  black: BLACK,
  green: GREEN,
  blue: BLUE,
  lightSkin: [255, 224, 189],
  fairSkin: [241, 194, 167],
  mediumSkin: [224, 172, 140],
  tanSkin: [198, 134, 66],
  rosySkin: [194, 140, 120],
  brownSkin: [141, 85, 36],
  darkSkin: [92, 58, 40],
  beige: [230, 180, 130],
  orangeBeige: [235, 160, 110],
  orange: [255, 165, 0],
  pink: [255, 105, 180],
  purple: [128, 0, 128],
};

/** A frame of `background` with each rectangle painted in its colour. */
export function frameWith(width: number, height: number, background: Rgb, ...rects: Array<[Rect, Rgb]>): I420Frame {
  const frame = solidI420(width, height, background);
  for (const [[x, y, w, h], rgb] of rects) paintRect(frame, x, y, w, h, rgb);
  return frame;
}

/** The share of rectangle `inner` that lies inside `outer`. */
export function coveredShare(outer: Rect, inner: Rect): number {
  const [ox, oy, ow, oh] = outer;
  const [ix, iy, iw, ih] = inner;
  const w = Math.max(0, Math.min(ox + ow, ix + iw) - Math.max(ox, ix));
  const h = Math.max(0, Math.min(oy + oh, iy + ih) - Math.max(oy, iy));
  return (w * h) / (iw * ih);
}

/** The largest difference between corresponding edges of two rectangles, in pixels. */
export function edgeDistance(a: Rect, b: Rect): number {
  return Math.max(
    Math.abs(a[0] - b[0]),
    Math.abs(a[1] - b[1]),
    Math.abs(a[0] + a[2] - (b[0] + b[2])),
    Math.abs(a[1] + a[3] - (b[1] + b[3])),
  );
}
