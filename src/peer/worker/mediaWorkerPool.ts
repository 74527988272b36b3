import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PeerSessionEvent } from '../../../machines/peerSession.types';
import type { ServerConfig } from '../../config';
import { errorMessage, type Logger } from '../../logger';
import type { DecoderBackendName } from '../../media/decode/videoDecoders';
import type { DtlsCertificatePems } from '../../webrtc/dtlsCertificate';
import type { ReceivedVideo } from '../../webrtc/receivedVideo';
import type { FromMediaWorker, MediaMethod, MediaWorkerSetup, ToMediaWorker } from './mediaWorkerProtocol';
import { RemoteMediaPeer, type MediaWorkerChannel } from './remoteMediaPeer';

export interface MediaWorkerPoolOptions {
  /** Media workers (MEDIA_WORKERS). */
  size: number;
  config: ServerConfig;
  logger: Logger;
  decoder: DecoderBackendName;
  /** Decode workers in all (DECODE_WORKERS), shared out among the media workers, at least one each. */
  decodeWorkers: number;
  receivedVideo: ReceivedVideo;
  certificate: DtlsCertificatePems;
}

export interface OpenedMedia {
  id: string;
  startTime: number;
  emit(event: PeerSessionEvent): void;
}

interface PendingCall {
  sessionId: string;
  method: MediaMethod;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** How long close() waits for a worker to close its connections before ending it. */
const STOP_TIMEOUT_MS = 3000;
/** Workers that may die in a row before answering `ready` until the pool stops replacing them. */
const MAX_FAILED_STARTS = 3;

/** What a worker holds (MediaWorkerPool.measure). */
export interface MediaWorkerHoldings {
  name: string;
  connections: number;
  heapUsedBytes: number;
}

function startWorker(setup: MediaWorkerSetup): Worker {
  const typescript = __filename.endsWith('.ts');
  // --expose-gc passes on, so that a soak run measures each worker's heap after a GC as it does the main thread's.
  const gc = process.execArgv.filter((flag) => flag === '--expose-gc');
  return new Worker(join(__dirname, typescript ? 'mediaWorker.ts' : 'mediaWorker.js'), {
    workerData: setup,
    execArgv: [...gc, ...(typescript ? ['--require', require.resolve('tsx/cjs')] : [])],
  });
}

/**
 * One media worker and the sessions whose connections live in it. Calls are answered by
 * message; a worker that dies takes its connections with it: each of its sessions is told its
 * peer failed (its actor closes it; effects that need the worker fail at once).
 */
class MediaWorkerHandle implements MediaWorkerChannel {
  readonly peers = new Map<string, RemoteMediaPeer>();
  readonly ready: Promise<void>;
  private readonly calls = new Map<number, PendingCall>();
  private readonly measures = new Map<number, (holdings: MediaWorkerHoldings) => void>();
  private readonly worker: Worker;
  private nextCallId = 1;
  private goneBecause: string | null = null;
  private answeredReady = false;
  private stopped: () => void = () => {};

