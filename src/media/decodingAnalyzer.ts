import {
  FrameDropped,
  type AnalyzerFactory,
  type AudioMeter,
  type FrameAnalysis,
  type FrameAnalyzer,
  type VideoTrackInfo,
} from './analyzer';
import type { DecodingStream, FrameWorkerPool } from './decode/frameWorkerPool';
import type { VideoFrame } from './videoFrame';

/** The server's default analysis: decode each frame and run the configured detector, in the worker pool. */
export class DecodingAnalyzerFactory implements AnalyzerFactory {
  constructor(private readonly pool: FrameWorkerPool) {}

  forTrack(track: VideoTrackInfo): FrameAnalyzer {
    return new DecodingAnalyzer(this.pool, track);
  }

  /** Opus packets decoded in the pool, their level measured there. */
  forAudioTrack(): AudioMeter {
    const stream = this.pool.openStream('OPUS', () => {});
    return { measure: (packet) => stream.measureAudio(packet), close: () => stream.close() };
  }
}

/**
 * One track's decoding. A decoder can only start from a keyframe, and must start again from one
 * after any frame it did not see (lost, dropped, or its worker replaced): until then delta frames
 * are dropped as `waiting_for_keyframe` and the sender is asked for a keyframe.
 */
class DecodingAnalyzer implements FrameAnalyzer {
  private stream: DecodingStream | null = null;
  private waitingForKeyframe = true;

  constructor(
    private readonly pool: FrameWorkerPool,
    private readonly track: VideoTrackInfo,
  ) {}

  async analyze(frame: VideoFrame): Promise<FrameAnalysis> {
    if (this.stream?.codec !== frame.codec) this.openStream(frame);
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.track.requestKeyframe();
      throw new FrameDropped('waiting_for_keyframe', 'the decoder needs a keyframe first');
    }
    this.waitingForKeyframe = false;
    try {
      const outcome = await this.stream!.decodeAndDetect(frame.data, frame.keyframe);
      return { detections: outcome.detections, analyzed: outcome.picture !== null, picture: outcome.picture ?? undefined };
    } catch (error) {
      if (!(error instanceof FrameDropped) || error.reason !== 'analysis_error') this.framesLost();
      throw error;
    }
  }

  framesLost(): void {
    if (this.waitingForKeyframe) return;
    this.waitingForKeyframe = true;
    this.track.requestKeyframe();
  }

  close(): void {
    this.stream?.close();
    this.stream = null;
  }

  /** The first frame, or a codec change (renegotiation): a fresh decoder, which needs a keyframe. */
  private openStream(frame: VideoFrame): void {
    this.stream?.close();
    this.stream = this.pool.openStream(frame.codec, () => this.framesLost());
    this.waitingForKeyframe = true;
  }
}
