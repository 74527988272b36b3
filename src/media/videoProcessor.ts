import type { Logger } from '../logger';
import { errorMessage } from '../logger';
import type { Session } from '../session/session';
import type { Detection, FrameAnalyzer } from './analyzer';
import { FrameAssembler, type VideoFrame } from './frameAssembler';
import { FrameBuffer } from './frameBuffer';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';

export interface VideoProcessorOptions {
  trackId: string;
  session: Session;
  analyzer: FrameAnalyzer;
  bufferSize: number;
  logger: Logger;
  onDetections?: (frame: VideoFrame, detections: Detection[]) => void;
}

/**
 * RTP -> frames -> bounded buffer -> analysis loop. Every assembled frame is counted once as
 * received and later once as processed or dropped (buffer full, analysis failed, still queued
 * at stop).
 */
export class VideoProcessor implements TrackProcessor {
  readonly kind = 'video' as const;
  readonly trackId: string;
  private readonly session: Session;
  private readonly assembler: FrameAssembler;
  private readonly buffer: FrameBuffer<VideoFrame>;
  private readonly loop: Promise<void>;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: VideoProcessorOptions) {
    this.trackId = options.trackId;
    this.session = options.session;
    this.buffer = new FrameBuffer<VideoFrame>(options.bufferSize, () => this.session.framesDropped('buffer_full'));
    this.assembler = new FrameAssembler((frame) => {
      this.session.frameReceived();
      this.buffer.push(frame);
    });
    this.loop = this.run();
  }

  get stopped(): boolean {
    return this.stopping !== null;
  }

  handleRtp(packet: RtpLike): void {
    if (!this.stopping) this.assembler.push(packet);
  }

  stop(): Promise<void> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private async finish(): Promise<void> {
    const queued = this.buffer.close();
    this.session.framesDropped('queued_at_stop', queued.length);
    await this.loop;
  }

  private async run(): Promise<void> {
    for (;;) {
      const frame = await this.buffer.take();
      if (frame === undefined) return;
      await this.analyze(frame);
    }
  }

  private async analyze(frame: VideoFrame): Promise<void> {
    try {
      const detections = await this.options.analyzer.analyze(frame);
      this.session.frameProcessed(detections.length);
      if (detections.length > 0) this.options.onDetections?.(frame, detections);
    } catch (error) {
      this.session.framesDropped('analysis_error');
      this.options.logger.warn('Frame analysis failed', { track_id: this.trackId, error: errorMessage(error) });
    }
  }
}
