import { conversationProblems, eventProblems, eventTypeOf, messageProblems, sessionEventsProblems, summaryProblems } from './wireContract';

/** The contract checks the aiortc and Chromium tests rely on must catch what they claim to catch. */

const ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const summary = { total_frames_received: 10, total_frames_processed: 8, total_frames_dropped: 2, total_detections: 3, duration_sec: 1.5 };
const started = { event_type: 'session_started', session_id: ID };
const detection = { event_type: 'detection', session_id: ID, track_id: 't', frame_timestamp: 9, detections: [{ label: 'wound', score: 0.9, bbox: [1, 2, 3, 4] }] };
const closed = { event_type: 'stream_closed', session_id: ID, reason: 'tracks_ended', summary };
const text = (...events: unknown[]) => events.map((event) => JSON.stringify(event));

describe('wire contract checks', () => {
  it('accept a session that follows API.md, extra fields included', () => {
    expect(sessionEventsProblems([started, detection, { ...detection, frame_width: 320 }, { ...closed, summary: { ...summary, audio_frames: 5 } }], ID)).toEqual([]);
    expect(conversationProblems(text(started, detection, { ...detection, frame_width: 320, frame_height: 240 }, closed), ID)).toEqual([]);
  });

  it('find order and count problems', () => {
    expect(sessionEventsProblems([detection, started, closed], ID)).toEqual(['session_started is not first and once: detection, session_started, stream_closed']);
    expect(sessionEventsProblems([started, closed, closed], ID)).toEqual(['stream_closed is not last and once: session_started, stream_closed, stream_closed']);
    expect(sessionEventsProblems([started, closed, detection], ID)).toEqual(['stream_closed is not last and once: session_started, stream_closed, detection']);
    expect(sessionEventsProblems([started], ID)).toEqual(['stream_closed is not last and once: session_started']);
    expect(sessionEventsProblems([started, started, closed], ID)).toEqual(['session_started is not first and once: session_started, session_started, stream_closed']);
    expect(sessionEventsProblems([], ID)).toHaveLength(2);
  });

  it("with 'if_sent', accept a conversation without stream_closed, but not one where it is doubled or not last", () => {
    expect(sessionEventsProblems([started, detection], ID, 'if_sent')).toEqual([]);
    expect(conversationProblems(text(started, detection), ID, 'if_sent')).toEqual([]);
    expect(conversationProblems(text(started, closed, detection), ID, 'if_sent')).toEqual(['stream_closed is not last and once: session_started, stream_closed, detection']);
    expect(conversationProblems(text(started, closed, closed), ID, 'if_sent')).toHaveLength(1);
    expect(conversationProblems(text(detection), ID, 'if_sent')).toEqual(['session_started is not first and once: detection']);
  });

  it('find malformed messages', () => {
    expect(eventProblems('text', ID)).toEqual(['not a JSON object: "text"']);
    expect(eventProblems({ ...started, session_id: 'other' }, ID)).toEqual(['session_started for session "other", not ' + ID]);
    expect(eventProblems({ ...started, event_type: 'hello' }, ID)).toEqual(['unknown event_type "hello"']);
    expect(eventProblems({ ...closed, reason: 'bored' }, ID)).toEqual(['unknown close reason "bored"']);
    expect(eventProblems({ ...detection, detections: [{ label: 'x', score: 1, bbox: [1, 2, 3] }] }, ID)).toHaveLength(1);
    expect(eventProblems({ ...detection, track_id: undefined, frame_timestamp: '9' }, ID)).toHaveLength(2);
  });

  it('find detections outside the contract: scores outside [0, 1], negative boxes, fractional timestamps, bad sizes', () => {
    const withDetection = (fields: object) => ({ ...detection, detections: [{ ...detection.detections[0], ...fields }] });
    expect(eventProblems(withDetection({ score: 1.5 }), ID)).toHaveLength(1);
    expect(eventProblems(withDetection({ score: -0.1 }), ID)).toHaveLength(1);
    expect(eventProblems(withDetection({ bbox: [1, -2, 3, 4] }), ID)).toHaveLength(1);
    expect(eventProblems(withDetection({ label: 7 }), ID)).toHaveLength(1);
    expect(eventProblems({ ...detection, detections: [null, 'box'] }, ID)).toHaveLength(2);
    expect(eventProblems({ ...detection, detections: undefined }, ID)).toEqual(['detection without a detections array']);
    expect(eventProblems({ ...detection, frame_timestamp: 9.5 }, ID)).toHaveLength(1);
    expect(eventProblems({ ...detection, frame_timestamp: -1 }, ID)).toHaveLength(1);
    expect(eventProblems({ ...detection, frame_width: 0 }, ID)).toEqual(['detection frame_width is not an integer > 0: 0']);
    expect(eventProblems({ ...detection, frame_height: 240.5 }, ID)).toHaveLength(1);
  });

  it('find messages that are not JSON text, and name them in order checks', () => {
    expect(messageProblems('{"event_type": ', ID)).toEqual(['not JSON: "{\\"event_type\\": "']);
    expect(messageProblems('null', ID)).toEqual(['not a JSON object: null']);
    expect(messageProblems(JSON.stringify(started), ID)).toEqual([]);
    expect(eventTypeOf('<binary 4 bytes>')).toBe('<not JSON>');
    expect(eventTypeOf(JSON.stringify(closed))).toBe('stream_closed');
    expect(conversationProblems(['<binary 4 bytes>', ...text(started, closed)], ID)).toEqual([
      'message 0: not JSON: "<binary 4 bytes>"',
      'session_started is not first and once: , session_started, stream_closed',
    ]);
  });

  it('find summaries with wrong types or that do not add up', () => {
    expect(summaryProblems({ ...summary, total_frames_dropped: 1 })).toEqual(['total_frames_received 10 != processed 8 + dropped 1']);
    expect(summaryProblems({ ...summary, total_detections: -1 })).toEqual(['summary.total_detections is not an integer >= 0: -1']);
    expect(summaryProblems({ ...summary, total_frames_received: 1.5 })).toHaveLength(1);
    expect(summaryProblems({ ...summary, duration_sec: undefined })).toEqual(['summary.duration_sec is not a number >= 0: undefined']);
    expect(summaryProblems(null)).toEqual(['summary is not an object']);
    expect(summaryProblems([])).toEqual(['summary is not an object']);
    expect(conversationProblems(text(started, { ...closed, summary: { ...summary, duration_sec: -1 } }), ID)).toEqual([
      'message 1: summary.duration_sec is not a number >= 0: -1',
    ]);
  });
});
