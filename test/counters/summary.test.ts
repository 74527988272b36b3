import { Session } from '../../src/counters/session';
import { closedSessionBody, partialSummary, streamClosedEvent, webhookBody, withCloseTimes } from '../../src/counters/summary';
import type { SessionView, StreamSummary } from '../../src/protocol';
import { eventProblems } from '../helpers/wireContract';

/**
 * Every field of the protocol's StreamSummary, checked by the compiler both ways: `satisfies`
 * fails on a field the type lacks, and the Record type on a field this list lacks.
 */
const SUMMARY_FIELDS = {
  total_frames_received: true,
  total_frames_processed: true,
  total_frames_dropped: true,
  total_detections: true,
  duration_sec: true,
  dropped_by_reason: true,
  audio_frames: true,
  audio_seconds: true,
  start_time: true,
  end_time: true,
  tracks_ended_by: true,
  ignored_client_messages: true,
  ignored_rtp_packets: true,
  ignored_rtcp_packets: true,
  total_frames_analyzed: true,
  total_frames_not_sampled: true,
  avg_processing_time_ms: true,
  p95_processing_time_ms: true,
  avg_decode_time_ms: true,
  p95_decode_time_ms: true,
  avg_detect_time_ms: true,
  p95_detect_time_ms: true,
  keyframes: true,
  keyframe_requests: true,
  detection_events: true,
  audio_level_dbov: true,
  voice_activity_ratio: true,
  audio_level_source: true,
  close_ms_by_state: true,
  partial: true,
} satisfies Record<keyof StreamSummary, true>;

const ALL_FIELDS = Object.keys(SUMMARY_FIELDS).sort();
const FULL_FIELDS = ALL_FIELDS.filter((field) => field !== 'partial');

const SESSION_ID = '0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11';
const TRACKS = { v: { endReason: 'inactivity' as const }, a: { endReason: 'rtcp_bye' as const }, live: { endReason: null } };

/** A session that counted a bit of everything, on a clock the test moves. */
function countedSession(): { session: Session; clock: { now: number } } {
  const clock = { now: 1_000_123 };
  const session = new Session(SESSION_ID, () => clock.now);
  for (let i = 0; i < 37; i++) session.frameReceived();
  for (let i = 0; i < 20; i++) {
    session.frameProcessed(i % 3, { analyzed: i % 2 === 0, processingMs: 3.14159 * i, notSampled: i % 5 === 0, decodeMs: i * 1.2345, detectMs: i % 2 === 0 ? i * 0.777 : undefined });
  }
  session.framesDropped('buffer_full', 4);
  session.framesDropped('decode_error');
  for (let i = 0; i < 3; i++) session.keyframeReceived();
  session.keyframeRequested();
  session.detectionEventSent();
  session.clientMessageIgnored();
  session.mediaPacketIgnored('rtp');
  session.mediaPacketIgnored('rtcp');
  session.mediaPacketIgnored('rtp');
  for (let i = 0; i < 11; i++) session.audioFrameReceived(0.02, { v: i % 2 === 0, level: 30 + i });
  clock.now += 12_345;
  return { session, clock };
}

function soFar(received: number, processed: number, dropped: number) {
  let now = 1_000;
  const session = new Session('s', () => now);
  for (let i = 0; i < received; i++) session.frameReceived();
  for (let i = 0; i < processed; i++) session.frameProcessed(1, { analyzed: true, processingMs: 5 });
  session.framesDropped('buffer_full', dropped);
  now = 3_500;
  return session.summarySoFar();
}

describe('the summary builder', () => {
  it('a full summary has exactly the fields of the protocol StreamSummary but `partial`', () => {
    const { session } = countedSession();
    const summary = withCloseTimes(session.close('tracks_ended', TRACKS).summary, { TrackEnding: 4, ClosingSession: 2 });
    expect(Object.keys(summary).sort()).toEqual(FULL_FIELDS);
  });

  it('a partial summary has exactly the fields of the protocol StreamSummary, `partial` included', () => {
    const { session, clock } = countedSession();
    const summary = withCloseTimes(partialSummary(session.summarySoFar(), clock.now, TRACKS), { TrackEnding: 4 });
    expect(Object.keys(summary).sort()).toEqual(ALL_FIELDS);
    expect(summary.partial).toBe(true);
  });

  it('shapes a closed session (and its internal summary) as the server always has: the same fields, values and order', () => {
    const { session } = countedSession();
    const closure = session.close('tracks_ended', TRACKS);
    const summary = withCloseTimes(closure.summary, { TrackEnding: 1, ClosingSession: 2 });
    expect(JSON.stringify(closure.internal)).toBe(
      `{"session_id":"${SESSION_ID}","start_time":1000123,"end_time":1012468,"frame_count":20,"audio_frame_count":11,"audio_seconds":0.22,"duration":12.345}`,
    );
    // The JSON text the server sent before the summary had one builder (same session, same clock).
    expect(JSON.stringify(summary)).toBe(
      '{"total_frames_received":37,"total_frames_processed":20,"total_frames_dropped":17,"total_detections":19,' +
        '"dropped_by_reason":{"buffer_full":4,"decode_error":1,"in_flight_at_close":12},"audio_frames":11,"audio_seconds":0.22,' +
        '"start_time":1000123,"ignored_client_messages":1,"ignored_rtp_packets":2,"ignored_rtcp_packets":1,"total_frames_analyzed":10,' +
        '"total_frames_not_sampled":4,"avg_processing_time_ms":31.42,"avg_decode_time_ms":11.73,"avg_detect_time_ms":6.99,"keyframes":3,' +
        '"keyframe_requests":1,"detection_events":1,"audio_level_dbov":-33.9,"voice_activity_ratio":0.545,' +
        '"audio_level_source":"rtp_header_extension","p95_processing_time_ms":59.69,"p95_decode_time_ms":22.22,"p95_detect_time_ms":13.99,' +
        '"duration_sec":12.345,"end_time":1012468,"tracks_ended_by":{"inactivity":1,"rtcp_bye":1},' +
        '"close_ms_by_state":{"TrackEnding":1,"ClosingSession":2}}',
    );
  });

  it('withCloseTimes adds the closing times and changes nothing else', () => {
    const { session } = countedSession();
    const counted = session.close('client_request', TRACKS).summary;
    const summary = withCloseTimes(counted, { TrackEnding: 7 });
    expect(summary).toEqual({ ...counted, close_ms_by_state: { TrackEnding: 7 } });
  });

  it('every body that carries the summary carries the very object it was given', () => {
    const { session } = countedSession();
    const summary = withCloseTimes(session.close('client_request', TRACKS).summary, {});
    const record = { session_id: SESSION_ID, reason: 'client_request', summary, ended_at: 1_012_468 } as const;

    const event = streamClosedEvent(SESSION_ID, 'client_request', summary);
    expect(event).toEqual({ event_type: 'stream_closed', session_id: SESSION_ID, reason: 'client_request', summary });
    expect(event.summary).toBe(summary);
    expect(eventProblems(JSON.parse(JSON.stringify(event)), SESSION_ID)).toEqual([]);

    const answer = closedSessionBody({ ...record, state: 'Released', tracks: [], faults: [] } as unknown as SessionView);
    expect(answer).toStrictEqual({ session_id: SESSION_ID, reason: 'client_request', summary });
    expect(answer.summary).toBe(summary);

    const body = webhookBody(record);
    expect(body).toStrictEqual({ event_type: 'session_summary', session_id: SESSION_ID, reason: 'client_request', summary, ended_at: 1_012_468 });
    expect(body.summary).toBe(summary);
  });
});

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
