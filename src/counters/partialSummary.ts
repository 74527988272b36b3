import { closedSummary, type CountersSummary, type EndedTrack, type SummarySoFar } from './session';

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
