import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { refusals } from '../../limits/refusals';
import type { Logger } from '../../logger';
import type { AnalysisDropReason, Detection } from '../../protocol';
import { startWorkerThread } from '../../workerThreads';
import type { FrameWorkerFault, FrameWorkerReady, FrameWorkerReply, FrameWorkerRequest, FrameWorkerSetup } from './frameJobs';
import type { VideoCodecName } from './videoDecoder';
import { chooseDecoderBackend, type DecoderBackendName } from './videoDecoders';
import { FrameDropped } from '../../errors';

export interface FrameWorkerPoolOptions extends Omit<FrameWorkerSetup, 'detectTimeoutMs' | 'decoder'> {
  /** The decoders the workers run; default: native when it loads, else wasm (DECODER=auto). */
  decoder?: DecoderBackendName;
  /** Worker threads; default: one per core. */
  size?: number;
  /** A frame not answered within this time ends its worker (hung decoder or detector). */
  jobTimeoutMs: number;
  /**
   * An asynchronous detector's deadline per frame, from its decoding; a frame past it is dropped
   * (`analysis_timeout`) and the worker goes on. Below jobTimeoutMs; default half of it.
   */
  detectTimeoutMs?: number;
  logger: Logger;
}

/** What a worker made of one frame. */
export interface FrameOutcome {
  picture: { width: number; height: number } | null;
  detections: Detection[];
  decodeMs: number;
  detectMs: number;
}

interface PendingJob {
  streamId: string;
  resolve: (reply: SuccessfulReply) => void;
  reject: (error: FrameDropped) => void;
  timer: NodeJS.Timeout;
}

/** Workers that may die in a row before answering anything until the pool stops replacing them. */
const MAX_FAILED_STARTS = 3;

/** What a stream decodes: a video codec, or Opus audio whose level is measured. */
export type StreamCodec = VideoCodecName | 'OPUS';

type SuccessfulReply = Extract<FrameWorkerReply, { ok: true }>;

/** Told when the worker holding a stream's decoder was replaced: the decoder state is gone. */
type DecoderLost = () => void;

/**
 * One worker thread and the streams whose decoders live in it. A job that times out, or the
 * worker dying, ends the worker: every pending job fails and every stream is told its decoder
 * is gone (it must start again from a keyframe).
 */
class PooledWorker {
  readonly streams = new Map<string, DecoderLost>();
  private readonly jobs = new Map<number, PendingJob>();
  private readonly worker: Worker;
  private dead = false;
  private answered = false;
  private timedOut = false;
  /** Settles when the worker's detector is loaded (or the worker died): frames are sent after. */
  private readonly loaded: Promise<void>;
  private isLoaded = false;
  private markLoaded!: () => void;

  constructor(
    private readonly setup: FrameWorkerSetup,
    private readonly jobTimeoutMs: number,
    private readonly onDeath: (worker: PooledWorker, why: string) => void,
    onFault: (fault: FrameWorkerFault) => void,
  ) {
    this.loaded = new Promise((resolve) => {
      this.markLoaded = () => {
        this.isLoaded = true;
        resolve();
      };
    });
    this.worker = startWorkerThread(__dirname, 'frameWorker', setup);
    this.worker.on('message', (reply: FrameWorkerReply | FrameWorkerReady | FrameWorkerFault) => {
      if (!('type' in reply)) this.settle(reply);
      else if (reply.type === 'fault') onFault(reply);
      else this.markLoaded();
    });
    this.worker.on('error', (error) => this.die(`worker error: ${error.message}`, 'worker_restarted'));
    this.worker.on('exit', (code) => this.die(`worker exited with code ${code}`, 'worker_restarted'));
  }

  /** It died on its own before answering anything: it could not load its decoders or detector. */
  get failedToStart(): boolean {
    return this.dead && !this.answered && !this.timedOut;
  }

  get load(): number {
    return this.streams.size;
  }

