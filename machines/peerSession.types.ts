/**
 * Types shared by the peer-session machine and the code that drives it. Plain data only:
 * no werift, express or node imports, so the machine opens in the Stately visualizer.
 */

export type TrackKind = 'video' | 'audio';

/** How a track was seen to end. */
export type TrackEndReason =
  | 'rtcp_bye'
  | 'inactivity'
  | 'transceiver_stopped'
  | 'peer_closed'
  | 'peer_failed'
  | 'client_request'
  | 'server_shutdown'
  | 'error';

/** Why a session closed; the `reason` of `stream_closed` (API.md). */
export type CloseReason =
  | 'tracks_ended'
  | 'client_request'
  | 'peer_closed'
  | 'peer_failed'
  | 'server_shutdown'
  | 'error';

export interface TrackRecord {
  kind: TrackKind;
  /** live: media flows; ended: end seen, processor not yet stopped; stopped: processor stopped. */
  status: 'live' | 'ended' | 'stopped';
  endReason: TrackEndReason | null;
}

/** Summary carried by `stream_closed` (API.md): the five required fields and additive ones. */
export interface StreamSummary {
  total_frames_received: number;
  total_frames_processed: number;
  total_frames_dropped: number;
  total_detections: number;
  duration_sec: number;
  dropped_by_reason: Record<string, number>;
  audio_frames: number;
  audio_seconds: number;
  start_time: number;
  end_time: number;
  tracks_ended_by: Partial<Record<TrackEndReason, number>>;
  /** Data channel messages from the client that were not understood and were ignored. */
  ignored_client_messages: number;
  /** Media packets that failed SRTP/SRTCP authentication or were malformed, and were dropped. */
  ignored_rtp_packets: number;
  ignored_rtcp_packets: number;
  /** Frames a detector looked at (a decoder may take a frame and give no picture). */
  total_frames_analyzed: number;
  /** From a frame leaving the buffer to its analysis finishing (decode + detection), in ms. */
  avg_processing_time_ms: number;
  p95_processing_time_ms: number;
  keyframes: number;
  keyframe_requests: number;
  /** `detection` events sent on the data channel (coalesced: at most DETECTION_EVENTS_PER_SECOND). */
  detection_events: number;
  /** Mean audio level in dBov (0 loudest, -127 silence) from RFC 6464 indications; null without them. */
  audio_level_dbov: number | null;
  /** Share of audio packets the sender flagged as voice (RFC 6464); null without indications. */
  voice_activity_ratio: number | null;
  /** Where the two come from: the decoded audio, or the sender's RFC 6464 indications. */
  audio_level_source: 'decoded' | 'rtp_header_extension' | null;
  /**
   * Milliseconds spent in each closing state up to the moment the summary was made: TrackEnding,
   * StoppingProcessor (when a processor was stopped) and ClosingSession. The session's record
   * carries the same map for every closing state, EmittingSummary and Cleanup included.
   */
  close_ms_by_state: Partial<Record<string, number>>;
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
export interface CloseSessionInput {
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
