import type { RtpLike } from './rtp';

export interface ReorderBufferOptions {
  /** Packets held while waiting for a missing one; beyond, the missing one is given up. */
  maxHeldPackets: number;
  /** RTP clock ticks a packet may wait behind a missing one before it is given up. */
  maxWaitTicks: number;
}

const HALF_SEQUENCE_SPACE = 0x8000;

/**
 * Puts RTP packets back in sequence order. A packet that arrives early waits for the missing
 * ones until `maxWaitTicks` of media time or `maxHeldPackets` pile up behind them; then the
 * missing packets are given up and the gap shows in the emitted sequence numbers, which the
 * frame assembler reads as a loss. Nothing that arrived is discarded except packets older than
 * what was already emitted (duplicates, or too late).
 *
 * werift's jitter buffer is not used here: after it gives up on a missing packet it drops some
 * of the packets it was holding, so frames that did arrive would never be counted.
 */
export class ReorderBuffer<T extends RtpLike> {
  private expected: number | null = null;
  private readonly held = new Map<number, T>();

  constructor(
    private readonly emit: (packet: T) => void,
    private readonly options: ReorderBufferOptions,
  ) {}

  push(packet: T): void {
    const sequence = packet.header.sequenceNumber;
    this.expected ??= sequence;
    const ahead = (sequence - this.expected) & 0xffff;
    if (ahead >= HALF_SEQUENCE_SPACE || this.held.has(sequence)) return;
    if (ahead === 0) {
      this.release(packet);
      this.drain();
      return;
    }
    this.held.set(sequence, packet);
    if (this.held.size > this.options.maxHeldPackets || this.waitedTooLong(packet.header.timestamp)) this.giveUpMissing();
  }

  /** Emits what is held, in order, gaps included (the stream ended). */
  flush(): void {
    while (this.held.size > 0) this.giveUpMissing();
  }

  private release(packet: T): void {
    this.expected = (packet.header.sequenceNumber + 1) & 0xffff;
    this.emit(packet);
  }

  private drain(): void {
    for (let next = this.held.get(this.expected!); next; next = this.held.get(this.expected!)) {
      this.held.delete(next.header.sequenceNumber);
      this.release(next);
    }
  }

  private waitedTooLong(newestTimestamp: number): boolean {
    for (const packet of this.held.values()) {
      if (((newestTimestamp - packet.header.timestamp) | 0) > this.options.maxWaitTicks) return true;
    }
    return false;
  }

  /** Skips to the earliest held packet. */
  private giveUpMissing(): void {
    let earliest: T | undefined;
    let earliestAhead = Number.POSITIVE_INFINITY;
    for (const packet of this.held.values()) {
      const ahead = (packet.header.sequenceNumber - this.expected!) & 0xffff;
      if (ahead < earliestAhead) {
        earliest = packet;
        earliestAhead = ahead;
      }
    }
    if (!earliest) return;
    this.held.delete(earliest.header.sequenceNumber);
    this.release(earliest);
    this.drain();
  }
}
