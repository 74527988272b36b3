import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { PeerSessionEvent } from '../../machines/peerSession.types';
import { refusals, type RefusedResource } from '../limits/refusals';
import type { Logger } from '../logger';
import { crossedError } from '../errors';
import { startWorkerThread } from '../workerThreads';
import type { FromMediaWorker, MediaMethod, MediaWorkerSetup, ToMediaWorker } from '../peer/worker/mediaWorkerProtocol';
import { RemoteMediaPeer, type MediaWorkerChannel } from './remoteMediaPeer';

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

/** What a worker holds (MediaWorkerPool.measure). */
export interface MediaWorkerHoldings {
  name: string;
  connections: number;
  heapUsedBytes: number;
  /** Event-loop delay p99 since the previous measure, seconds. */
  eventLoopDelayP99Seconds: number;
}


/**
 * One media worker and the sessions whose connections live in it. Calls are answered by
 * message; a worker that dies takes its connections with it: each of its sessions is told its
 * peer failed (its actor closes it; effects that need the worker fail at once).
 */
export class MediaWorkerHandle implements MediaWorkerChannel {
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
    this.worker = startWorkerThread(join(__dirname, '..', 'peer', 'worker'), 'mediaWorker', setup);
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
      // The abort listener lives as long as the call: answered or failed, it is removed.
      const onAbort = () => this.post({ type: 'abort', callId });
      const settled = () => signal?.removeEventListener('abort', onAbort);
      this.calls.set(callId, {
        sessionId,
        method,
        resolve: (value) => (settled(), resolve(value)),
        reject: (error) => (settled(), reject(error)),
      });
      this.post({ type: 'call', callId, sessionId, method, args });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Its connections and heap, as the worker reports them; zero when it is gone. */
  measure(): Promise<MediaWorkerHoldings> {
    if (!this.alive) return Promise.resolve({ name: this.name, connections: 0, heapUsedBytes: 0, eventLoopDelayP99Seconds: 0 });
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
        if (call.method === 'closeConnection') this.forget(call.sessionId);
        if (message.ok) call.resolve(message.value);
        else call.reject(crossedError(message.error, message.errorName));
        return;
      }
      case 'event':
        return this.peers.get(message.sessionId)?.emit(message.event);
      case 'status':
        for (const [sessionId, status] of message.sessions) this.peers.get(sessionId)?.update(status);
        return;
      case 'refusals':
        for (const [resource, count] of Object.entries(message.counts)) refusals.count(resource as RefusedResource, count ?? 0);
        return;
      case 'log':
        return void this.logger.log({ ...message.meta, level: message.level, message: message.message });
      case 'measured':
        this.measures.get(message.requestId)?.({
          name: this.name,
          connections: message.connections,
          heapUsedBytes: message.heapUsedBytes,
          eventLoopDelayP99Seconds: message.eventLoopDelayP99Seconds,
        });
        this.measures.delete(message.requestId);
        return;
      case 'stopped':
        return this.stopped();
    }
  }

  /**
   * A session whose connection is closed leaves; a call of its still waiting fails (werift never
   * ends a negotiation whose connection was closed while it gathered candidates).
   */
  private forget(sessionId: string): void {
    this.peers.delete(sessionId);
    for (const [callId, call] of this.calls) {
      if (call.sessionId !== sessionId) continue;
      this.calls.delete(callId);
      call.reject(new Error('the connection is closed'));
    }
  }

  private die(why: string): void {
    if (this.goneBecause !== null) return;
    this.goneBecause = why;
    for (const call of this.calls.values()) call.reject(new Error(`media worker ${this.name} is gone (${why})`));
    this.calls.clear();
    for (const resolve of this.measures.values()) resolve({ name: this.name, connections: 0, heapUsedBytes: 0, eventLoopDelayP99Seconds: 0 });
    this.measures.clear();
    this.worker.removeAllListeners();
    void this.worker.terminate();
    // Its connections died with it: each session's actor closes the session.
    for (const peer of this.peers.values()) peer.emit({ type: 'PEER_FAILED' });
    this.onDeath(this, why, !this.answeredReady);
  }
}
