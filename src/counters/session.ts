import type { CloseReason, DropReason, SessionCounters, StreamSummary, TrackEndReason } from '../protocol';
import { AudioLevelStats, measuredLevel, type AudioLevelIndication } from './audioLevelStats';
import { DurationStats } from './durationStats';

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

/** What the counters know of the summary; the lifecycle adds the time spent closing. */
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

/** How a processed frame was handled. */
export interface FrameProcessing {
  /** A detector looked at its picture. */
  analyzed: boolean;
  processingMs: number;
  /** Decoded but skipped by the analysis rate (ANALYSIS_FPS). */
  notSampled?: boolean;
  /** Milliseconds the decoder took over the frame, when it was decoded. */
  decodeMs?: number;
  /** Milliseconds from the decoded picture to its detections, when a detector looked at it. */
  detectMs?: number;
}

export interface SessionClosure {
  internal: InternalSummary;
  summary: CountersSummary;
  reason: CloseReason;
}

/**
 * Counters and lifecycle timestamps of one session. Processors update the counters directly
 * (many times a second); once `close()` has run they are frozen and late updates are ignored.
 */
export class Session {
  readonly startTime: number;
  private endTime: number | null = null;
  private closure: SessionClosure | null = null;

  private framesReceived = 0;
  private framesProcessed = 0;
  private readonly droppedByReason = new Map<DropReason, number>();
  private detections = 0;
  private audioFrames = 0;
  private audioSeconds = 0;
  private ignoredClientMessages = 0;
  private readonly ignoredPackets = { rtp: 0, rtcp: 0 };
  private framesAnalyzed = 0;
  private framesNotSampled = 0;
  private readonly processingTimes = new DurationStats();
  private readonly decodeTimes = new DurationStats();
  private readonly detectTimes = new DurationStats();
  private keyframes = 0;
  private keyframeRequests = 0;
  private detectionEvents = 0;
  /** Levels the sender announced (RFC 6464), and levels measured by decoding. */
  private readonly announcedLevels = new AudioLevelStats();
  private readonly measuredLevels = new AudioLevelStats();

  constructor(
    readonly id: string,
    private readonly now: () => number = Date.now,
    /** When the session began, if it began before its counters were made (elsewhere). */
    startTime: number = now(),
  ) {
    this.startTime = startTime;
  }

  get closed(): boolean {
    return this.endTime !== null;
  }

  frameReceived(): void {
    if (!this.closed) this.framesReceived++;
  }

  /**
   * A frame handled to the end: analysed, decoded without giving a picture, or decoded but
   * skipped by the analysis rate (`notSampled`, whose time is not a processing time: no detection ran).
   * Its decode time counts when it was decoded, its detect time when a detector looked at it.
   */
  frameProcessed(detections = 0, analysis: FrameProcessing = { analyzed: true, processingMs: 0 }): void {
    if (this.closed) return;
    this.framesProcessed++;
    this.detections += detections;
    if (analysis.analyzed) this.framesAnalyzed++;
    if (analysis.notSampled) this.framesNotSampled++;
    else this.processingTimes.add(analysis.processingMs);
    if (analysis.decodeMs !== undefined) this.decodeTimes.add(analysis.decodeMs);
    if (analysis.analyzed && analysis.detectMs !== undefined) this.detectTimes.add(analysis.detectMs);
  }

  keyframeReceived(): void {
    if (!this.closed) this.keyframes++;
  }

  keyframeRequested(): void {
    if (!this.closed) this.keyframeRequests++;
  }

  detectionEventSent(): void {
    if (!this.closed) this.detectionEvents++;
  }

  framesDropped(reason: DropReason, count = 1): void {
    if (this.closed || count <= 0) return;
    this.droppedByReason.set(reason, (this.droppedByReason.get(reason) ?? 0) + count);
  }

  /** A data channel message from the client that was not understood (binary, huge, not JSON, unknown). */
  clientMessageIgnored(): void {
    if (!this.closed) this.ignoredClientMessages++;
  }

  /** A media packet that was dropped as unauthenticated or malformed; returns the count so far. */
  mediaPacketIgnored(kind: 'rtp' | 'rtcp'): number {
    if (!this.closed) this.ignoredPackets[kind]++;
    return this.ignoredPackets[kind];
  }

  audioFrameReceived(seconds: number, level?: AudioLevelIndication): void {
    if (this.closed) return;
    this.audioFrames++;
    this.audioSeconds += seconds;
    if (level) this.announcedLevels.add(level);
  }

  /** The RMS level of one decoded audio packet. */
  audioLevelMeasured(dbov: number): void {
    if (!this.closed) this.measuredLevels.add(measuredLevel(dbov));
  }