  constructor(
    readonly name: string,
    setup: MediaWorkerSetup,
    private readonly logger: Logger,
    private readonly onDeath: (handle: MediaWorkerHandle, why: string, beforeReady: boolean) => void,
  ) {
    this.worker = startWorker(setup);
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromMediaWorker) => {
        if (message.type === 'ready') {
          this.answeredReady = true;
          resolve();
        } else this.receive(message);
      });
      this.worker.on('error', (error) => {
        reject(error);
        this.die(`worker error: ${error.message}`);
      });
      this.worker.on('exit', (code) => {
        reject(new Error(`media worker ${name} exited with code ${code} before it was ready`));
        this.die(`worker exited with code ${code}`);
      });
    });
    this.ready.catch(() => {});
  }

  get load(): number {
    return this.peers.size;
  }

  get alive(): boolean {
    return this.goneBecause === null;
  }

  open({ id, startTime, emit }: OpenedMedia): RemoteMediaPeer {
    const peer = new RemoteMediaPeer(id, startTime, this, emit);
    this.peers.set(id, peer);
    this.post({ type: 'open', sessionId: id, startTime });
    return peer;
  }

  call(sessionId: string, method: MediaMethod, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    if (this.goneBecause !== null) {
      // A thread's sockets end with it: nothing of its connections is left open.
      if (method === 'transportsClosed') return Promise.resolve(true);
      return Promise.reject(new Error(`media worker ${this.name} is gone (${this.goneBecause})`));
    }
    const callId = this.nextCallId++;
    return new Promise((resolve, reject) => {
      this.calls.set(callId, { sessionId, method, resolve, reject });
      this.post({ type: 'call', callId, sessionId, method, args });
      signal?.addEventListener('abort', () => this.post({ type: 'abort', callId }), { once: true });
    });
  }

  /** Its connections and heap, as the worker reports them; zero when it is gone. */
  measure(): Promise<MediaWorkerHoldings> {
    if (!this.alive) return Promise.resolve({ name: this.name, connections: 0, heapUsedBytes: 0 });
    const requestId = this.nextCallId++;
    return new Promise((resolve) => {
      this.measures.set(requestId, resolve);
      this.post({ type: 'measure', requestId });
    });
  }

  /** Ends the thread as a crash would (fault injection). */
  crash(): Promise<number> {
    return this.worker.terminate();
  }

  /** Asks the worker to close what it holds, then ends it (at the latest after STOP_TIMEOUT_MS). */
  async stop(): Promise<void> {
    if (this.alive) {
      const stopped = new Promise<void>((resolve) => (this.stopped = resolve));
      this.post({ type: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    this.goneBecause ??= 'the server closed';
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }

  private post(message: ToMediaWorker): void {
    if (this.alive) this.worker.postMessage(message);
  }

  private receive(message: FromMediaWorker): void {
    switch (message.type) {
      case 'result': {
        const call = this.calls.get(message.callId);
        if (!call) return;
        this.calls.delete(message.callId);
        if (message.status) this.peers.get(call.sessionId)?.update(message.status);
        if (call.method === 'closeConnection') this.peers.delete(call.sessionId);
        if (message.ok) call.resolve(message.value);
        else call.reject(new Error(message.error));
        return;
      }
      case 'event':
        return this.peers.get(message.sessionId)?.emit(message.event);
      case 'status':
        for (const [sessionId, status] of message.sessions) this.peers.get(sessionId)?.update(status);
        return;
      case 'log':
        return void this.logger.log({ ...message.meta, level: message.level, message: message.message });
      case 'measured':
        this.measures.get(message.requestId)?.({ name: this.name, connections: message.connections, heapUsedBytes: message.heapUsedBytes });
        this.measures.delete(message.requestId);
        return;
      case 'stopped':
        return this.stopped();
    }
  }

  private die(why: string): void {
    if (this.goneBecause !== null) return;
    this.goneBecause = why;
    for (const call of this.calls.values()) call.reject(new Error(`media worker ${this.name} is gone (${why})`));
    this.calls.clear();
    for (const resolve of this.measures.values()) resolve({ name: this.name, connections: 0, heapUsedBytes: 0 });
    this.measures.clear();
    this.worker.removeAllListeners();
    void this.worker.terminate();
    // Its connections died with it: each session's actor closes the session.
    for (const peer of this.peers.values()) peer.emit({ type: 'PEER_FAILED' });
    this.onDeath(this, why, !this.answeredReady);
  }
}

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
    const { size, config, logger, decoder, decodeWorkers, receivedVideo, certificate } = this.options;
    const name = `media-${index + 1}`;
    const setup: MediaWorkerSetup = {
      name,
      config,
      logLevel: logger.level,
      decoder,
      decodeWorkers: Math.max(1, Math.round(decodeWorkers / size)),
      receivedVideo,
      certificate,
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
