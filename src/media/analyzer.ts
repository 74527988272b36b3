import type { Detection } from '../protocol';
import type { VideoFrame } from './videoFrame';

/** What analysing one frame gave. */
export interface FrameAnalysis {
  detections: Detection[];
  /** Whether a detector looked at a picture (a decoder may take a frame and give no picture yet). */
  analyzed: boolean;
  /** Size of the analysed picture, which the boxes are in. */
  picture?: PictureSize;
  /** Decoded but not analysed because the analysis rate (ANALYSIS_FPS) skipped it; `analyzed` is false. */
  notSampled?: boolean;
  /** Milliseconds the decoder took over the frame (absent when it was not decoded). */
  decodeMs?: number;
  /** Milliseconds from the decoded picture to its detections, a wait for the detector included (when analysed). */
  detectMs?: number;
}

export interface PictureSize {
  width: number;
  height: number;
}

/** A frame a detector looked at, and what it found there. */
export function analyzedWith(detections: Detection[]): FrameAnalysis {
  return { detections, analyzed: true };
}

/**
 * Looks at the frames of one video track, in order. May be async; may throw (counted): a
 * FrameDropped is counted under its reason, anything else as analysis_error.
 */
export interface FrameAnalyzer {
  analyze(frame: VideoFrame): Promise<FrameAnalysis> | FrameAnalysis;
  /** Frames were lost or dropped before reaching the analyzer: a decoder must start again from a keyframe. */
  framesLost?(): void;
  /** The track ended; release what the analyzer holds for it. */
  close?(): void;
}

export interface VideoTrackInfo {
  sessionId: string;
  trackId: string;
  /** Asks the sender for a keyframe (rate-limited by the caller). */
  requestKeyframe(): void;
}

/** Measures the level of an audio track's packets by decoding them. */
export interface AudioMeter {
  /** The RMS level in dBov (-127 for silence) of each packet that decoded, in order. */
  measure(packets: Buffer[]): Promise<number[]>;
  close(): void;
}

/** Makes one analyzer per video track (decoders are stateful per stream), and an audio meter per audio track. */
export interface AnalyzerFactory {
  forTrack(track: VideoTrackInfo): FrameAnalyzer;
  forAudioTrack?(): AudioMeter;
}

/** A stateless analyzer shared by every track, or a factory making one per track. */
export type AnalyzerSource = FrameAnalyzer | AnalyzerFactory;

export function analyzerForTrack(source: AnalyzerSource, track: VideoTrackInfo): FrameAnalyzer {
  return 'forTrack' in source ? source.forTrack(track) : source;
}

export function audioMeterFor(source: AnalyzerSource): AudioMeter | undefined {
  return 'forTrack' in source ? source.forAudioTrack?.() : undefined;
}

/**
 * An analyzer that accepts every frame and finds nothing: frames are counted as processed
 * without being decoded (DETECTOR=off, and tests of the session lifecycle).
 */
export const acceptingAnalyzer: FrameAnalyzer = {
  analyze: () => analyzedWith([]),
};
