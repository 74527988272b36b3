import type { Session } from '../counters/session';
import type { AudioMeter } from './analyzer';
import { audioLevelOf } from './audioLevel';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';

const OPUS_CLOCK_RATE = 48_000;
const DEFAULT_FRAME_SECONDS = 0.02;
/** A timestamp jump beyond this is a new source or garbage, not audio we analysed. */
const MAX_GAP_SECONDS = 5;
/** Packets being measured at once; beyond, a packet is counted but not measured (the worker is busy). */
const MAX_MEASURING = 4;

/**
 * Counts audio frames and the audio time they cover, from RTP timestamps: each packet adds
 * the time since the previous one (Opus DTX gaps included, reordered packets add nothing).
 * With a meter, packets are decoded (off this thread) and their level feeds the session's
 * loudness and voice activity; RFC 6464 level indications from the sender are kept too.
 */
export class AudioProcessor implements TrackProcessor {
  readonly kind = 'audio' as const;
  private lastTimestamp: number | null = null;
  private isStopped = false;
  private measuring = 0;

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
    this.session.audioFrameReceived(this.secondsCoveredBy(packet.header.timestamp), audioLevelOf(extensions));
    this.measure(packet.payload);
  }

  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.meter?.close();
  }

  private measure(payload: Buffer): void {
    if (!this.meter || this.measuring >= MAX_MEASURING) return;
    this.measuring++;
    this.meter
      .measure(payload)
      .then((dbov) => this.session.audioLevelMeasured(dbov))
      .catch(() => {})
      .finally(() => this.measuring--);
  }

  private secondsCoveredBy(timestamp: number): number {
    if (this.lastTimestamp === null) {
      this.lastTimestamp = timestamp;
      return DEFAULT_FRAME_SECONDS;
    }
    // RTP timestamps wrap at 2^32; the signed 32-bit difference orders them across the wrap.
    const delta = (timestamp - this.lastTimestamp) | 0;
    if (delta <= 0) return 0;
    this.lastTimestamp = timestamp;
    const seconds = delta / this.clockRate;
    return seconds > MAX_GAP_SECONDS ? DEFAULT_FRAME_SECONDS : seconds;
  }
}
