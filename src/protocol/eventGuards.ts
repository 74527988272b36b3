/**
 * Reading the server's data channel events on the client side (the CLI client and the page):
 * pure functions with no imports but types, so the page's bundle can include them.
 */
import type { Detection, DetectionEvent, StreamClosedEvent } from './events';

/** An event as received: a JSON object with an `event_type`, possibly one this client does not know. */
export interface ReceivedEvent {
  event_type: string;
  session_id?: string;
  [field: string]: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one data channel message; anything but a JSON object with an `event_type` is null. */
export function parseReceivedEvent(message: unknown): ReceivedEvent | null {
  if (typeof message !== 'string') return null;
  try {
    const value: unknown = JSON.parse(message);
    if (isObject(value) && typeof value.event_type === 'string') return value as ReceivedEvent;
  } catch {
    // Not JSON.
  }
  return null;
}

export function isStreamClosedEvent(event: ReceivedEvent): event is ReceivedEvent & StreamClosedEvent {
  return event.event_type === 'stream_closed' && typeof event.reason === 'string' && isObject(event.summary);
}

function isDetection(value: unknown): value is Detection {
  if (!isObject(value)) return false;
  const { label, score, bbox } = value;
  return (
    typeof label === 'string' &&
    typeof score === 'number' &&
    Array.isArray(bbox) &&
    bbox.length === 4 &&
    bbox.every((n) => typeof n === 'number' && Number.isFinite(n))
  );
}

const positiveOrUndefined = (value: unknown) => value === undefined || (typeof value === 'number' && value > 0);

export function isDetectionEvent(event: ReceivedEvent): event is ReceivedEvent & DetectionEvent {
  return (
    event.event_type === 'detection' &&
    Array.isArray(event.detections) &&
    event.detections.every(isDetection) &&
    positiveOrUndefined(event.frame_width) &&
    positiveOrUndefined(event.frame_height)
  );
}
