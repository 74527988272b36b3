import type { Session } from '../counters/session';
import type { AudioMeter } from './analyzer';
import { audioLevelOf } from './audioLevel';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';

const OPUS_CLOCK_RATE = 48_000;
const DEFAULT_FRAME_SECONDS = 0.02;
/** A timestamp jump beyond this (either way) is a new source or garbage, not audio we analysed. */
const MAX_GAP_SECONDS = 5;
/**
 * Packets go to the meter in batches of this many (100 ms of 20 ms Opus): one message to a
 * worker and one answer for five packets. Levels feed the summary only, so nothing waits for them.
 */
const BATCH_PACKETS = 5;
/** Batches being measured at once; beyond, a batch is counted but not measured (the worker is busy). */
const MAX_MEASURING = 2;

/**
 * Counts audio frames and the audio time they cover, from RTP timestamps: each packet adds
 * the time since the previous one (Opus DTX gaps included, reordered packets add nothing; a
 * sender that restarts, with a new SSRC or timestamps far behind, is followed). Nothing is held:
 * a packet is counted when it arrives.
 * With a meter, packets are decoded (off this thread, a batch at a time) and their level feeds
 * the session's loudness and voice activity; RFC 6464 level indications from the sender are
 * kept too. Stopping measures the last, partial batch and waits for the batches in flight
 * (a worker round trip, as a video processor waits for its frame in analysis).
 */
export class AudioProcessor implements TrackProcessor {
  readonly kind = 'audio' as const;
  private lastTimestamp: number | null = null;
  private lastSsrc: number | undefined;
  private isStopped = false;
  /** Batches sent to the meter and not answered yet. */
  private readonly measuring = new Set<Promise<void>>();
  private batch: Buffer[] = [];

  constructor(
    readonly trackId: string,
    private readonly session: Session,
    private readonly meter?: AudioMeter,
    private readonly clockRate = OPUS_CLOCK_RATE,
  ) {}

  get stopped(): boolean {
    return this.isStopped;
  }

  handleRtp(packet: RtpLike, extensions?: Record<string, unknown>): void {
    if (this.isStopped) return;
    this.session.audioFrameReceived(this.secondsCoveredBy(packet.header.timestamp, packet.header.ssrc), audioLevelOf(extensions));
    this.measure(packet.payload);
  }

  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.send();
    await Promise.all(this.measuring);
    this.meter?.close();
  }

  private measure(payload: Buffer): void {
    if (!this.meter) return;
    this.batch.push(payload);
    if (this.batch.length >= BATCH_PACKETS) this.send();
  }

  /** The batch to the meter, unless it is empty or the meter already has MAX_MEASURING batches. */
  private send(): void {
    const packets = this.batch;
    this.batch = [];
    if (!this.meter || packets.length === 0 || this.measuring.size >= MAX_MEASURING) return;
    const measured: Promise<void> = this.meter
      .measure(packets)
      .then((levels) => levels.forEach((dbov) => this.session.audioLevelMeasured(dbov)))
      .catch(() => {})
      .finally(() => this.measuring.delete(measured));
    this.measuring.add(measured);
  }

  /**
   * The first packet, one of a new SSRC, or one far behind the newest (farther than a reordered
   * packet could be: the sender restarted with lower timestamps) starts the count afresh from
   * its timestamp; otherwise a packet adds the time since the newest one.
   */
  private secondsCoveredBy(timestamp: number, ssrc: number | undefined): number {
    const newSource = ssrc !== undefined && this.lastSsrc !== undefined && ssrc !== this.lastSsrc;
    this.lastSsrc = ssrc ?? this.lastSsrc;
    if (this.lastTimestamp === null || newSource) {
      this.lastTimestamp = timestamp;
      return DEFAULT_FRAME_SECONDS;
    }
    // RTP timestamps wrap at 2^32; the signed 32-bit difference orders them across the wrap.
    const delta = (timestamp - this.lastTimestamp) | 0;
    if (delta < -MAX_GAP_SECONDS * this.clockRate) {
      this.lastTimestamp = timestamp;
      return DEFAULT_FRAME_SECONDS;
    }
    if (delta <= 0) return 0;
    this.lastTimestamp = timestamp;
    const seconds = delta / this.clockRate;
    return seconds > MAX_GAP_SECONDS ? DEFAULT_FRAME_SECONDS : seconds;
  }
}
