import type { Logger } from '../logger';
import { errorMessage } from '../logger';
import type { Session } from '../counters/session';
import type { Detection } from '../protocol';
import { FrameDropped, type FrameAnalysis, type FrameAnalyzer, type PictureSize } from './analyzer';
import type { VideoCodecName } from './decode/videoDecoder';
import { FrameAssembler, type AssembledFrame } from './frameAssembler';
import { FrameBuffer, type DropPolicy } from './frameBuffer';
import { ReorderBuffer } from './reorderBuffer';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';
import { depacketize, type VideoFrame } from './videoFrame';

/** How long (90 kHz media time, 100 ms) a packet waits behind a missing one before it is called lost. */
const REORDER_WAIT_TICKS = 9000;
const REORDER_MAX_PACKETS = 256;

export interface VideoProcessorOptions {
  trackId: string;
  session: Session;
  analyzer: FrameAnalyzer;
  /** The codec of a payload type, as negotiated; undefined for one the server does not decode. */
  codecOf: (payloadType: number) => VideoCodecName | undefined;
  bufferSize: number;
  bufferPolicy?: DropPolicy;
  logger: Logger;
  onDetections?: (frame: VideoFrame, detections: Detection[], picture: PictureSize | undefined) => void;
}

/**
 * RTP -> reorder buffer -> frames -> depacketized frames -> bounded buffer ->
 * analysis loop. Every assembled frame is counted once as received and later once as processed
 * or dropped with its reason (incomplete, not decodable, buffer full, analysis dropped or
 * failed, still queued at stop); a frame the analysis rate skipped is processed (decoded), not dropped. A lost or dropped frame tells the analyzer, whose decoder must
 * then wait for a keyframe.
 */
export class VideoProcessor implements TrackProcessor {
  readonly kind = 'video' as const;
  readonly trackId: string;
  private readonly session: Session;
  private readonly reorder: ReorderBuffer<RtpLike>;
  private readonly assembler: FrameAssembler;
  private readonly buffer: FrameBuffer<VideoFrame>;
  private readonly loop: Promise<void>;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: VideoProcessorOptions) {
    this.trackId = options.trackId;
    this.session = options.session;
    this.buffer = new FrameBuffer<VideoFrame>(
      options.bufferSize,
      () => this.dropped('buffer_full'),
      options.bufferPolicy ?? 'drop_oldest',
    );
    this.assembler = new FrameAssembler((frame) => this.onFrame(frame));
    this.reorder = new ReorderBuffer((packet) => this.assembler.push(packet), {
      maxHeldPackets: REORDER_MAX_PACKETS,
      maxWaitTicks: REORDER_WAIT_TICKS,
    });
    this.loop = this.run();
  }

  get stopped(): boolean {
    return this.stopping !== null;
  }

  handleRtp(packet: RtpLike): void {
    if (!this.stopping) this.reorder.push(packet);
  }

  stop(): Promise<void> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private onFrame(assembled: AssembledFrame): void {
    this.session.frameReceived();
    if (assembled.incomplete) {
      this.dropped('incomplete_frame');
      return;
    }
    if (assembled.afterLoss) this.options.analyzer.framesLost?.();
    const codec = this.options.codecOf(assembled.payloadType);
    let frame: VideoFrame;
    try {
      if (!codec) throw new Error(`payload type ${assembled.payloadType} is not a codec this server decodes`);
      frame = depacketize(assembled, codec);
    } catch (error) {
      this.dropped('decode_error');
      this.options.logger.debug('Undecodable frame', { track_id: this.trackId, error: errorMessage(error) });
      return;
    }
    if (frame.keyframe) this.session.keyframeReceived();
    this.buffer.push(frame);
  }

  /** A frame that will never reach the analyzer: counted, and the analyzer's decoder told. */
  private dropped(reason: Parameters<Session['framesDropped']>[0]): void {
    this.session.framesDropped(reason);
    this.options.analyzer.framesLost?.();
  }

  private async finish(): Promise<void> {
    const queued = this.buffer.close();
    this.session.framesDropped('queued_at_stop', queued.length);
    await this.loop;
    this.options.analyzer.close?.();
  }

  private async run(): Promise<void> {
    for (;;) {
      const frame = await this.buffer.take();
      if (frame === undefined) return;
      await this.analyze(frame);
    }
  }

  private async analyze(frame: VideoFrame): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.options.analyzer.analyze(frame);
      const { detections, analyzed, picture, notSampled, decodeMs, detectMs } = Array.isArray(result) ? ({ detections: result, analyzed: true } as FrameAnalysis) : result;
      this.session.frameProcessed(detections.length, { analyzed, processingMs: performance.now() - started, notSampled, decodeMs, detectMs });
      if (detections.length > 0) this.options.onDetections?.(frame, detections, picture);
    } catch (error) {
      if (error instanceof FrameDropped) {
        this.session.framesDropped(error.reason);
        return;
      }
      this.session.framesDropped('analysis_error');
      this.options.logger.warn('Frame analysis failed', { track_id: this.trackId, error: errorMessage(error) });
    }
  }
}
