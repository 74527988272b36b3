import { eventProblems, sessionEventsProblems, summaryProblems } from './wireEvents';

/** The contract checks the foreign-stack tests rely on must catch what they claim to catch. */

const ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const summary = { total_frames_received: 10, total_frames_processed: 8, total_frames_dropped: 2, total_detections: 3, duration_sec: 1.5 };
const started = { event_type: 'session_started', session_id: ID };
const detection = { event_type: 'detection', session_id: ID, track_id: 't', frame_timestamp: 9, detections: [{ label: 'wound', score: 0.9, bbox: [1, 2, 3, 4] }] };
const closed = { event_type: 'stream_closed', session_id: ID, reason: 'tracks_ended', summary };

describe('wire contract checks', () => {
  it('accept a session that follows API.md, extra fields included', () => {
    expect(sessionEventsProblems([started, detection, { ...detection, frame_width: 320 }, { ...closed, summary: { ...summary, audio_frames: 5 } }], ID)).toEqual([]);
  });

  it('find order and count problems', () => {
    expect(sessionEventsProblems([detection, started, closed], ID)).toEqual(['session_started is not first and once: detection, session_started, stream_closed']);
    expect(sessionEventsProblems([started, closed, closed], ID)).toEqual(['stream_closed is not last and once: session_started, stream_closed, stream_closed']);
    expect(sessionEventsProblems([started, closed, detection], ID)).toEqual(['stream_closed is not last and once: session_started, stream_closed, detection']);
    expect(sessionEventsProblems([started], ID)).toEqual(['stream_closed is not last and once: session_started']);
  });

  it('find malformed messages', () => {
    expect(eventProblems('text', ID)).toEqual(['not a JSON object: "text"']);
    expect(eventProblems({ ...started, session_id: 'other' }, ID)).toEqual(['session_started for session "other", not ' + ID]);
    expect(eventProblems({ ...started, event_type: 'hello' }, ID)).toEqual(['unknown event_type "hello"']);
    expect(eventProblems({ ...closed, reason: 'bored' }, ID)).toEqual(['unknown close reason "bored"']);
    expect(eventProblems({ ...detection, detections: [{ label: 'x', score: 1, bbox: [1, 2, 3] }] }, ID)).toHaveLength(1);
    expect(eventProblems({ ...detection, track_id: undefined, frame_timestamp: '9' }, ID)).toHaveLength(2);
  });

  it('find summaries with wrong types or that do not add up', () => {
    expect(summaryProblems({ ...summary, total_frames_dropped: 1 })).toEqual(['total_frames_received 10 != processed 8 + dropped 1']);
    expect(summaryProblems({ ...summary, total_detections: -1 })).toEqual(['summary.total_detections is not an integer >= 0: -1']);
    expect(summaryProblems({ ...summary, total_frames_received: 1.5 })).toHaveLength(1);
    expect(summaryProblems({ ...summary, duration_sec: undefined })).toEqual(['summary.duration_sec is not a number >= 0: undefined']);
    expect(summaryProblems(null)).toEqual(['summary is not an object']);
  });
});
