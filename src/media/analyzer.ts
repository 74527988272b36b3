import type { VideoFrame } from './frameAssembler';

export interface Detection {
  label: string;
  score: number;
  /** x, y, width, height in pixels of the analysed frame. */
  bbox: [number, number, number, number];
}

/** Looks at one video frame and reports what it found. May be async; may throw (counted). */
export interface FrameAnalyzer {
  analyze(frame: VideoFrame): Promise<Detection[]> | Detection[];
}

/**
 * The analyzer used until a detector is configured: it accepts every frame and finds
 * nothing, so frames are counted as processed.
 */
export const acceptingAnalyzer: FrameAnalyzer = {
  analyze: () => [],
};
