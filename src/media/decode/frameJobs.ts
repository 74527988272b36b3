import type { DetectorOptions } from '../detectors/detector';
import type { AnalysisDropReason, Detection } from '../../protocol';
import type { VideoCodecName } from './videoDecoder';
import type { DecoderBackendName } from './videoDecoders';

/** What the pool's workers are started with. */
export interface FrameWorkerSetup {
  /** The decoders the worker runs. */
  decoder: DecoderBackendName;
  detector: string;
  detectorOptions: DetectorOptions;
  /** An asynchronous detector's result later than this after decoding drops the frame (`analysis_timeout`). */
  detectTimeoutMs: number;
  /** MAX_PICTURE_PIXELS, for the decoders' own limit (default: its default). */
  maxPicturePixels?: number;
}

export type FrameWorkerRequest =
  | {
      type: 'frame';
      jobId: number;
      streamId: string;
      codec: VideoCodecName;
      data: Uint8Array;
      keyframe: boolean;
      /** false: decode only (the decoder needs every frame), no detection (ANALYSIS_FPS skipped it). */
      analyze: boolean;
    }
  /** Opus packets of one stream, in order, decoded for their levels (one message for several: see AudioProcessor). */
  | { type: 'audio'; jobId: number; streamId: string; packets: Uint8Array[] }
  | { type: 'end'; streamId: string };

/** Sent once, before any reply: the worker's detector is loaded (a model runtime may take a while). */
export interface FrameWorkerReady {
  type: 'ready';
}

/**
 * An exception or rejection escaped a frame's work and the worker went on: one message per
 * fault, counted by the pool; with a warning to log when the worker's log budget allows.
 */
export interface FrameWorkerFault {
  type: 'fault';
  message?: string;
  meta?: Record<string, unknown>;
}

export type FrameWorkerReply =
  | {
      jobId: number;
      ok: true;
      /** Size of the decoded picture; null when the decoder gave no picture for this frame. */
      picture: { width: number; height: number } | null;
      detections: Detection[];
      decodeMs: number;
      detectMs: number;
    }
  /** The level of each packet that decoded, in order. */
  | { jobId: number; ok: true; levelsDbov: number[] }
  | { jobId: number; ok: false; reason: Extract<AnalysisDropReason, 'decode_error' | 'analysis_error' | 'analysis_timeout'>; error: string };