  counters(): SessionCounters {
    return {
      frames_received: this.framesReceived,
      frames_processed: this.framesProcessed,
      frames_analyzed: this.framesAnalyzed,
      frames_not_sampled: this.framesNotSampled,
      frames_dropped: this.totalDropped(),
      detections: this.detections,
      audio_frames: this.audioFrames,
      audio_seconds: round(this.audioSeconds, 3),
      ignored_client_messages: this.ignoredClientMessages,
      ignored_rtp_packets: this.ignoredPackets.rtp,
      ignored_rtcp_packets: this.ignoredPackets.rtcp,
    };
  }

  /**
   * Records the end time (once) and freezes the counters. A frame received but neither
   * processed nor dropped by now (its processor's stop hung) is counted as dropped, so
   * received = processed + dropped always holds. A second call returns the first result.
   */
  close<Track extends EndedTrack>(reason: CloseReason, tracks: Record<string, Track>): SessionClosure {
    if (this.closure) return this.closure;
    const inFlight = this.framesReceived - this.framesProcessed - this.totalDropped();
    this.framesDropped('in_flight_at_close', inFlight);
    this.endTime = this.now();

    const durationSec = round(Math.max(0, this.endTime - this.startTime) / 1000, 3);
    const soFar = this.summarySoFar();
    this.closure = {
      reason,
      internal: {
        session_id: this.id,
        start_time: this.startTime,
        end_time: this.endTime,
        frame_count: this.framesProcessed,
        audio_frame_count: this.audioFrames,
        audio_seconds: soFar.audio_seconds,
        duration: durationSec,
      },
      summary: closedSummary(soFar, this.endTime, tracks, {
        p95_processing_time_ms: round(this.processingTimes.p95, 2),
        p95_decode_time_ms: round(this.decodeTimes.p95, 2),
        p95_detect_time_ms: round(this.detectTimes.p95, 2),
      }),
    };
    return this.closure;
  }

  /** The summary's fields as they stand (SummarySoFar); nothing is frozen. */
  summarySoFar(): SummarySoFar {
    return {
      total_frames_received: this.framesReceived,
      total_frames_processed: this.framesProcessed,
      total_frames_dropped: this.totalDropped(),
      total_detections: this.detections,
      dropped_by_reason: Object.fromEntries(this.droppedByReason),
      audio_frames: this.audioFrames,
      audio_seconds: round(this.audioSeconds, 3),
      start_time: this.startTime,
      ignored_client_messages: this.ignoredClientMessages,
      ignored_rtp_packets: this.ignoredPackets.rtp,
      ignored_rtcp_packets: this.ignoredPackets.rtcp,
      total_frames_analyzed: this.framesAnalyzed,
      total_frames_not_sampled: this.framesNotSampled,
      avg_processing_time_ms: round(this.processingTimes.mean, 2),
      avg_decode_time_ms: round(this.decodeTimes.mean, 2),
      avg_detect_time_ms: round(this.detectTimes.mean, 2),
      keyframes: this.keyframes,
      keyframe_requests: this.keyframeRequests,
      detection_events: this.detectionEvents,
      ...this.audioLevelSummary(),
    };
  }

  /** Measured levels when the audio was decoded, else what the sender announced, else nulls. */
  private audioLevelSummary(): Pick<StreamSummary, 'audio_level_dbov' | 'voice_activity_ratio' | 'audio_level_source'> {
    const [levels, source] =
      this.measuredLevels.packets > 0
        ? [this.measuredLevels, 'decoded' as const]
        : this.announcedLevels.packets > 0
          ? [this.announcedLevels, 'rtp_header_extension' as const]
          : [null, null];
    return {
      audio_level_dbov: roundOrNull(levels?.meanDbov ?? null, 1),
      voice_activity_ratio: roundOrNull(levels?.voiceActivityRatio ?? null, 3),
      audio_level_source: source,
    };
  }

  private totalDropped(): number {
    let total = 0;
    for (const count of this.droppedByReason.values()) total += count;
    return total;
  }
}

/** A summary made of the fields so far, closed at `endTime` with its tracks' end reasons. */
export function closedSummary(
  soFar: SummarySoFar,
  endTime: number,
  tracks: Record<string, EndedTrack>,
  percentiles: Pick<CountersSummary, Percentile>,
): CountersSummary {
  return {
    ...soFar,
    ...percentiles,
    duration_sec: round(Math.max(0, endTime - soFar.start_time) / 1000, 3),
    end_time: endTime,
    tracks_ended_by: countEndReasons(tracks),
  };
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

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
