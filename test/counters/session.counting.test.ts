import fc from 'fast-check';
import { Session } from '../../src/counters/session';
import type { DropReason } from '../../src/protocol';

/**
 * The counting promise of one session's counters, whatever its processors report and in
 * whatever order: every frame received is counted once, as processed or as dropped for a
 * reason; the counters shown while the session is open are the summary's; close freezes them.
 */

const REASONS: DropReason[] = ['buffer_full', 'incomplete_frame', 'frame_too_large', 'picture_too_large', 'queued_at_stop'];

/** What happens to one received frame, and the other things a session counts meanwhile. */
const fate = fc.oneof(
  fc.record({ kind: fc.constant('processed' as const), detections: fc.nat(3), analyzed: fc.boolean(), notSampled: fc.boolean() }),
  fc.record({ kind: fc.constant('dropped' as const), reason: fc.constantFrom(...REASONS) }),
  fc.record({ kind: fc.constant('in_flight' as const) }),
);
const other = fc.constantFrom('keyframe', 'keyframe_request', 'detection_event', 'client_message', 'rtp', 'rtcp', 'audio');
const step = fc.oneof(fate.map((f): Step => ({ frame: f })), other.map((o): Step => ({ other: o })));

interface Expected {
  received: number;
  processed: number;
  analyzed: number;
  notSampled: number;
  detections: number;
  byReason: Partial<Record<DropReason, number>>;
  keyframes: number;
  keyframeRequests: number;
  detectionEvents: number;
  clientMessages: number;
  rtp: number;
  rtcp: number;
  audio: number;
}

type Step = { frame: Fate; other?: undefined } | { frame?: undefined; other: string };
type Fate = { kind: 'processed'; detections: number; analyzed: boolean; notSampled: boolean } | { kind: 'dropped'; reason: DropReason } | { kind: 'in_flight' };

function apply(session: Session, expected: Expected, s: Step): void {
  if (s.frame) {
    session.frameReceived();
    expected.received++;
    const f = s.frame;
    if (f.kind === 'processed') {
      session.frameProcessed(f.detections, { analyzed: f.analyzed && !f.notSampled, processingMs: 1, notSampled: f.notSampled });
      expected.processed++;
      expected.detections += f.detections;
      if (f.analyzed && !f.notSampled) expected.analyzed++;
      if (f.notSampled) expected.notSampled++;
    } else if (f.kind === 'dropped') {
      session.framesDropped(f.reason);
      expected.byReason[f.reason] = (expected.byReason[f.reason] ?? 0) + 1;
    }
    return;
  }
  switch (s.other) {
    case 'keyframe':
      session.keyframeReceived();
      expected.keyframes++;
      break;
    case 'keyframe_request':
      session.keyframeRequested();
      expected.keyframeRequests++;
      break;
    case 'detection_event':
      session.detectionEventSent();
      expected.detectionEvents++;
      break;
    case 'client_message':
      session.clientMessageIgnored();
      expected.clientMessages++;
      break;
    case 'rtp':
      expect(session.mediaPacketIgnored('rtp')).toBe(++expected.rtp);
      break;
    case 'rtcp':
      expect(session.mediaPacketIgnored('rtcp')).toBe(++expected.rtcp);
      break;
    case 'audio':
      session.audioFrameReceived(0.02);
      expected.audio++;
      break;
  }
}

function everyCountingCall(session: Session): void {
  session.frameReceived();
  session.frameProcessed(5, { analyzed: true, processingMs: 1, notSampled: true, decodeMs: 1, detectMs: 1 });
  session.framesDropped('buffer_full', 3);
  session.keyframeReceived();
  session.keyframeRequested();
  session.detectionEventSent();
  session.clientMessageIgnored();
  session.mediaPacketIgnored('rtp');
  session.mediaPacketIgnored('rtcp');
  session.audioFrameReceived(1, { v: true, level: 10 });
  session.audioLevelMeasured(-10);
}

