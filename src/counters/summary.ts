/**
 * The summary of a session (StreamSummary, API.md), shaped here and nowhere else, with every
 * body that carries it: the `stream_closed` event, the DELETE answer and the webhook body (the
 * session's record carries the summary as the actor stored it), and the internal summary
 * logged as `session.closed`. Pure functions of plain values, importing only types: a media
 * worker shapes the counters' part where the connection lives, the main thread adds the time
 * spent closing and wraps it, both from this one module.
 *
 * The summary is made in two steps because its parts live on two threads: the counters (where
 * the connection lives) know the frames, and close them into a CountersSummary; the actor (main
 * thread) knows how long closing took, and completes it with `withCloseTimes`.
 */
import type {
  ClosedSessionBody,
  CloseReason,
  ClosingState,
  DropReason,
  SessionSummaryWebhookBody,
  SessionView,
  StreamClosedEvent,
  StreamSummary,
  TrackEndReason,
} from '../protocol';
import type { AudioLevelStats } from './audioLevelStats';
import type { DurationStats } from './durationStats';

/** The internal summary dict, logged as `session.closed` (API.md). */
export interface InternalSummary {
  session_id: string;
  start_time: number;
  end_time: number;
  frame_count: number;
  audio_frame_count: number;
  audio_seconds: number;
  duration: number;
}

/** What the counters know of the summary; the lifecycle adds the time spent closing (`withCloseTimes`). */
export type CountersSummary = Omit<StreamSummary, 'close_ms_by_state'>;

/**
 * The summary so far of a session still open, without what only its close decides (end time,
 * duration, how its tracks ended) nor the percentiles (a sort of up to 10,000 samples each):
 * what a media worker reports with its status, every 100 ms, so that a session whose worker
 * dies still gets a (partial) summary.
 */
export type SummarySoFar = Omit<CountersSummary, 'end_time' | 'duration_sec' | 'tracks_ended_by' | Percentile>;

type Percentile = 'p95_processing_time_ms' | 'p95_decode_time_ms' | 'p95_detect_time_ms';

/** What the counters need of a track: how it ended, if it did. */
export interface EndedTrack {
  endReason: TrackEndReason | null;
}

/** A session's counts as the counters (counters/session.ts) keep them; `summarySoFar` names and rounds them. */
export interface SummaryTallies {
  startTime: number;
  framesReceived: number;
  framesProcessed: number;
  droppedByReason: ReadonlyMap<DropReason, number>;
  detections: number;
  audioFrames: number;
  audioSeconds: number;
  ignoredClientMessages: number;
  ignoredPackets: { readonly rtp: number; readonly rtcp: number };
  framesAnalyzed: number;
  framesNotSampled: number;
  processingTimes: DurationStats;
  decodeTimes: DurationStats;
  detectTimes: DurationStats;
  keyframes: number;
  keyframeRequests: number;
  detectionEvents: number;
  /** Levels the sender announced (RFC 6464), and levels measured by decoding. */
  announcedLevels: AudioLevelStats;
  measuredLevels: AudioLevelStats;
}

/** The summary's fields as the tallies stand; nothing is frozen. */
export function summarySoFar(tallies: Readonly<SummaryTallies>): SummarySoFar {
  return {
    total_frames_received: tallies.framesReceived,
    total_frames_processed: tallies.framesProcessed,
    total_frames_dropped: totalDropped(tallies.droppedByReason),
    total_detections: tallies.detections,
    dropped_by_reason: Object.fromEntries(tallies.droppedByReason),
    audio_frames: tallies.audioFrames,
    audio_seconds: round(tallies.audioSeconds, 3),
    start_time: tallies.startTime,
    ignored_client_messages: tallies.ignoredClientMessages,
    ignored_rtp_packets: tallies.ignoredPackets.rtp,
    ignored_rtcp_packets: tallies.ignoredPackets.rtcp,
    total_frames_analyzed: tallies.framesAnalyzed,
    total_frames_not_sampled: tallies.framesNotSampled,
    avg_processing_time_ms: round(tallies.processingTimes.mean, 2),
    avg_decode_time_ms: round(tallies.decodeTimes.mean, 2),
    avg_detect_time_ms: round(tallies.detectTimes.mean, 2),
    keyframes: tallies.keyframes,
    keyframe_requests: tallies.keyframeRequests,
    detection_events: tallies.detectionEvents,
    ...audioLevelSummary(tallies),
  };
}

/** The internal summary of a session whose counters closed at `endTime`. */
export function internalSummary(sessionId: string, tallies: Readonly<SummaryTallies>, endTime: number): InternalSummary {
  return {
    session_id: sessionId,
    start_time: tallies.startTime,
    end_time: endTime,
    frame_count: tallies.framesProcessed,
    audio_frame_count: tallies.audioFrames,
    audio_seconds: round(tallies.audioSeconds, 3),
    duration: durationSec(tallies.startTime, endTime),
  };
}

