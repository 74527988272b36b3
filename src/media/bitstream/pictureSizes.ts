import { isError } from '../../errors';

export interface PictureSize {
  width: number;
  height: number;
}

/**
 * The picture sizes a frame's headers declare (a VP9 superframe or an H264 access unit may
 * declare several; a delta frame none: it keeps its reference's size), or why they could not be read.
 */
export type PictureSizes = { sizes: PictureSize[] } | { unreadable: string };

export const NO_SIZE: PictureSizes = { sizes: [] };

export const unreadable = (why: string): PictureSizes => ({ unreadable: why });

/** Runs a header reader, turning a read past the end (or an impossible code) into `unreadable`. */
export function readingBits(read: () => PictureSizes): PictureSizes {
  try {
    return read();
  } catch (error) {
    if (isError(error, 'BitstreamEnded')) return unreadable(error.message);
    throw error;
  }
}