describe('Session counting', () => {
  it('counts each frame once, shows the summary while open, and freezes every counter at close (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, lateCalls) => {
        const session = new Session('s', () => 1000);
        const expected: Expected = {
          received: 0, processed: 0, analyzed: 0, notSampled: 0, detections: 0, byReason: {},
          keyframes: 0, keyframeRequests: 0, detectionEvents: 0, clientMessages: 0, rtp: 0, rtcp: 0, audio: 0,
        };
        for (const s of steps) apply(session, expected, s);
        const dropped = Object.values(expected.byReason).reduce((sum, n) => sum + n, 0);
        const open = {
          frames_received: expected.received,
          frames_processed: expected.processed,
          frames_analyzed: expected.analyzed,
          frames_not_sampled: expected.notSampled,
          frames_dropped: dropped,
          detections: expected.detections,
          audio_frames: expected.audio,
          audio_seconds: Math.round(expected.audio * 0.02 * 1000) / 1000,
          ignored_client_messages: expected.clientMessages,
          ignored_rtp_packets: expected.rtp,
          ignored_rtcp_packets: expected.rtcp,
        };
        expect(session.counters()).toEqual(open);
        expect(session.summarySoFar()).toMatchObject({
          total_frames_received: open.frames_received,
          total_frames_processed: open.frames_processed,
          total_frames_analyzed: open.frames_analyzed,
          total_frames_not_sampled: open.frames_not_sampled,
          total_frames_dropped: dropped,
          total_detections: open.detections,
          dropped_by_reason: expected.byReason,
          audio_frames: open.audio_frames,
          audio_seconds: open.audio_seconds,
          ignored_client_messages: open.ignored_client_messages,
          ignored_rtp_packets: open.ignored_rtp_packets,
          ignored_rtcp_packets: open.ignored_rtcp_packets,
          keyframes: expected.keyframes,
          keyframe_requests: expected.keyframeRequests,
          detection_events: expected.detectionEvents,
        });
        expect(session.closed).toBe(false);

        const { summary } = session.close('tracks_ended', {});
        expect(session.closed).toBe(true);
        const inFlight = expected.received - expected.processed - dropped;
        const byReason = inFlight > 0 ? { ...expected.byReason, in_flight_at_close: inFlight } : expected.byReason;
        expect(summary.dropped_by_reason).toEqual(byReason);
        expect(summary.total_frames_received).toBe(summary.total_frames_processed + summary.total_frames_dropped);
        expect(summary.total_frames_dropped).toBe(Object.values(summary.dropped_by_reason).reduce((sum, n) => sum + (n ?? 0), 0));
        expect(summary.total_frames_not_sampled).toBeLessThanOrEqual(summary.total_frames_processed);

        const frozen = session.counters();
        if (lateCalls) everyCountingCall(session);
        expect(session.counters()).toEqual(frozen);
        expect(session.summarySoFar()).toMatchObject({ keyframes: expected.keyframes, keyframe_requests: expected.keyframeRequests, detection_events: expected.detectionEvents });
        expect(session.summarySoFar().audio_level_source).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('counts a frame processed without details as analysed, in 0 ms', () => {
    const session = new Session('s');
    session.frameProcessed(2);
    session.frameProcessed(0, { analyzed: true, processingMs: 10 });
    expect(session.counters()).toMatchObject({ frames_processed: 2, frames_analyzed: 2, detections: 2 });
    expect(session.summarySoFar().avg_processing_time_ms).toBe(5);
  });

  it('ignores a drop of zero or fewer frames: it is no reason', () => {
    const session = new Session('s');
    session.framesDropped('buffer_full', 0);
    session.framesDropped('frame_too_large', -2);
    expect(session.summarySoFar().dropped_by_reason).toEqual({});
    session.framesDropped('buffer_full', 2);
    session.framesDropped('buffer_full');
    expect(session.summarySoFar().dropped_by_reason).toEqual({ buffer_full: 3 });
  });

  it('counts the ignored packets per kind while open and stops counting them at close', () => {
    const session = new Session('s');
    expect(session.mediaPacketIgnored('rtp')).toBe(1);
    expect(session.mediaPacketIgnored('rtcp')).toBe(1);
    expect(session.mediaPacketIgnored('rtp')).toBe(2);
    session.close('tracks_ended', {});
    expect(session.mediaPacketIgnored('rtp')).toBe(2);
    expect(session.counters()).toMatchObject({ ignored_rtp_packets: 2, ignored_rtcp_packets: 1 });
  });

  it('takes the start time it is given, else its clock, and never reports a negative duration', () => {
    const late = new Session('s', () => 5000, 7000);
    expect(late.startTime).toBe(7000);
    const closure = late.close('client_request', {});
    expect(closure.reason).toBe('client_request');
    expect(closure.internal).toMatchObject({ start_time: 7000, end_time: 5000, duration: 0 });
    expect(closure.summary).toMatchObject({ start_time: 7000, end_time: 5000, duration_sec: 0 });
    expect(new Session('t', () => 42).startTime).toBe(42);
  });

  it('reports the duration to the millisecond and the audio seconds to the millisecond', () => {
    let now = 1000;
    const session = new Session('s', () => now);
    session.audioFrameReceived(0.0204);
    session.audioFrameReceived(0.0203);
    now += 1234.4;
    const { internal, summary } = session.close('tracks_ended', {});
    expect(internal.duration).toBe(1.234);
    expect(summary.duration_sec).toBe(1.234);
    expect(internal.audio_seconds).toBe(0.041);
    expect(summary.audio_seconds).toBe(0.041);
  });

  it('does not count a track that has not ended in tracks_ended_by', () => {
    const session = new Session('s');
    const { summary } = session.close('client_request', {
      live: { endReason: null },
      gone: { endReason: 'client_request' },
    });
    expect(summary.tracks_ended_by).toEqual({ client_request: 1 });
  });
});

describe('Session audio levels', () => {
  it('prefers decoded levels over announced ones, rounds the level to 0.1 dB and the voice ratio to 0.001', () => {
    const session = new Session('s');
    session.audioFrameReceived(0.02, { v: true, level: 30 });
    expect(session.summarySoFar()).toMatchObject({ audio_level_source: 'rtp_header_extension', audio_level_dbov: -30, voice_activity_ratio: 1 });
    session.audioLevelMeasured(-20.04);
    session.audioLevelMeasured(-60);
    session.audioLevelMeasured(-60);
    const levels = session.summarySoFar();
    expect(levels.audio_level_source).toBe('decoded');
    expect(levels.voice_activity_ratio).toBe(0.333);
    // Power mean of -20.04, -60, -60 dBov.
    const mean = 10 * Math.log10((10 ** -2.004 + 2 * 10 ** -6) / 3);
    expect(levels.audio_level_dbov).toBe(Math.round(mean * 10) / 10);
    expect(levels.audio_level_dbov).toBe(-24.8);
  });

  it('ignores levels measured after close', () => {
    const session = new Session('s');
    session.close('tracks_ended', {});
    session.audioLevelMeasured(-10);
    session.audioFrameReceived(0.02, { v: true, level: 10 });
    expect(session.summarySoFar()).toMatchObject({ audio_level_source: null, audio_level_dbov: null, voice_activity_ratio: null, audio_frames: 0 });
  });
});
