import type { RtpLike } from './rtp';

export interface ReorderBufferOptions {
  /** Packets held while waiting for a missing one; beyond, the missing one is given up. */
  maxHeldPackets: number;
  /** RTP clock ticks a packet may wait behind a missing one before it is given up. */
  maxWaitTicks: number;
  /**
   * How far (in sequence numbers) a packet may be from the next one expected and still belong
   * to the same run: up to this far behind it is a duplicate or too late (discarded), up to
   * this far ahead it waits for the missing ones. Farther either way, the sender restarted its
   * sequence numbers and a new run begins. Default: 4 × maxHeldPackets.
   */
  runWindow?: number;
}

/** Where a run of sequence numbers stands: its SSRC (when known) and the next number expected. */
interface RunPosition {
  ssrc: number | undefined;
  expected: number;
}

/** The default run window, in multiples of maxHeldPackets (why a few: see ReorderBuffer). */
const DEFAULT_RUN_WINDOW_FACTOR = 4;

/**
 * Puts RTP packets back in sequence order. A packet that arrives early waits for the missing
 * ones until `maxWaitTicks` of media time or `maxHeldPackets` pile up behind them; then the
 * missing packets are given up and the gap shows in the emitted sequence numbers, which the
 * frame assembler reads as a loss. Nothing that arrived is discarded except duplicates and
 * packets older than what was already emitted (too late).
 *
 * A packet far from the expected sequence number (beyond `runWindow` either way) or with
 * another SSRC starts a new run: the sender restarted (a new SSRC, a sequence number jump).
 * What is held is emitted at once (the missing packets given up), `onNewRun` is told (the frame
 * being assembled ended with the old run) and counting goes on from the new packet. The window
 * is a few times `maxHeldPackets`: a packet given up arrives at least `maxHeldPackets` behind
 * when it was given up for piling up, and a little more when it is still in flight after that;
 * farther behind than that, a late packet could no longer help any frame, while a restart lands
 * within the window behind with a chance of window/65536 only (its first packets are then taken
 * for late ones until it passes what was emitted). Late packets and duplicates of the run just
 * left are still recognised as such, so packets reordered across a restart do not flip runs.
 * Each packet costs at most one pass over what is held (bounded by `maxHeldPackets`), whatever
 * a peer alternates.
 *
 * werift's jitter buffer is not used here: after it gives up on a missing packet it drops some
 * of the packets it was holding, so frames that did arrive would never be counted.
 */
export class ReorderBuffer<T extends RtpLike> {
  private run: RunPosition | null = null;
  /** The run left at the last restart: its late packets and duplicates are discarded, not a new run. */
  private previousRun: RunPosition | null = null;
  private readonly held = new Map<number, T>();
  private readonly runWindow: number;
  private runs = 0;

  constructor(
    private readonly emit: (packet: T) => void,
    private readonly options: ReorderBufferOptions,
    private readonly onNewRun: () => void = () => {},
  ) {
    this.runWindow = options.runWindow ?? DEFAULT_RUN_WINDOW_FACTOR * options.maxHeldPackets;
  }

  /** Runs of sequence numbers seen so far (1 for a sender that never restarted). */
  get runCount(): number {
    return this.runs;
  }

  /** Packets held now, waiting for a missing one. */
  get heldCount(): number {
    return this.held.size;
  }

  push(packet: T): void {
    const { sequenceNumber: sequence, ssrc } = packet.header;
    const run = this.run;
    if (!run) return this.startRun(packet);
    const distance = sameSsrc(run.ssrc, ssrc) ? signedDistance(sequence, run.expected) : null;
    if (distance === 0) {
      this.release(packet);
      this.drain();
      return;
    }
    if (distance !== null && distance > 0 && distance <= this.runWindow) {
      if (this.held.has(sequence)) return;
      this.held.set(sequence, packet);
      if (this.held.size > this.options.maxHeldPackets || this.waitedTooLong(packet.header.timestamp)) this.giveUpMissing();
      return;
    }
    if (distance !== null && distance < 0 && distance >= -this.runWindow) return;
    if (this.isLateFor(this.previousRun, packet)) return;
    this.flush();
    this.previousRun = run;
    this.onNewRun();
    this.startRun(packet);
  }

  /** Emits what is held, in order, gaps included (the stream ended, or its run did). */
  flush(): void {
    if (this.held.size === 0) return;
    const expected = this.run!.expected;
    const inOrder = [...this.held.values()].sort(
      (a, b) => ((a.header.sequenceNumber - expected) & 0xffff) - ((b.header.sequenceNumber - expected) & 0xffff),
    );
    this.held.clear();
    for (const packet of inOrder) this.release(packet);
  }

  private startRun(packet: T): void {
    this.runs++;
    this.run = { ssrc: packet.header.ssrc, expected: packet.header.sequenceNumber };
    this.release(packet);
  }

  /** A duplicate or a late packet of `run` (behind its next expected number, within the window). */
  private isLateFor(run: RunPosition | null, packet: T): boolean {
    if (!run || !sameSsrc(run.ssrc, packet.header.ssrc)) return false;
    const distance = signedDistance(packet.header.sequenceNumber, run.expected);
    return distance < 0 && distance >= -this.runWindow;
  }

  private release(packet: T): void {
    this.run!.expected = (packet.header.sequenceNumber + 1) & 0xffff;
    this.emit(packet);
  }

  private drain(): void {
    for (let next = this.held.get(this.run!.expected); next; next = this.held.get(this.run!.expected)) {
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
    const expected = this.run!.expected;
    let earliest: T | undefined;
    let earliestAhead = Number.POSITIVE_INFINITY;
    for (const packet of this.held.values()) {
      const ahead = (packet.header.sequenceNumber - expected) & 0xffff;
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

/** Packets without an SSRC (tests, a caller that does not know it) belong to whatever run is going on. */
function sameSsrc(a: number | undefined, b: number | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

/** `sequence - expected` in 16-bit sequence space, in [-32768, 32767]. */
function signedDistance(sequence: number, expected: number): number {
  return (((sequence - expected) & 0xffff) << 16) >> 16;
}
