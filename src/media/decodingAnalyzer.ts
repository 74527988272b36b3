import type { AnalyzerFactory, AudioMeter, FrameAnalysis, FrameAnalyzer, VideoTrackInfo } from './analyzer';
import { AnalysisSampler } from './analysisRate';
import type { DecodingStream, FrameWorkerPool } from './decode/frameWorkerPool';
import type { VideoFrame } from './videoFrame';
import { FrameDropped, isError } from '../errors';

export interface DecodingAnalyzerOptions {
  /** At most this many frames a second of each track are analysed (ANALYSIS_FPS); unset: every frame. */
  analysisFps?: number;
}

/** The server's default analysis: decode each frame and run the configured detector, in the worker pool. */
export class DecodingAnalyzerFactory implements AnalyzerFactory {
  constructor(
    private readonly pool: FrameWorkerPool,
    private readonly options: DecodingAnalyzerOptions = {},
  ) {}

  forTrack(track: VideoTrackInfo): FrameAnalyzer {
    const { analysisFps } = this.options;
    return new DecodingAnalyzer(this.pool, track, analysisFps === undefined ? null : new AnalysisSampler(analysisFps));
  }

  /** Opus packets decoded in the pool, their level measured there. */
  forAudioTrack(): AudioMeter {
    const stream = this.pool.openStream('OPUS', () => {});
    return { measure: (packets) => stream.measureAudio(packets), close: () => stream.close() };
  }
}

/**
 * One track's decoding. A decoder can only start from a keyframe, and must start again from one
 * after any frame it did not see (lost, dropped, or its worker replaced): until then delta frames
 * are dropped as `waiting_for_keyframe` and the sender is asked for a keyframe. With an analysis
 * rate, every frame is still decoded (the next ones are predicted from it) but only the frames
 * the sampler picks go to the detector; the others come back as `notSampled`.
 */
class DecodingAnalyzer implements FrameAnalyzer {
  private stream: DecodingStream | null = null;
  private waitingForKeyframe = true;

  constructor(
    private readonly pool: FrameWorkerPool,
    private readonly track: VideoTrackInfo,
    private readonly sampler: AnalysisSampler | null,
  ) {}

  async analyze(frame: VideoFrame): Promise<FrameAnalysis> {
    if (this.stream?.codec !== frame.codec) this.openStream(frame);
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.track.requestKeyframe();
      throw new FrameDropped('waiting_for_keyframe', 'the decoder needs a keyframe first');
    }
    this.waitingForKeyframe = false;
    try {
      if (this.sampler && !this.sampler.due(frame.rtpTimestamp)) {
        const { decodeMs } = await this.stream!.decode(frame.data, frame.keyframe);
        return { detections: [], analyzed: false, notSampled: true, decodeMs };
      }
      const outcome = await this.stream!.decodeAndDetect(frame.data, frame.keyframe);
      // A frame that gave no picture leaves its slot to the next frame.
      if (outcome.picture) this.sampler?.analysed(frame.rtpTimestamp);
      const { detections, picture, decodeMs, detectMs } = outcome;
      return { detections, analyzed: picture !== null, picture: picture ?? undefined, decodeMs, detectMs };
    } catch (error) {
      if (!(isError(error, 'FrameDropped') && error.decoderIntact)) this.framesLost();
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
