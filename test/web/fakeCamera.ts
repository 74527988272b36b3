/** Y4M files for Chromium's fake camera (`--use-file-for-fake-video-capture`), which loops them. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { paintRect, solidI420, type I420Frame, type Rgb } from '../../src/media/i420Frame';

export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;
/** Where the red square is in the 640x480 picture. */
export const RED_SQUARE = { x: 200, y: 160, w: 160, h: 160 };

const GREY: Rgb = [128, 128, 128];
const RED: Rgb = [220, 30, 30];
/** One second at 30 fps: the picture never changes, so a short loop is enough. */
const FRAMES = 30;

/** A YUV4MPEG2 file of `frames` copies of one I420 picture. */
export function y4m(frame: I420Frame, frames: number): Buffer {
  const header = Buffer.from(`YUV4MPEG2 W${frame.width} H${frame.height} F30:1 Ip A1:1 C420jpeg\n`);
  const picture = Buffer.concat([Buffer.from('FRAME\n'), frame.y, frame.u, frame.v]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => picture)]);
}

/** Writes red-square.y4m (a red square on grey, which the colour-region detector finds) into `dir`. */
export async function writeRedSquareY4m(dir: string): Promise<string> {
  const square = paintRect(solidI420(CAMERA_WIDTH, CAMERA_HEIGHT, GREY), RED_SQUARE.x, RED_SQUARE.y, RED_SQUARE.w, RED_SQUARE.h, RED);
  const file = path.join(dir, 'red-square.y4m');
  await writeFile(file, y4m(square, FRAMES));
  return file;
}
