import { Session } from '../../src/counters/session';

function clock(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('Session', () => {
  it('computes the internal summary and the stream_closed summary with a duration from start and end', () => {
    const time = clock(1_640_995_200_000);
    const session = new Session('s-1', time.now);
    for (let i = 0; i < 1200; i++) session.frameReceived();
    for (let i = 0; i < 1180; i++) session.frameProcessed(i % 40 === 0 ? 1 : 0);
    session.framesDropped('buffer_full', 20);
    session.audioFrameReceived(0.02);
    time.advance(120_500);

    const closure = session.close('tracks_ended', {});

    expect(closure.internal).toEqual({
      session_id: 's-1',
      start_time: 1_640_995_200_000,
      end_time: 1_640_995_320_500,
      frame_count: 1180,
      audio_frame_count: 1,
      audio_seconds: 0.02,
      duration: 120.5,
    });
    expect(closure.summary).toMatchObject({
      total_frames_received: 1200,
      total_frames_processed: 1180,
      total_frames_dropped: 20,
      total_detections: 30,
      duration_sec: 120.5,
      dropped_by_reason: { buffer_full: 20 },
    });
  });

  it('sets the end time once and freezes the counters', () => {
    const time = clock(1000);
    const session = new Session('s-2', time.now);
    session.frameReceived();
    session.frameProcessed();
    time.advance(500);
    const first = session.close('client_request', {});
    time.advance(500);
    session.frameReceived();
    session.frameProcessed(3);
    session.framesDropped('buffer_full');
    session.audioFrameReceived(1);
    const second = session.close('server_shutdown', {});

    expect(second).toBe(first);
    expect(first.internal.end_time).toBe(1500);
    expect(session.counters()).toMatchObject({ frames_received: 1, frames_processed: 1, frames_dropped: 0, audio_frames: 0 });
  });

  it('counts frames neither processed nor dropped at close as dropped, so received = processed + dropped', () => {
    const session = new Session('s-3');
    for (let i = 0; i < 10; i++) session.frameReceived();
    for (let i = 0; i < 6; i++) session.frameProcessed();
    session.framesDropped('queued_at_stop', 1);

    const { summary } = session.close('tracks_ended', {});

    expect(summary.total_frames_dropped).toBe(4);
    expect(summary.dropped_by_reason).toEqual({ queued_at_stop: 1, in_flight_at_close: 3 });
    expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
  });

  it('counts frames the analysis rate skipped as processed and not sampled, neither analysed nor dropped, and leaves their time out', () => {
    const session = new Session('s-5');
    for (let i = 0; i < 8; i++) session.frameReceived();
    session.frameProcessed(1, { analyzed: true, processingMs: 10 });
    for (let i = 0; i < 5; i++) session.frameProcessed(0, { analyzed: false, processingMs: 1, notSampled: true });
    session.frameProcessed(0, { analyzed: false, processingMs: 20 });
    expect(session.counters()).toMatchObject({ frames_processed: 7, frames_analyzed: 1, frames_not_sampled: 5, frames_dropped: 0 });
    session.framesDropped('buffer_full');

    const { summary } = session.close('tracks_ended', {});

    expect(summary).toMatchObject({
      total_frames_received: 8,
      total_frames_processed: 7,
      total_frames_analyzed: 1,
      total_frames_not_sampled: 5,
      total_frames_dropped: 1,
      dropped_by_reason: { buffer_full: 1 },
      // The analysed frame and the one that gave no picture; not the decode-only ones.
      avg_processing_time_ms: 15,
    });
  });

  it('splits the processing time: decode time over decoded frames, detect time over analysed frames, mean and p95', () => {
    const session = new Session('s-times');
    // 100 frames decoded in 1..100 ms; the first 20 gave no picture, so 80 were analysed, in 21..100 ms * 2.
    for (let ms = 1; ms <= 100; ms++) {
      const analyzed = ms > 20;
      session.frameProcessed(0, { analyzed, processingMs: ms * 3, decodeMs: ms, detectMs: analyzed ? ms * 2 : 0 });
    }
    // Not decoded at all (DETECTOR=off, or an analyzer that does not say): in the processing time only.
    session.frameProcessed(0, { analyzed: true, processingMs: 0 });

    const { summary } = session.close('tracks_ended', {});
    expect(summary).toMatchObject({
      total_frames_processed: 101,
      total_frames_analyzed: 81,
      avg_decode_time_ms: 50.5,
      p95_decode_time_ms: 95,
      // 2 * (21..100): mean 121, p95 by nearest rank the 76th of 80 = 2 * 96.
      avg_detect_time_ms: 121,
      p95_detect_time_ms: 192,
      avg_processing_time_ms: round2((3 * 5050) / 101),
      // 0 and 3 * (1..100): the 96th of 101 is 3 * 95.
      p95_processing_time_ms: 285,
    });
  });

  it('reports zero decode and detect times when no frame was decoded, and rounds to 0.01 ms', () => {
    const idle = new Session('s-idle');
    idle.frameProcessed(0, { analyzed: true, processingMs: 0.5 });
    expect(idle.close('tracks_ended', {}).summary).toMatchObject({
      avg_decode_time_ms: 0,
      p95_decode_time_ms: 0,
      avg_detect_time_ms: 0,
      p95_detect_time_ms: 0,
    });
    const precise = new Session('s-precise');
    precise.frameProcessed(0, { analyzed: true, processingMs: 1, decodeMs: 1.23456, detectMs: 0.98765 });
    expect(precise.close('tracks_ended', {}).summary).toMatchObject({ avg_decode_time_ms: 1.23, avg_detect_time_ms: 0.99 });
  });

  it('counts the decode time of a frame the analysis rate skipped, and no detect time for it', () => {
    const session = new Session('s-not-sampled');
    session.frameProcessed(1, { analyzed: true, processingMs: 9, decodeMs: 6, detectMs: 2 });
    session.frameProcessed(0, { analyzed: false, processingMs: 5, notSampled: true, decodeMs: 4, detectMs: 0 });
    expect(session.close('tracks_ended', {}).summary).toMatchObject({
      total_frames_not_sampled: 1,
      avg_processing_time_ms: 9,
      avg_decode_time_ms: 5,
      avg_detect_time_ms: 2,
    });
  });

  it('ignores times reported after close', () => {
    const session = new Session('s-late');
    session.frameProcessed(0, { analyzed: true, processingMs: 2, decodeMs: 1, detectMs: 1 });
    const { summary } = session.close('tracks_ended', {});
    session.frameProcessed(0, { analyzed: true, processingMs: 200, decodeMs: 100, detectMs: 100 });
    expect(session.close('tracks_ended', {}).summary).toBe(summary);
    expect(summary).toMatchObject({ avg_decode_time_ms: 1, avg_detect_time_ms: 1 });
  });

  it('reports how the tracks ended', () => {
    const session = new Session('s-4');
    const { summary } = session.close('tracks_ended', {
      v: { kind: 'video', status: 'stopped', endReason: 'inactivity' },
      a: { kind: 'audio', status: 'stopped', endReason: 'rtcp_bye' },
      b: { kind: 'audio', status: 'stopped', endReason: 'inactivity' },
    });
    expect(summary.tracks_ended_by).toEqual({ inactivity: 2, rtcp_bye: 1 });
  });
});

const round2 = (value: number): number => Math.round(value * 100) / 100;