  /** Sends the request once the worker is loaded (at once when it is); its timeout counts from then. */
  run(request: Exclude<FrameWorkerRequest, { type: 'end' }>): Promise<SuccessfulReply> {
    if (!this.isLoaded) return this.loaded.then(() => this.run(request));
    if (this.dead) return Promise.reject(new FrameDropped('worker_restarted', 'the worker is gone'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.die(`a frame took over ${this.jobTimeoutMs} ms`, 'analysis_timeout', request.streamId);
      }, this.jobTimeoutMs);
      this.jobs.set(request.jobId, { streamId: request.streamId, resolve, reject, timer });
      this.worker.postMessage(request);
    });
  }

  endStream(streamId: string): void {
    this.streams.delete(streamId);
    if (!this.dead) this.worker.postMessage({ type: 'end', streamId } satisfies FrameWorkerRequest);
  }

  terminate(): Promise<number> {
    this.dead = true;
    this.markLoaded();
    this.rejectAll('the pool is closed', () => 'worker_restarted');
    this.worker.removeAllListeners();
    return this.worker.terminate();
  }

  private settle(reply: FrameWorkerReply): void {
    this.answered = true;
    const job = this.jobs.get(reply.jobId);
    if (!job) return;
    this.jobs.delete(reply.jobId);
    clearTimeout(job.timer);
    if (reply.ok) {
      job.resolve(reply);
    } else {
      // A frame dropped after decoding (detector failed or too late) left its decoder intact.
      job.reject(new FrameDropped(reply.reason, reply.error, reply.reason !== 'decode_error'));
    }
  }

  /** The stream whose frame hung gets `reason`; the others on this worker lost theirs by accident. */
  private die(why: string, reason: AnalysisDropReason, culprit?: string): void {
    if (this.dead) return;
    this.dead = true;
    this.markLoaded();
    this.rejectAll(why, (streamId) => (streamId === culprit ? reason : 'worker_restarted'));
    this.worker.removeAllListeners();
    void this.worker.terminate();
    this.onDeath(this, why);
  }

  private rejectAll(why: string, reasonFor: (streamId: string) => AnalysisDropReason): void {
    for (const job of this.jobs.values()) {
      clearTimeout(job.timer);
      job.reject(new FrameDropped(reasonFor(job.streamId), why));
    }
    this.jobs.clear();
  }
}

/** Under tsx or jest the worker is TypeScript: it loads tsx's require hook first. */

/**
 * Worker threads that decode and analyse video frames off the main thread, so one session's
 * decoding never delays another session's RTP or closure. A stream stays on one worker (its
 * decoder is stateful); new streams go to the least loaded worker. A worker that hangs or
 * crashes is replaced and its streams move to the replacement.
 */
export class FrameWorkerPool {
  private readonly workers: PooledWorker[];
  private nextJobId = 1;
  private nextStreamId = 1;
  /** Workers in a row that died before answering anything (a detector or decoder that cannot load). */
  private failedStarts = 0;
  private closed = false;

