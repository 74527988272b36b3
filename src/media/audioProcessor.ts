import type { Session } from '../session/session';
import { audioLevelOf } from './audioLevel';
import type { RtpLike } from './rtp';
import type { TrackProcessor } from './trackProcessor';

const OPUS_CLOCK_RATE = 48_000;
const DEFAULT_FRAME_SECONDS = 0.02;
/** A timestamp jump beyond this is a new source or garbage, not audio we analysed. */
const MAX_GAP_SECONDS = 5;

/**
 * Counts audio frames and the audio time they cover, from RTP timestamps: each packet adds
 * the time since the previous one (Opus DTX gaps included, reordered packets add nothing).
 * Packets carrying an RFC 6464 audio level feed the session's loudness and voice activity.
 */
export class AudioProcessor implements TrackProcessor {
  readonly kind = 'audio' as const;
  private lastTimestamp: number | null = null;
  private isStopped = false;

  constructor(
    readonly trackId: string,
    private readonly session: Session,
    private readonly clockRate = OPUS_CLOCK_RATE,
  ) {}

  get stopped(): boolean {
    return this.isStopped;
  }

  handleRtp(packet: RtpLike, extensions?: Record<string, unknown>): void {
    if (this.isStopped) return;
    this.session.audioFrameReceived(this.secondsCoveredBy(packet.header.timestamp), audioLevelOf(extensions));
  }

  async stop(): Promise<void> {
    this.isStopped = true;
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
