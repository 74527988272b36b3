/**
 * Messages on the data channel (API.md, "Data channel events"): the events the server sends
 * and the messages a client may send. Plain types and pure parsers only, so the page's bundle
 * can use them.
 */
import type { CloseReason, StreamSummary } from './summary';

/** One thing the detector found: `bbox` is [x, y, width, height] in pixels of the analysed picture. */
export interface Detection {
  label: string;
  score: number;
  bbox: [number, number, number, number];
}

export interface SessionStartedEvent {
  event_type: 'session_started';
  session_id: string;
}

export interface DetectionEvent {
  event_type: 'detection';
  session_id: string;
  track_id: string;
  /** RTP timestamp of the analysed frame. */
  frame_timestamp: number;
  detections: Detection[];
  /** Size of the analysed picture, which the boxes are in (absent when the analyzer did not say). */
  frame_width?: number;
  frame_height?: number;
}

/** The last message on the channel. */
export interface StreamClosedEvent {
  event_type: 'stream_closed';
  session_id: string;
  reason: CloseReason;
  summary: StreamSummary;
}

/** Every event the server sends. */
export type ServerEvent = SessionStartedEvent | DetectionEvent | StreamClosedEvent;

/** Messages a client may send on the data channel. */
export type ClientMessage = { type: 'end_stream' };
