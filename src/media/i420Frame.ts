/**
 * A decoded video frame in I420 (YUV 4:2:0, 8-bit, BT.601 limited range as VP8/H264 decoders
 * output). Planes are tightly packed: y is width*height, u and v are
 * ceil(width/2)*ceil(height/2).
 */
export interface I420Frame {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** 8-bit sRGB components, 0..255. */
export type Rgb = readonly [r: number, g: number, b: number];

/** Width or height of the chroma planes for a luma width or height: one sample per 2 pixels. */
export const chromaSize = (lumaSize: number): number => (lumaSize + 1) >> 1;

/** Throws unless the frame has positive integer dimensions and tightly packed planes. */
export function assertI420(frame: I420Frame): void {
  const { width, height } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`I420 frame: invalid size ${width}x${height}`);
  }
  const lumaBytes = width * height;
  const chromaBytes = chromaSize(width) * chromaSize(height);
  if (frame.y.length !== lumaBytes || frame.u.length !== chromaBytes || frame.v.length !== chromaBytes) {
    throw new Error(
      `I420 frame ${width}x${height}: planes must be tightly packed (y ${lumaBytes}, u and v ${chromaBytes} bytes), ` +
        `got y ${frame.y.length}, u ${frame.u.length}, v ${frame.v.length}`,
    );
  }
}

const clampByte = (value: number): number => Math.min(255, Math.max(0, Math.round(value)));

/** RGB to BT.601 limited-range Y, Cb (U), Cr (V): Y in 16..235, Cb and Cr in 16..240. */
export function rgbToYuv([r, g, b]: Rgb): [y: number, u: number, v: number] {
  const [rn, gn, bn] = [r / 255, g / 255, b / 255];
  return [
    clampByte(16 + 65.481 * rn + 128.553 * gn + 24.966 * bn),
    clampByte(128 - 37.797 * rn - 74.203 * gn + 112.0 * bn),
    clampByte(128 + 112.0 * rn - 93.786 * gn - 18.214 * bn),
  ];
}

/** A new frame of one colour. */
export function solidI420(width: number, height: number, rgb: Rgb): I420Frame {
  const [y, u, v] = rgbToYuv(rgb);
  const chromaBytes = chromaSize(width) * chromaSize(height);
  const frame: I420Frame = {
    width,
    height,
    y: new Uint8Array(width * height).fill(y),
    u: new Uint8Array(chromaBytes).fill(u),
    v: new Uint8Array(chromaBytes).fill(v),
  };
  assertI420(frame);
  return frame;
}

/**
 * Paints the rectangle (x, y, w, h), clipped to the frame, in one colour and returns the frame.
 * Luma is set per pixel; each chroma sample is blended by the share of its 2x2 block the
 * rectangle covers, as a box-filter 4:2:0 downsampler would (assuming the block was uniform).
 */
export function paintRect(frame: I420Frame, x: number, y: number, w: number, h: number, rgb: Rgb): I420Frame {
  assertI420(frame);
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(frame.width, Math.floor(x + w));
  const y1 = Math.min(frame.height, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return frame;

  const [luma, u, v] = rgbToYuv(rgb);
  for (let row = y0; row < y1; row++) frame.y.fill(luma, row * frame.width + x0, row * frame.width + x1);

  const chromaWidth = chromaSize(frame.width);
  /** Pixels of [start, end) inside the 2-pixel span of chroma index c, and the span's size in the frame. */
  const overlap = (c: number, start: number, end: number, size: number) => {
    const spanEnd = Math.min(2 * c + 2, size);
    return [Math.max(0, Math.min(end, spanEnd) - Math.max(start, 2 * c)), spanEnd - 2 * c] as const;
  };
  for (let cy = y0 >> 1; cy < chromaSize(y1); cy++) {
    const [coveredRows, rows] = overlap(cy, y0, y1, frame.height);
    for (let cx = x0 >> 1; cx < chromaSize(x1); cx++) {
      const [coveredColumns, columns] = overlap(cx, x0, x1, frame.width);
      const share = (coveredRows * coveredColumns) / (rows * columns);
      const i = cy * chromaWidth + cx;
      frame.u[i] = clampByte(frame.u[i]! * (1 - share) + u * share);
      frame.v[i] = clampByte(frame.v[i]! * (1 - share) + v * share);
    }
  }
  return frame;
}
