import { parseReceivedEvent, type ReceivedEvent } from '../src/protocol/eventGuards';

/** Parses one data channel message (text or binary: werift hands a string or a Buffer). */
export function parseServerEvent(message: string | Buffer): ReceivedEvent | null {
  return parseReceivedEvent(message.toString());
}

interface Waiter {
  eventType: string;
  resolve: (event: ReceivedEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Keeps every event in arrival order and lets callers wait for one by type, whether it has
 * already arrived or not.
 */
export class EventInbox {
  readonly events: ReceivedEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(event: ReceivedEvent) => void>();
  private endedBecause: string | null = null;

  add(event: ReceivedEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
    for (const waiter of this.waiters) {
      if (waiter.eventType === event.event_type) this.settle(waiter, () => waiter.resolve(event));
    }
  }

  /** Calls `listener` for each event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: ReceivedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(eventType: string, timeoutMs: number): Promise<ReceivedEvent> {
    const arrived = this.events.find((event) => event.event_type === eventType);
    if (arrived) return Promise.resolve(arrived);
    if (this.endedBecause !== null) {
      return Promise.reject(new Error(`No "${eventType}" event: ${this.endedBecause}`));
    }
    return new Promise<ReceivedEvent>((resolve, reject) => {
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
