import type { CloseReason, DropReason, SessionCounters, TrackEndReason } from '../protocol';
import { AudioLevelStats, measuredLevel, type AudioLevelIndication } from './audioLevelStats';
import { DurationStats } from './durationStats';
import {
  closedSummary,
  internalSummary,
  percentiles,
  round,
  summarySoFar,
  totalDropped,
  type CountersSummary,
  type EndedTrack,
  type InternalSummary,
  type SummarySoFar,
  type SummaryTallies,
} from './summary';

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
 * The summary is shaped from the tallies by counters/summary.ts.
 */
export class Session {
  readonly startTime: number;
  private endTime: number | null = null;
  private closure: SessionClosure | null = null;
  private readonly tally: SummaryTallies & { droppedByReason: Map<DropReason, number>; ignoredPackets: { rtp: number; rtcp: number } };

  constructor(
    readonly id: string,
    private readonly now: () => number = Date.now,
    /** When the session began, if it began before its counters were made (elsewhere). */
    startTime: number = now(),
  ) {
    this.startTime = startTime;
    this.tally = {
      startTime,
      framesReceived: 0,
      framesProcessed: 0,
      droppedByReason: new Map(),
      detections: 0,
      audioFrames: 0,
      audioSeconds: 0,
      ignoredClientMessages: 0,
      ignoredPackets: { rtp: 0, rtcp: 0 },
      framesAnalyzed: 0,
      framesNotSampled: 0,
      processingTimes: new DurationStats(),
      decodeTimes: new DurationStats(),
      detectTimes: new DurationStats(),
      keyframes: 0,
      keyframeRequests: 0,
      detectionEvents: 0,
      announcedLevels: new AudioLevelStats(),
      measuredLevels: new AudioLevelStats(),
    };
  }

  get closed(): boolean {
    return this.endTime !== null;
  }

  frameReceived(): void {
    if (!this.closed) this.tally.framesReceived++;
  }

  /**
   * A frame handled to the end: analysed, decoded without giving a picture, or decoded but
   * skipped by the analysis rate (`notSampled`, whose time is not a processing time: no detection ran).
   * Its decode time counts when it was decoded, its detect time when a detector looked at it.
   */
  frameProcessed(detections = 0, analysis: FrameProcessing = { analyzed: true, processingMs: 0 }): void {
    if (this.closed) return;
    const { tally } = this;
    tally.framesProcessed++;
    tally.detections += detections;
    if (analysis.analyzed) tally.framesAnalyzed++;
    if (analysis.notSampled) tally.framesNotSampled++;
    else tally.processingTimes.add(analysis.processingMs);
    if (analysis.decodeMs !== undefined) tally.decodeTimes.add(analysis.decodeMs);
    if (analysis.analyzed && analysis.detectMs !== undefined) tally.detectTimes.add(analysis.detectMs);
  }

  keyframeReceived(): void {
    if (!this.closed) this.tally.keyframes++;
  }

  keyframeRequested(): void {
    if (!this.closed) this.tally.keyframeRequests++;
  }

  detectionEventSent(): void {
    if (!this.closed) this.tally.detectionEvents++;
  }

  framesDropped(reason: DropReason, count = 1): void {
    if (this.closed || count <= 0) return;
    const dropped = this.tally.droppedByReason;
    dropped.set(reason, (dropped.get(reason) ?? 0) + count);
  }

  /** A data channel message from the client that was not understood (binary, huge, not JSON, unknown). */
  clientMessageIgnored(): void {
    if (!this.closed) this.tally.ignoredClientMessages++;
  }

  /** A media packet that was dropped as unauthenticated or malformed; returns the count so far. */
  mediaPacketIgnored(kind: 'rtp' | 'rtcp'): number {
    if (!this.closed) this.tally.ignoredPackets[kind]++;
    return this.tally.ignoredPackets[kind];
  }

  audioFrameReceived(seconds: number, level?: AudioLevelIndication): void {
    if (this.closed) return;
    this.tally.audioFrames++;
    this.tally.audioSeconds += seconds;
    if (level) this.tally.announcedLevels.add(level);
  }

  /** The RMS level of one decoded audio packet. */
  audioLevelMeasured(dbov: number): void {
    if (!this.closed) this.tally.measuredLevels.add(measuredLevel(dbov));
  }

  counters(): SessionCounters {
    const { tally } = this;
    return {
      frames_received: tally.framesReceived,
      frames_processed: tally.framesProcessed,
      frames_analyzed: tally.framesAnalyzed,
      frames_not_sampled: tally.framesNotSampled,
      frames_dropped: totalDropped(tally.droppedByReason),
      detections: tally.detections,
      audio_frames: tally.audioFrames,
      audio_seconds: round(tally.audioSeconds, 3),
      ignored_client_messages: tally.ignoredClientMessages,
      ignored_rtp_packets: tally.ignoredPackets.rtp,
      ignored_rtcp_packets: tally.ignoredPackets.rtcp,
    };
  }

  /**
   * Records the end time (once) and freezes the counters. A frame received but neither
   * processed nor dropped by now (its processor's stop hung) is counted as dropped, so
   * received = processed + dropped always holds. A second call returns the first result.
   */
  close<Track extends EndedTrack>(reason: CloseReason, tracks: Record<string, Track>): SessionClosure {
    if (this.closure) return this.closure;
    const { tally } = this;
    const inFlight = tally.framesReceived - tally.framesProcessed - totalDropped(tally.droppedByReason);
    this.framesDropped('in_flight_at_close', inFlight);
    this.endTime = this.now();

    this.closure = {
      reason,
      internal: internalSummary(this.id, tally, this.endTime),
      summary: closedSummary(this.summarySoFar(), this.endTime, tracks, percentiles(tally)),
    };
    return this.closure;
  }

  /** The summary's fields as they stand (SummarySoFar); nothing is frozen. */
  summarySoFar(): SummarySoFar {
    return summarySoFar(this.tally);
  }
}
