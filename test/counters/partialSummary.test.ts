import { partialSummary } from '../../src/counters/partialSummary';
import { Session } from '../../src/counters/session';

function soFar(received: number, processed: number, dropped: number) {
  let now = 1_000;
  const session = new Session('s', () => now);
  for (let i = 0; i < received; i++) session.frameReceived();
  for (let i = 0; i < processed; i++) session.frameProcessed(1, { analyzed: true, processingMs: 5 });
  session.framesDropped('buffer_full', dropped);
  now = 3_500;
  return session.summarySoFar();
}

describe('partialSummary', () => {
  it('counts frames neither processed nor dropped as in_flight_at_close, so the counts add up', () => {
    const summary = partialSummary(soFar(10, 6, 1), 3_500, { v: { endReason: 'inactivity' } });
    expect(summary).toMatchObject({
      partial: true,
      total_frames_received: 10,
      total_frames_processed: 6,
      total_frames_dropped: 4,
      dropped_by_reason: { buffer_full: 1, in_flight_at_close: 3 },
      tracks_ended_by: { inactivity: 1 },
      end_time: 3_500,
      duration_sec: 2.5,
    });
  });

  it('adds no in_flight_at_close when every frame was settled, and gives p95 times of 0 (no samples)', () => {
    const summary = partialSummary(soFar(5, 4, 1), 3_500, {});
    expect(summary.dropped_by_reason).toEqual({ buffer_full: 1 });
    expect(summary.total_frames_dropped).toBe(1);
    expect(summary).toMatchObject({ p95_processing_time_ms: 0, p95_decode_time_ms: 0, p95_detect_time_ms: 0 });
  });
});
