/** The parts of the server's wire contract (shared/API.md) that the page reads. */

export interface OfferAnswer {
  sdp: string;
  type: 'answer';
  session_id: string;
}

export interface TrackStatus {
  track_id: string;
  kind: string;
  status: string;
  end_reason: string | null;
}

export interface SessionCounters {
  frames_received: number;
  frames_processed: number;
  frames_dropped: number;
  detections: number;
  audio_frames: number;
  audio_seconds: number;
  [counter: string]: number;
}

export interface StreamSummary {
  total_frames_received: number;
  total_frames_processed: number;
  total_frames_dropped: number;
  total_detections: number;
  duration_sec: number;
  audio_seconds?: number;
  [field: string]: unknown;
}

/** One top-level state the session's actor entered, with its epoch-millisecond time. */
export interface TimelineEntry {
  state: string;
  at: number;
}

export interface SessionRecord {
  session_id: string;
  /** The actor's current top-level state, e.g. "Active" or "Released". */
  state: string;
  tracks: TrackStatus[];
  counters: SessionCounters;
  summary: StreamSummary | null;
  reason?: string | null;
  /** Every top-level state entered, in order (TrackEnding can appear more than once). */
  timeline: TimelineEntry[];
  /** Milliseconds spent in each closing state left so far. */
  close_ms_by_state: Partial<Record<string, number>>;
}

export interface ServerEvent {
  event_type: string;
  session_id?: string;
  [field: string]: unknown;
}

export interface StreamClosedEvent extends ServerEvent {
  event_type: 'stream_closed';
  reason: string;
  summary: StreamSummary;
}

export function parseServerEvent(data: unknown): ServerEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && typeof (value as ServerEvent).event_type === 'string') {
      return value as ServerEvent;
    }
  } catch {
    return null;
  }
  return null;
}

export function isStreamClosed(event: ServerEvent): event is StreamClosedEvent {
  return event.event_type === 'stream_closed' && typeof event.summary === 'object' && event.summary !== null;
}

/** One thing the server's detector found: `bbox` is [x, y, width, height] in pixels of the analysed picture. */
export interface WireDetection {
  label: string;
  score: number;
  bbox: [number, number, number, number];
}

export interface DetectionEvent extends ServerEvent {
  event_type: 'detection';
  track_id?: string;
  frame_timestamp?: number;
  detections: WireDetection[];
  /** Size of the analysed picture the boxes are in; absent from older servers. */
  frame_width?: number;
  frame_height?: number;
}

function isWireDetection(value: unknown): value is WireDetection {
  if (typeof value !== 'object' || value === null) return false;
  const { label, score, bbox } = value as Partial<WireDetection>;
  return (
    typeof label === 'string' &&
    typeof score === 'number' &&
    Array.isArray(bbox) &&
    bbox.length === 4 &&
    bbox.every((n) => typeof n === 'number' && Number.isFinite(n))
  );
}

const positiveOrUndefined = (value: unknown) => value === undefined || (typeof value === 'number' && value > 0);

export function isDetectionEvent(event: ServerEvent): event is DetectionEvent {
  return (
    event.event_type === 'detection' &&
    Array.isArray(event.detections) &&
    event.detections.every(isWireDetection) &&
    positiveOrUndefined(event.frame_width) &&
    positiveOrUndefined(event.frame_height)
  );
}
