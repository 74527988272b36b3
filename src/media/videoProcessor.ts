import type { Logger } from '../logger';
import { errorMessage } from '../logger';
import type { Session } from '../counters/session';
import { LogBudget } from '../limits/logBudget';
import { refusals } from '../limits/refusals';
import { inputLimits, type InputLimits } from '../limitsConfig';
import type { Detection } from '../protocol';
import type { FrameAnalysis, FrameAnalyzer, PictureSize } from './analyzer';
import type { VideoCodecName } from './decode/videoDecoder';
import { checkPictureSizes } from './bitstream/framePictures';
import { FrameAssembler, type AssembledFrame } from './frameAssembler';
import { FrameBuffer, type DropPolicy } from './frameBuffer';
import { ReorderBuffer } from './reorderBuffer';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';
import { depacketize, type VideoFrame } from './videoFrame';
import { isError } from '../errors';

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
  /** MAX_PICTURE_PIXELS, MAX_FRAME_BYTES, MAX_FRAME_PACKETS; default: their defaults. */
  limits?: Pick<InputLimits, 'maxPicturePixels' | 'maxFrameBytes' | 'maxFramePackets'>;
  /** The session's budget of warnings a peer can trigger; default: one of this processor's own. */
  logBudget?: LogBudget;
  onDetections?: (frame: VideoFrame, detections: Detection[], picture: PictureSize | undefined) => void;
}

/**
 * RTP -> reorder buffer -> frames -> depacketized frames -> bounded buffer ->
 * analysis loop. Every assembled frame is counted once as received and later once as processed
 * or dropped with its reason (over MAX_FRAME_BYTES or MAX_FRAME_PACKETS, incomplete, not
 * decodable, a picture over MAX_PICTURE_PIXELS, buffer full, analysis dropped or failed, still
 * queued at stop); a frame the analysis rate skipped is processed (decoded), not dropped. A lost
 * or dropped frame tells the analyzer, whose decoder must then wait for a keyframe (and asks
 * the sender for one): a dropped oversized keyframe leaves the decoder as it was, never having
 * seen it, and the stream goes on from the next keyframe that fits.
 *
 * The picture sizes a frame declares (VP8/VP9 frame headers, H264 SPS, AV1 sequence header) are
 * read here, before the frame goes to any decoder (native or wasm): a decoder allocates for the
 * size a header claims before it finds out whether the rest of the frame is real.
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
  private readonly limits: NonNullable<VideoProcessorOptions['limits']>;
  private readonly logBudget: LogBudget;

  constructor(private readonly options: VideoProcessorOptions) {
    this.trackId = options.trackId;
    this.session = options.session;
    this.limits = options.limits ?? inputLimits({});
    this.logBudget = options.logBudget ?? new LogBudget();
    this.buffer = new FrameBuffer<VideoFrame>(
      options.bufferSize,
      () => this.dropped('buffer_full'),
      options.bufferPolicy ?? 'drop_oldest',
    );
    this.assembler = new FrameAssembler((frame) => this.onFrame(frame), Date.now, this.limits);
    this.reorder = new ReorderBuffer(
      (packet) => this.assembler.push(packet),
      { maxHeldPackets: REORDER_MAX_PACKETS, maxWaitTicks: REORDER_WAIT_TICKS },
      () => this.newRun(),
    );
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
    if (assembled.overLimit) {
      refusals.count(assembled.overLimit);
      this.dropped('frame_too_large');
      const limit = assembled.overLimit === 'frame_bytes' ? `MAX_FRAME_BYTES (${this.limits.maxFrameBytes})` : `MAX_FRAME_PACKETS (${this.limits.maxFramePackets})`;
      this.logBudget.warn(this.options.logger, 'frame_too_large', `Video frame over ${limit} dropped`, { track_id: this.trackId, rtp_timestamp: assembled.rtpTimestamp });
      return;
    }
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
    if (!this.pictureFits(frame)) return;
    if (frame.keyframe) this.session.keyframeReceived();
    this.buffer.push(frame);
  }

  /** Drops (and counts) a frame whose headers declare a picture over MAX_PICTURE_PIXELS, or cannot be read. */
  private pictureFits(frame: VideoFrame): boolean {
    const check = checkPictureSizes(frame.codec, frame.data, this.limits.maxPicturePixels);
    if (check.ok) return true;
    if ('unreadable' in check) {
      this.dropped('decode_error');
      this.options.logger.debug('Undecodable frame', { track_id: this.trackId, error: check.unreadable });
      return false;
    }
    const { width, height } = check.tooLarge;
    refusals.count('picture_pixels');
    this.dropped('picture_too_large');
    this.logBudget.warn(this.options.logger, 'picture_too_large', `Video picture over MAX_PICTURE_PIXELS (${this.limits.maxPicturePixels}) dropped before decoding`, {
      track_id: this.trackId,
      codec: frame.codec,
      width,
      height,
    });
    return false;
  }

  /** A frame that will never reach the analyzer: counted, and the analyzer's decoder told. */
  private dropped(reason: Parameters<Session['framesDropped']>[0]): void {
    this.session.framesDropped(reason);
    this.options.analyzer.framesLost?.();
  }

  /**
   * The sender restarted its sequence numbers or changed SSRC: the frame being assembled ended
   * with the old run (incomplete), and the next one comes after a loss. Peer-triggered, so logged
   * within the session's budget.
   */
  private newRun(): void {
    this.assembler.flush();
    const occurrences = this.logBudget.take('rtp_new_run');
    if (occurrences !== null) {
      this.options.logger.info('RTP sequence numbers restarted (a jump or a new SSRC): counting goes on from the new packet', { track_id: this.trackId, occurrences });
    }
  }

  /**
   * Packets still held behind a loss, then a last frame left without its marker bit, are
   * assembled and counted as received before the buffer closes: each ends up processed (if the
   * loop is waiting for it), queued_at_stop or dropped for its reason (incomplete_frame...).
   */
  private async finish(): Promise<void> {
    this.reorder.flush();
    this.assembler.flush();
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
      const { detections, analyzed, picture, notSampled, decodeMs, detectMs } = await this.options.analyzer.analyze(frame);
      this.session.frameProcessed(detections.length, { analyzed, processingMs: performance.now() - started, notSampled, decodeMs, detectMs });
      if (detections.length > 0) this.options.onDetections?.(frame, detections, picture);
    } catch (error) {
      if (isError(error, 'FrameDropped')) {
        this.session.framesDropped(error.reason);
        return;
      }
      this.session.framesDropped('analysis_error');
      // A frame crafted to make the detector throw could do so on every frame: budgeted like any peer-triggered warning.
      this.logBudget.warn(this.options.logger, 'analysis_error', 'Frame analysis failed', { track_id: this.trackId, error: errorMessage(error) });
    }
  }
}
