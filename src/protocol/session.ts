/** Sessions as the HTTP routes show them (API.md, "Signaling over HTTP"). Plain types only. */
import type { CloseReason, ClosingState, StreamSummary, TrackEndReason, TrackKind } from './summary';

/** `POST /offer` and `POST /sessions/<id>/offer` answer with this. */
export interface OfferAnswer {
  sdp: string;
  type: 'answer';
  session_id: string;
}

export interface TrackView {
  track_id: string;
  kind: TrackKind;
  /** live: media flows; ended: end seen, processor not yet stopped; stopped: processor stopped. */
  status: 'live' | 'ended' | 'stopped';
  end_reason: TrackEndReason | null;
}

/** A session's running counters (`counters` of its record). */
export interface SessionCounters {
  frames_received: number;
  frames_processed: number;
  frames_analyzed: number;
  /** Decoded but not analysed: skipped by the analysis rate (ANALYSIS_FPS); counted as processed. */
  frames_not_sampled: number;
  frames_dropped: number;
  detections: number;
  audio_frames: number;
  audio_seconds: number;
  ignored_client_messages: number;
  ignored_rtp_packets: number;
  ignored_rtcp_packets: number;
}

/** One top-level state the session's actor entered, with the epoch-millisecond time. */
export interface TimelineEntry {
  state: string;
  at: number;
}

/** `GET /sessions/<id>`: a live session, or the record of one that ended. */
export interface SessionView {
  session_id: string;
  state: string;
  started_at: number;
  ended_at: number | null;
  reason: CloseReason | null;
  data_channel_open: boolean;
  tracks: TrackView[];
  counters: SessionCounters;
  summary: StreamSummary | null;
  /** Effects that failed or timed out while closing (empty when all went well). */
  faults: string[];
  /** The top-level states the actor entered, in order, with epoch-millisecond times. */
  timeline: TimelineEntry[];
  /** Milliseconds spent in each closing state left so far (every one of them once released). */
  close_ms_by_state: Partial<Record<ClosingState, number>>;
  /** The subject of the credential that created the session (absent in the open mode); only its owner or an admin reads the record. */
  owner?: string;
  /** The label the creating credential gave the session (a JWT's `session_name`), when it gave one. */
  name?: string;
}

/**
 * Who asks for a session (http/auth/): an admin may end any; a publisher only the sessions whose
 * `owner` is its subject. Carried with a DELETE forwarded to the instance holding the session.
 */
export interface SessionCaller {
  role: 'admin' | 'publish';
  subject: string;
}

/** One entry of `GET /sessions`. */
export type SessionListEntry = Pick<SessionView, 'session_id' | 'state' | 'started_at' | 'ended_at'>;

/** `DELETE /sessions/<id>` and `DELETE /whip/<id>` answer with this. */
export type ClosedSessionBody = Pick<SessionView, 'session_id' | 'reason' | 'summary'>;
