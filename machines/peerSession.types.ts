/**
 * Types shared by the peer-session machine and the code that drives it. Plain data only:
 * no werift, express or node imports, so the machine opens in the Stately visualizer.
 */

import type { CloseReason, StreamSummary, TrackEndReason, TrackKind, TrackView } from '../src/protocol';

/** The wire types the machine reads and writes (src/protocol, typed once for server and clients). */
export type { CloseReason, StreamSummary, TrackEndReason, TrackKind };

export interface TrackRecord {
  kind: TrackKind;
  /** live: media flows; ended: end seen, processor not yet stopped; stopped: processor stopped. */
  status: TrackView['status'];
  endReason: TrackEndReason | null;
}

export interface PeerSessionInput {
  sessionId: string;
}

export interface PeerSessionContext {
  sessionId: string;
  tracks: Record<string, TrackRecord>;
  dataChannelOpen: boolean;
  closeReason: CloseReason | null;
  summary: StreamSummary | null;
  /** Tracks whose processors the running stopProcessors call stops (empty outside StoppingProcessor). */
  stoppingTrackIds: string[];
  /** Effects that failed or timed out, in order ("stopProcessors timed out"). */
  faults: string[];
}

export type PeerSessionEvent =
  | { type: 'TRACK_ADDED'; trackId: string; kind: TrackKind }
  | { type: 'TRACK_ENDED'; trackId: string; reason: TrackEndReason }
  | { type: 'DATA_CHANNEL_OPENED' }
  | { type: 'DATA_CHANNEL_CLOSED' }
  | { type: 'CLOSE_REQUESTED' }
  | { type: 'PEER_CLOSED' }
  | { type: 'PEER_FAILED' }
  | { type: 'SHUTDOWN' }
  /** The server could not set the session up or run it (e.g. negotiation failed). */
  | { type: 'SESSION_FAILED' };

/** Input of the invoked effects. */
export interface StopProcessorsInput {
  sessionId: string;
  trackIds: string[];
}
export interface FreezeCountersInput {
  sessionId: string;
  closeReason: CloseReason;
  tracks: Record<string, TrackRecord>;
}
export interface EmitSummaryInput {
  sessionId: string;
  closeReason: CloseReason;
  summary: StreamSummary | null;
}
export interface ClosePeerConnectionInput {
  sessionId: string;
}
