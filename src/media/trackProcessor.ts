import type { TrackKind } from '../protocol';
import type { RtpLike } from './rtp';

/** One per track: consumes its RTP and updates the session's counters. */
export interface TrackProcessor {
  readonly trackId: string;
  readonly kind: TrackKind;
  readonly stopped: boolean;
  /** `extensions`: werift's parsed RTP header extensions by URI. */
  handleRtp(packet: RtpLike, extensions?: Record<string, unknown>): void;
  /** Sets the stop flag, cancels the processing loop and waits for it. Idempotent. */
  stop(): Promise<void>;
}