  constructor(private readonly options: FrameWorkerPoolOptions) {
    const size = options.size ?? availableParallelism();
    this.workers = Array.from({ length: size }, () => this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  /** A decoding stream for one track; close it when the track ends. */
  openStream(codec: StreamCodec, onDecoderLost: DecoderLost): DecodingStream {
    if (this.closed) throw new Error('the frame worker pool is closed');
    const streamId = `s${this.nextStreamId++}`;
    const worker = this.workers.reduce((least, candidate) => (candidate.load < least.load ? candidate : least));
    worker.streams.set(streamId, onDecoderLost);
    return new DecodingStream(this, streamId, codec);
  }

  /** @internal */
  async run(streamId: string, codec: VideoCodecName, data: Uint8Array, keyframe: boolean, analyze: boolean): Promise<FrameOutcome> {
    const reply = await this.workerFor(streamId).run({ type: 'frame', jobId: this.nextJobId++, streamId, codec, data, keyframe, analyze });
    if (!('detections' in reply)) throw new Error('the worker answered a video frame with an audio measurement');
    return { picture: reply.picture, detections: reply.detections, decodeMs: reply.decodeMs, detectMs: reply.detectMs };
  }

  /** @internal */
  async measureAudio(streamId: string, packets: Uint8Array[]): Promise<number[]> {
    const reply = await this.workerFor(streamId).run({ type: 'audio', jobId: this.nextJobId++, streamId, packets });
    if (!('levelsDbov' in reply)) throw new Error('the worker answered audio packets with a video outcome');
    return reply.levelsDbov;
  }

  private workerFor(streamId: string): PooledWorker {
    const worker = this.workerOf(streamId);
    if (!worker) throw new FrameDropped('worker_restarted', 'the stream is closed');
    return worker;
  }

  /** @internal */
  endStream(streamId: string): void {
    this.workerOf(streamId)?.endStream(streamId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((worker) => worker.terminate()));
  }

  private workerOf(streamId: string): PooledWorker | undefined {
    return this.workers.find((worker) => worker.streams.has(streamId));
  }

  private spawn(): PooledWorker {
    const { decoder = chooseDecoderBackend('auto').backend.name, detector, detectorOptions, jobTimeoutMs, detectTimeoutMs = Math.floor(jobTimeoutMs / 2), maxPicturePixels } = this.options;
    const setup = { decoder, detector, detectorOptions, detectTimeoutMs, maxPicturePixels };
    return new PooledWorker(setup, jobTimeoutMs, (dead, why) => this.replace(dead, why), (fault) => this.faulted(fault));
  }

  /** A fault a worker caught and survived: counted here (a frame worker reports no refusals), logged when it says so. */
  private faulted({ message, meta }: FrameWorkerFault): void {
    refusals.count('peer_exception');
    if (message) this.options.logger.warn(message, { ...meta, thread: 'frame worker' });
  }

  private replace(dead: PooledWorker, why: string): void {
    const index = this.workers.indexOf(dead);
    if (this.closed || index < 0) return;
    this.failedStarts = dead.failedToStart ? this.failedStarts + 1 : 0;
    if (this.failedStarts > MAX_FAILED_STARTS) {
      // Replacing it again would fail again: leave the dead worker, whose streams' frames fail.
      if (this.failedStarts === MAX_FAILED_STARTS + 1) {
        this.options.logger.error('Frame workers keep failing before their first frame: no more replacements', { reason: why });
      }
      return;
    }
    this.options.logger.warn('Frame worker replaced', { reason: why, streams: dead.streams.size });
    const replacement = this.spawn();
    this.workers[index] = replacement;
    for (const [streamId, onDecoderLost] of dead.streams) {
      replacement.streams.set(streamId, onDecoderLost);
      onDecoderLost();
    }
  }
}

/** One track's frames on its worker. */
export class DecodingStream {
  private closed = false;

  constructor(
    private readonly pool: FrameWorkerPool,
    readonly streamId: string,
    readonly codec: StreamCodec,
  ) {}

  decodeAndDetect(data: Uint8Array, keyframe: boolean): Promise<FrameOutcome> {
    return this.videoFrame(data, keyframe, true);
  }

  /** Decodes the frame (the decoder needs every one) without running the detector on it: no detections. */
  decode(data: Uint8Array, keyframe: boolean): Promise<FrameOutcome> {
    return this.videoFrame(data, keyframe, false);
  }

  /** The levels in dBov of Opus packets (in order, one message), decoded in the worker; a packet that does not decode has none. */
  measureAudio(packets: Uint8Array[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new FrameDropped('worker_restarted', 'the stream is closed'));
    return this.pool.measureAudio(this.streamId, packets);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.endStream(this.streamId);
  }

  private videoFrame(data: Uint8Array, keyframe: boolean, analyze: boolean): Promise<FrameOutcome> {
    if (this.closed) return Promise.reject(new FrameDropped('worker_restarted', 'the stream is closed'));
    if (this.codec === 'OPUS') return Promise.reject(new Error('an audio stream has no video frames'));
    return this.pool.run(this.streamId, this.codec, data, keyframe, analyze);
  }
}
