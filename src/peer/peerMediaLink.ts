import type { TrackRecord } from '../../machines/peerSession.types';
import type { CountersSummary, SummarySoFar } from '../counters/summary';
import type { CloseReason, SessionCounters, StreamClosedEvent } from '../protocol';
import type { IceUpdateResult } from './iceUpdates';

/**
 * What a session's actor asks of its media side (MediaPeer), wherever that lives: on the main
 * thread the MediaPeer itself, in a media worker a proxy that reaches it by message. Each method
 * is one of the machine's effects; the media side answers with events (PeerSessionEvent).
 */
export interface PeerMediaLink {
  /** Where the connection lives: "main", or the media worker's name. */
  readonly location: string;
  /** The connection's state as last known (a worker reports it with the counters). */
  readonly connectionState: string;
  /** The session's counters; from a worker, as of its last report (at most 100 ms old) or exact once closed. */
  counters(): SessionCounters;
  negotiate(offerSdp: string): Promise<string>;
  /** Applies a WHIP PATCH: trickled candidates, or an ICE restart (RFC 9725 section 4.3). */
  updateIce(fragment: string, ifMatch: string): Promise<IceUpdateResult>;
  announce(): void;
  stopProcessors(trackIds: string[]): Promise<void>;
  freezeCounters(closeReason: CloseReason, tracks: Record<string, TrackRecord>): Promise<CountersSummary>;
  /** The summary's fields as they stand, for a partial summary when freezeCounters failed or timed out. */
  summarySoFar(): SummarySoFar;
  emitSummary(event: StreamClosedEvent, signal: AbortSignal): Promise<void>;
  /** Closes the connection and everything it feeds; idempotent. */
  closeConnection(): Promise<void>;
  /** Whether every ICE and DTLS transport of the connection is closed (tests: nothing left). */
  transportsClosed(): Promise<boolean>;
}
