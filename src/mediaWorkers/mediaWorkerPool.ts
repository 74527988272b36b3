import type { AnalysisSettings } from '../config';
import { errorMessage, type Logger } from '../logger';
import type { DecoderBackendName } from '../media/decode/videoDecoders';
import type { DtlsCertificatePems } from '../webrtc/dtlsCertificate';
import type { ReceivedVideo } from '../webrtc/receivedVideo';
import { MediaWorkerHandle, type MediaWorkerHoldings, type OpenedMedia } from './mediaWorkerHandle';
import type { MediaPeerSettings } from '../peer/mediaPeer';
import type { MediaWorkerSetup } from '../peer/worker/mediaWorkerProtocol';
import type { RemoteMediaPeer } from './remoteMediaPeer';

export type { MediaWorkerHoldings, OpenedMedia };

export interface MediaWorkerPoolOptions {
  /** Media workers (MEDIA_WORKERS). */
  size: number;
  /** The slices of the configuration each worker is started with. */
  settings: MediaPeerSettings;
  analysis: AnalysisSettings;
  logger: Logger;
  decoder: DecoderBackendName;
  /** Decode workers in all (DECODE_WORKERS), shared out among the media workers, at least one each. */
  decodeWorkers: number;
  receivedVideo: ReceivedVideo;
  certificate: DtlsCertificatePems;
}

/** Workers that may die in a row before answering `ready` until the pool stops replacing them. */
const MAX_FAILED_STARTS = 3;

/**
 * The media workers (MEDIA_WORKERS): threads that each own the werift connections of the
 * sessions placed on them, so ICE, DTLS, SRTP, SCTP and frame assembly use every core. A new
 * session goes to the worker holding the fewest. A worker that dies is replaced.
 */
export class MediaWorkerPool {
  private readonly workers: MediaWorkerHandle[] = [];
  private failedStarts = 0;
  private closing: Promise<void> | null = null;

  private constructor(private readonly options: MediaWorkerPoolOptions) {
    for (let index = 0; index < options.size; index++) this.workers.push(this.spawn(index));
  }

  /** Starts the workers and waits until each is ready to take sessions. */
  static async start(options: MediaWorkerPoolOptions): Promise<MediaWorkerPool> {
    const pool = new MediaWorkerPool(options);
    try {
      await Promise.all(pool.workers.map((worker) => worker.ready));
    } catch (error) {
      await pool.close();
      throw new Error(`a media worker could not start: ${errorMessage(error)}`);
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sessions per worker, by name. */
  loads(): Record<string, number> {
    return Object.fromEntries(this.workers.map((worker) => [worker.name, worker.load]));
  }

  /** What each worker holds: connections and heap (benches, soak runs). */
  measure(): Promise<MediaWorkerHoldings[]> {
    return Promise.all(this.workers.map((worker) => worker.measure()));
  }

  /** Ends one worker as a crash would, e.g. "media-1" (fault injection: tests and benches). */
  async crash(name: string): Promise<void> {
    await this.workers.find((worker) => worker.name === name)?.crash();
  }

  /** Places a session's media on the live worker holding the fewest sessions. */
  open(media: OpenedMedia): RemoteMediaPeer {
    const live = this.workers.filter((worker) => worker.alive);
    if (this.closing || live.length === 0) throw new Error('no media worker is running');
    const least = live.reduce((best, worker) => (worker.load < best.load ? worker : best));
    return least.open(media);
  }

  /** Ends every worker (their connections closed first); idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.workers.map((worker) => worker.stop())).then(() => {});
    return this.closing;
  }

  private spawn(index: number): MediaWorkerHandle {
    const { size, settings, analysis, logger, decoder, decodeWorkers, receivedVideo, certificate } = this.options;
    const name = `media-${index + 1}`;
    const setup: MediaWorkerSetup = {
      name,
      settings,
      analysis,
      logLevel: logger.level,
      decoder,
      decodeWorkers: Math.max(1, Math.round(decodeWorkers / size)),
      receivedVideo,
      certificate,
      // A worker takes no --expose-gc of its own: it is told, so that a soak run measures each
      // worker's heap after a GC as it does the main thread's.
      collectBeforeMeasuring: process.execArgv.includes('--expose-gc'),
    };
    return new MediaWorkerHandle(name, setup, logger, (handle, why, beforeReady) => this.replace(index, handle, why, beforeReady));
  }

  private replace(index: number, handle: MediaWorkerHandle, why: string, beforeReady: boolean): void {
    if (this.closing) return;
    this.failedStarts = beforeReady ? this.failedStarts + 1 : 0;
    const { logger } = this.options;
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      logger.error('Media worker keeps failing to start: not replacing it', { media_worker: handle.name, reason: why });
      return;
    }
    logger.error('Media worker died: its sessions failed; starting a new one', { media_worker: handle.name, reason: why, sessions: handle.load });
    this.workers[index] = this.spawn(index);
  }
}
