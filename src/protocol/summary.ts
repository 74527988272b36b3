/**
 * The summary of a closed session, as sent in `stream_closed`, kept in the session's record
 * and posted to the summary webhook (API.md). Plain types only: the machine, the server, the
 * CLI client and the page all import them.
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
export type CloseReason = 'tracks_ended' | 'client_request' | 'peer_closed' | 'peer_failed' | 'server_shutdown' | 'error';

/** Why a frame was not analysed by the decoder or detector. */
export type AnalysisDropReason =
  | 'waiting_for_keyframe'
  | 'decode_error'
  | 'analysis_error'
  | 'analysis_timeout'
  | 'worker_restarted';

/**
 * Why a received video frame was not processed: the keys of the summary's `dropped_by_reason`.
 * `frame_too_large`: over MAX_FRAME_BYTES or MAX_FRAME_PACKETS while assembled;
 * `picture_too_large`: its headers declare a picture over MAX_PICTURE_PIXELS (never decoded).
 */
export type DropReason =
  | AnalysisDropReason
  | 'buffer_full'
  | 'incomplete_frame'
  | 'frame_too_large'
  | 'picture_too_large'
  | 'queued_at_stop'
  | 'in_flight_at_close';

/** The top-level states an actor goes through from the first close trigger to release. */
export type ClosingState = 'TrackEnding' | 'StoppingProcessor' | 'ClosingSession' | 'EmittingSummary' | 'Cleanup';

/** Summary carried by `stream_closed` (API.md): the five required fields and additive ones. */
export interface StreamSummary {
  total_frames_received: number;
  total_frames_processed: number;
  total_frames_dropped: number;
  total_detections: number;
  duration_sec: number;
  dropped_by_reason: Partial<Record<DropReason, number>>;
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
  /**
   * Frames decoded but not analysed because ANALYSIS_FPS limits the analysis rate: processed,
   * not dropped (so not in `dropped_by_reason`), and not in `total_frames_analyzed`.
   */
  total_frames_not_sampled: number;
  /** From a frame leaving the buffer to its analysis finishing (decode + detection), in ms; frames not sampled are left out. */
  avg_processing_time_ms: number;
  p95_processing_time_ms: number;
  /** The decoder's time per decoded frame (in the worker), in ms; 0 when nothing was decoded. */
  avg_decode_time_ms: number;
  p95_decode_time_ms: number;
  /** From a decoded picture to its detections per analysed frame (a wait for the detector included), in ms. */
  avg_detect_time_ms: number;
  p95_detect_time_ms: number;
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
  close_ms_by_state: Partial<Record<ClosingState, number>>;
  /**
   * Present (true) when the thread holding the session's connection died before the session
   * closed: the summary is made from the counters it last reported (every 100 ms), frames not
   * accounted for count as `in_flight_at_close`, and the p95 times are 0.
   */
  partial?: true;
}
