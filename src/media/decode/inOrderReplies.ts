interface Place<T> {
  settled: boolean;
  value?: T;
}

/**
 * Hands out each stream's replies in the order its requests arrived, whatever order they are
 * settled in: a request takes its place when it arrives, and a settled reply waits for the
 * replies before it of the same stream. Streams never wait for each other.
 */
export class InOrderReplies<T> {
  private readonly queues = new Map<string, Array<Place<T>>>();

  constructor(private readonly deliver: (reply: T) => void) {}

  /** Takes the next place of `stream`; the function returned settles it (the first call counts). */
  reserve(stream: string): (reply: T) => void {
    let queue = this.queues.get(stream);
    if (!queue) {
      queue = [];
      this.queues.set(stream, queue);
    }
    const place: Place<T> = { settled: false };
    queue.push(place);
    const owner = queue;
    return (reply) => {
      if (place.settled) return;
      place.settled = true;
      place.value = reply;
      this.flush(stream, owner);
    };
  }

  /** Streams with a reply still to settle or waiting for an earlier one. */
  get streams(): number {
    return this.queues.size;
  }

  private flush(stream: string, queue: Array<Place<T>>): void {
    while (queue[0]?.settled) {
      const { value } = queue.shift()!;
      this.deliver(value as T);
    }
    if (queue.length === 0 && this.queues.get(stream) === queue) this.queues.delete(stream);
  }
}
