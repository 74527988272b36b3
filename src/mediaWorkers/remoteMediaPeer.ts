import type { PeerSessionEvent, TrackRecord } from '../../machines/peerSession.types';
import { Session } from '../counters/session';
import { partialSummary, type CountersSummary, type SummarySoFar } from '../counters/summary';
import type { CloseReason, SessionCounters, StreamClosedEvent } from '../protocol';
import type { IceUpdateResult } from '../peer/iceUpdates';
import type { PeerMediaLink } from '../peer/peerMediaLink';
import type { MediaMethod, MediaStatus } from '../peer/worker/mediaWorkerProtocol';

/** How a RemoteMediaPeer reaches its worker. */
export interface MediaWorkerChannel {
  readonly name: string;
  /** False once the worker is gone (crashed, out of memory, ended): its calls fail. */
  readonly alive: boolean;
  call(sessionId: string, method: MediaMethod, args: unknown[], signal?: AbortSignal): Promise<unknown>;
}

/**
 * A session's media side as the main thread sees it when it lives in a media worker: each
 * effect is a message to the worker, answered when done; events come back to `emit`; the
 * counters and connection state are those the worker last reported.
 */
export class RemoteMediaPeer implements PeerMediaLink {
  private status: MediaStatus;
  private closing: Promise<void> | null = null;

  constructor(
    readonly sessionId: string,
    startTime: number,
    private readonly channel: MediaWorkerChannel,
    readonly emit: (event: PeerSessionEvent) => void,
  ) {
    const session = new Session(sessionId, Date.now, startTime);
    this.status = { counters: session.counters(), connectionState: 'new', summary: session.summarySoFar() };
  }

  get location(): string {
    return this.channel.name;
  }

  get connectionState(): string {
    return this.status.connectionState;
  }

  counters(): SessionCounters {
    return this.status.counters;
  }

  /** What the worker reported. */
  update(status: MediaStatus): void {
    this.status = status;
  }

  async negotiate(offerSdp: string): Promise<string> {
    return (await this.channel.call(this.sessionId, 'negotiate', [offerSdp])) as string;
  }

  async updateIce(fragment: string, ifMatch: string): Promise<IceUpdateResult> {
    return (await this.channel.call(this.sessionId, 'updateIce', [fragment, ifMatch])) as IceUpdateResult;
  }

  announce(): void {
    // The actor's entry action cannot wait; a failure shows in the client never hearing it.
    this.channel.call(this.sessionId, 'announce', []).catch(() => {});
  }

  async stopProcessors(trackIds: string[]): Promise<void> {
    await this.channel.call(this.sessionId, 'stopProcessors', [trackIds]);
  }

  /**
   * The summary the worker makes as it closes the session; when the worker is gone (before the
   * call, or during it), one made here from what it last reported, marked partial: no session
   * loses its summary with its worker.
   */
  async freezeCounters(closeReason: CloseReason, tracks: Record<string, TrackRecord>): Promise<CountersSummary> {
    try {
      return (await this.channel.call(this.sessionId, 'freezeCounters', [closeReason, tracks])) as CountersSummary;
    } catch (error) {
      if (this.channel.alive) throw error;
      return partialSummary(this.status.summary, Date.now(), tracks);
    }
  }

  /** The summary so far, as of the worker's last status report. */
  summarySoFar(): SummarySoFar {
    return this.status.summary;
  }

  async emitSummary(event: StreamClosedEvent, signal: AbortSignal): Promise<void> {
    await this.channel.call(this.sessionId, 'emitSummary', [event], signal);
  }

  closeConnection(): Promise<void> {
    this.closing ??= this.channel.call(this.sessionId, 'closeConnection', []).then(() => {});
    return this.closing;
  }

  async transportsClosed(): Promise<boolean> {
    return (await this.channel.call(this.sessionId, 'transportsClosed', [])) as boolean;
  }
}
