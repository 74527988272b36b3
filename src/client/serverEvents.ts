import { isRecord } from './json';

/** A JSON message the server sent on the data channel (API.md, "Data channel events"). */
export interface ServerEvent {
  event_type: string;
  session_id?: string;
  [field: string]: unknown;
}

export interface StreamSummary {
  total_frames_received: number;
  total_frames_processed: number;
  total_frames_dropped: number;
  total_detections: number;
  duration_sec: number;
  [field: string]: unknown;
}

export interface StreamClosedEvent extends ServerEvent {
  event_type: 'stream_closed';
  reason: string;
  summary: StreamSummary;
}

export function isStreamClosedEvent(event: ServerEvent): event is StreamClosedEvent {
  return event.event_type === 'stream_closed' && typeof event.reason === 'string' && isRecord(event.summary);
}

/** Parses one data channel message; anything but a JSON object with an `event_type` is null. */
export function parseServerEvent(message: string | Buffer): ServerEvent | null {
  try {
    const value: unknown = JSON.parse(message.toString());
    if (isRecord(value) && typeof value.event_type === 'string') return value as ServerEvent;
  } catch {
    // Not JSON.
  }
  return null;
}

interface Waiter {
  eventType: string;
  resolve: (event: ServerEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Keeps every event in arrival order and lets callers wait for one by type, whether it has
 * already arrived or not.
 */
export class EventInbox {
  readonly events: ServerEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(event: ServerEvent) => void>();
  private endedBecause: string | null = null;

  add(event: ServerEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
    for (const waiter of this.waiters) {
      if (waiter.eventType === event.event_type) this.settle(waiter, () => waiter.resolve(event));
    }
  }

  /** Calls `listener` for each event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(eventType: string, timeoutMs: number): Promise<ServerEvent> {
    const arrived = this.events.find((event) => event.event_type === eventType);
    if (arrived) return Promise.resolve(arrived);
    if (this.endedBecause !== null) {
      return Promise.reject(new Error(`No "${eventType}" event: ${this.endedBecause}`));
    }
    return new Promise<ServerEvent>((resolve, reject) => {
      const waiter: Waiter = {
        eventType,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(waiter, () => reject(new Error(`No "${eventType}" event within ${timeoutMs} ms`)));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** No more events can arrive: pending and later waits for a missing event fail at once. */
  end(reason: string): void {
    if (this.endedBecause !== null) return;
    this.endedBecause = reason;
    for (const waiter of this.waiters) {
      this.settle(waiter, () => waiter.reject(new Error(`No "${waiter.eventType}" event: ${reason}`)));
    }
  }

  private settle(waiter: Waiter, outcome: () => void): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    outcome();
  }
}