/** The p95 times of the tallies: a sort of each window, so made once, when the counters close. */
export function percentiles(tallies: Readonly<SummaryTallies>): Pick<CountersSummary, Percentile> {
  return {
    p95_processing_time_ms: round(tallies.processingTimes.p95, 2),
    p95_decode_time_ms: round(tallies.decodeTimes.p95, 2),
    p95_detect_time_ms: round(tallies.detectTimes.p95, 2),
  };
}

/** A summary made of the fields so far, closed at `endTime` with its tracks' end reasons. */
export function closedSummary(
  soFar: SummarySoFar,
  endTime: number,
  tracks: Record<string, EndedTrack>,
  p95: Pick<CountersSummary, Percentile>,
): CountersSummary {
  return {
    ...soFar,
    ...p95,
    duration_sec: durationSec(soFar.start_time, endTime),
    end_time: endTime,
    tracks_ended_by: countEndReasons(tracks),
  };
}

/**
 * A summary made from the counters as they last stood, for a session whose counters could not
 * be closed: its media worker died, or closing them failed or timed out. Frames received but
 * neither processed nor dropped are counted as dropped `in_flight_at_close`, so the counts still
 * add up; there are no percentiles (they need the samples), and it is marked `partial`.
 */
export function partialSummary(soFar: SummarySoFar, endTime: number, tracks: Record<string, EndedTrack>): CountersSummary {
  const lost = Math.max(0, soFar.total_frames_received - soFar.total_frames_processed - soFar.total_frames_dropped);
  const counted =
    lost === 0
      ? soFar
      : {
          ...soFar,
          total_frames_dropped: soFar.total_frames_dropped + lost,
          dropped_by_reason: { ...soFar.dropped_by_reason, in_flight_at_close: (soFar.dropped_by_reason.in_flight_at_close ?? 0) + lost },
        };
  const noPercentiles = { p95_processing_time_ms: 0, p95_decode_time_ms: 0, p95_detect_time_ms: 0 };
  return { ...closedSummary(counted, endTime, tracks, noPercentiles), partial: true };
}

/**
 * The whole summary: the counters' part and the milliseconds spent in each closing state up to
 * now (the end of ClosingSession), as the actor's timeline measured them.
 */
export function withCloseTimes(counted: CountersSummary, closeMsByState: Partial<Record<ClosingState, number>>): StreamSummary {
  return { ...counted, close_ms_by_state: closeMsByState };
}

/** The last message on the data channel, carrying the summary. */
export function streamClosedEvent(sessionId: string, reason: CloseReason, summary: StreamSummary): StreamClosedEvent {
  return { event_type: 'stream_closed', session_id: sessionId, reason, summary };
}

/** What DELETE on a session answers: the id, why it ended, and its record's summary. */
export function closedSessionBody(record: Pick<SessionView, 'session_id' | 'reason' | 'summary'>): ClosedSessionBody {
  return { session_id: record.session_id, reason: record.reason, summary: record.summary };
}

/** What the summary webhook posts (and a cluster's Redis summary stream holds) for a record. */
export function webhookBody({ session_id, reason, summary, ended_at }: Pick<SessionView, 'session_id' | 'reason' | 'summary' | 'ended_at'>): SessionSummaryWebhookBody {
  return { event_type: 'session_summary', session_id, reason, summary, ended_at };
}

/** Seconds from start to end, rounded to the millisecond; never negative. */
function durationSec(startTime: number, endTime: number): number {
  return round(Math.max(0, endTime - startTime) / 1000, 3);
}

/** Measured levels when the audio was decoded, else what the sender announced, else nulls. */
function audioLevelSummary(tallies: Readonly<SummaryTallies>): Pick<StreamSummary, 'audio_level_dbov' | 'voice_activity_ratio' | 'audio_level_source'> {
  const [levels, source] =
    tallies.measuredLevels.packets > 0
      ? [tallies.measuredLevels, 'decoded' as const]
      : tallies.announcedLevels.packets > 0
        ? [tallies.announcedLevels, 'rtp_header_extension' as const]
        : [null, null];
  return {
    audio_level_dbov: roundOrNull(levels?.meanDbov ?? null, 1),
    voice_activity_ratio: roundOrNull(levels?.voiceActivityRatio ?? null, 3),
    audio_level_source: source,
  };
}

export function totalDropped(droppedByReason: ReadonlyMap<DropReason, number>): number {
  let total = 0;
  for (const count of droppedByReason.values()) total += count;
  return total;
}

function countEndReasons(tracks: Record<string, EndedTrack>): Partial<Record<TrackEndReason, number>> {
  const counts: Partial<Record<TrackEndReason, number>> = {};
  for (const track of Object.values(tracks)) {
    if (track.endReason) counts[track.endReason] = (counts[track.endReason] ?? 0) + 1;
  }
  return counts;
}

function roundOrNull(value: number | null, digits: number): number | null {
  return value === null ? null : round(value, digits);
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
