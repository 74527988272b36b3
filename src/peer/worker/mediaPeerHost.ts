import { monitorEventLoopDelay } from 'node:perf_hooks';
import { refusals } from '../../limits/refusals';
import { runAsOwner } from '../../limits/threadFaults';
import { errorMessage, type Logger } from '../../logger';
import type { AnalyzerSource } from '../../media/analyzer';
import type { ReceivedVideo } from '../../webrtc/receivedVideo';
import { MediaPeer, type MediaPeerSettings } from '../mediaPeer';
import type { FromMediaWorker, MediaStatus, ToMediaWorker } from './mediaWorkerProtocol';

export interface MediaPeerHostOptions {
  settings: MediaPeerSettings;
  logger: Logger;
  analyzer: AnalyzerSource;
  receivedVideo: ReceivedVideo;
  post(message: FromMediaWorker): void;
  /** Collects garbage before a `measure` is answered (soak runs only). */
  collectGarbage?: () => void;
}

/** How often changed counters are reported to the main thread. */
export const STATUS_INTERVAL_MS = 100;

interface Hosted {
  peer: MediaPeer;
  /** The status last reported, as JSON: unchanged sessions are not reported again. */
  reported: string;
  /** An exception escaped its work: its peer was reported failed (once). */
  failed: boolean;
}

/**
 * The media worker's side of its sessions: a MediaPeer per session, made on `open`, doing the
 * calls of the session's actor and reporting its events, and every STATUS_INTERVAL_MS the
 * counters that changed. A session leaves once its connection is closed.
 */
export class MediaPeerHost {
  private readonly hosted = new Map<string, Hosted>();
  private readonly aborts = new Map<number, AbortController>();
  private readonly timer: NodeJS.Timeout;
  /** This thread's event-loop delay since the last `measure`: what a flood of input costs its sessions. */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: MediaPeerHostOptions) {
    this.timer = setInterval(() => this.reportStatus(), STATUS_INTERVAL_MS);
    this.loopDelay.enable();
  }

  get size(): number {
    return this.hosted.size;
  }

  /** A message of the main thread's; `stop` is the entry's (it ends the decode workers too, after stop()). */
  handle(message: Exclude<ToMediaWorker, { type: 'stop' }>): void {
    switch (message.type) {
      // A session's work runs as its own (runAsOwner): an exception that escapes a callback of
      // its connection later fails that session only (see catchThreadFaults).
      case 'open':
        return runAsOwner(message.sessionId, () => this.open(message.sessionId, message.startTime));
      case 'call':
        return void runAsOwner(message.sessionId, () => this.call(message));
      case 'abort':
        return this.aborts.get(message.callId)?.abort();
      case 'measure': {
        this.options.collectGarbage?.();
        // Nanoseconds; the histogram starts again so that each measure covers the time since the last.
        const eventLoopDelayP99Seconds = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e9 : 0;
        this.loopDelay.reset();
        return this.options.post({
          type: 'measured',
          requestId: message.requestId,
          connections: this.hosted.size,
          heapUsedBytes: process.memoryUsage().heapUsed,
          eventLoopDelayP99Seconds,
        });
      }
    }
  }

  /**
   * An exception escaped the session's work: its connection's state may be half-updated, so its
   * actor is told the peer failed and closes it the usual way (counters and summary included).
   * Once: a peer that makes every packet throw does not make as many events.
   */
  failSession(sessionId: string, error: unknown): void {
    const hosted = this.hosted.get(sessionId);
    if (!hosted || hosted.failed) return;
    hosted.failed = true;
    this.options.logger.warn('An exception escaped the session; closing it', { session_id: sessionId, error: errorMessage(error) });
    this.options.post({ type: 'event', sessionId, event: { type: 'PEER_FAILED' } });
  }

  /** Closes every connection left; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      this.loopDelay.disable();
      await Promise.allSettled([...this.hosted.values()].map(({ peer }) => peer.closeConnection()));
      this.hosted.clear();
    })();
    return this.stopping;
  }

  private open(sessionId: string, startTime: number): void {
    const { settings, logger, analyzer, receivedVideo, post } = this.options;
    const peer = new MediaPeer({
      id: sessionId,
      startTime,
      settings,
      log: logger.child({ session_id: sessionId }),
      analyzer,
      receivedVideo,
      emit: (event) => post({ type: 'event', sessionId, event }),
    });
    this.hosted.set(sessionId, { peer, reported: '', failed: false });
  }

  private async call({ callId, sessionId, method, args }: Extract<ToMediaWorker, { type: 'call' }>): Promise<void> {
    const hosted = this.hosted.get(sessionId);
    const { post } = this.options;
    if (!hosted) {
      // Its connection is closed and gone: closing again, or asking, is answered as done.
      if (method === 'closeConnection' || method === 'transportsClosed') post({ type: 'result', callId, ok: true, value: true, status: null });
      else post({ type: 'result', callId, ok: false, error: `session ${sessionId} has no connection here`, status: null });
      return;
    }
    const { peer } = hosted;
    try {
      const value = await this.run(peer, callId, method, args);
      if (method === 'closeConnection') this.hosted.delete(sessionId);
      post({ type: 'result', callId, ok: true, value: value ?? null, status: this.status(peer) });
    } catch (error) {
      if (method === 'closeConnection') this.hosted.delete(sessionId);
      post({ type: 'result', callId, ok: false, error: errorMessage(error), errorName: (error as Error)?.name, status: this.status(peer) });
    } finally {
      this.aborts.delete(callId);
    }
  }

  private run(peer: MediaPeer, callId: number, method: string, args: unknown[]): Promise<unknown> | unknown {
    switch (method) {
      case 'negotiate':
        return peer.negotiate(args[0] as string);
      case 'updateIce':
        return peer.updateIce(args[0] as string, args[1] as string);
      case 'announce':
        return peer.announce();
      case 'stopProcessors':
        return peer.stopProcessors(args[0] as string[]);
      case 'freezeCounters':
        return peer.freezeCounters(...(args as Parameters<MediaPeer['freezeCounters']>));
      case 'emitSummary': {
        const abort = new AbortController();
        this.aborts.set(callId, abort);
        return peer.emitSummary(args[0] as Parameters<MediaPeer['emitSummary']>[0], abort.signal);
      }
      case 'closeConnection':
        return peer.closeConnection();
      case 'transportsClosed':
        return peer.transportsClosed();
      default:
        throw new Error(`unknown media call ${method}`);
    }
  }

  private status(peer: MediaPeer): MediaStatus {
    return { counters: peer.counters(), connectionState: peer.connectionState, summary: peer.session.summarySoFar() };
  }

  private reportStatus(): void {
    const sessions: Array<[string, MediaStatus]> = [];
    for (const [sessionId, hosted] of this.hosted) {
      const status = this.status(hosted.peer);
      const json = JSON.stringify(status);
      if (json === hosted.reported) continue;
      hosted.reported = json;
      sessions.push([sessionId, status]);
    }
    if (sessions.length > 0) this.options.post({ type: 'status', sessions });
    const refused = refusals.take();
    if (refused) this.options.post({ type: 'refusals', counts: refused });
  }
}
