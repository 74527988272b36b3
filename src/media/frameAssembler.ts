import type { RtpLike } from './rtp';

/** The budget a frame being assembled broke (MAX_FRAME_BYTES, MAX_FRAME_PACKETS). */
export type FrameOverLimit = 'frame_bytes' | 'frame_packets';

/** The RTP packets of one video frame, grouped. */
export interface AssembledFrame {
  /** RTP timestamp shared by the frame's packets (90 kHz clock for video). */
  rtpTimestamp: number;
  payloadType: number;
  packets: number;
  bytes: number;
  /** The frame's RTP payloads, in sequence order (none kept once it broke a limit). */
  payloads: Buffer[];
  receivedAt: number;
  /** A packet of this frame was lost: it cannot be decoded. */
  incomplete: boolean;
  /** Packets were lost just before this frame: whole frames may be missing before it. */
  afterLoss: boolean;
  /** The frame grew past a limit: its payloads were let go and it is to be dropped. */
  overLimit?: FrameOverLimit;
}

export interface FrameLimits {
  /** Payload bytes of one frame (MAX_FRAME_BYTES). */
  maxFrameBytes: number;
  /** RTP packets of one frame (MAX_FRAME_PACKETS). */
  maxFramePackets: number;
}

const NO_LIMITS: FrameLimits = { maxFrameBytes: Number.POSITIVE_INFINITY, maxFramePackets: Number.POSITIVE_INFINITY };

/**
 * Groups video RTP packets, in sequence order, into frames: packets with one timestamp form a
 * frame, complete at the marker bit or when a packet with a new timestamp arrives. A gap in
 * sequence numbers marks the frame it falls into as incomplete and the next one as after a loss.
 *
 * A frame that grows past `limits` is emitted at once with `overLimit` and no payloads, and the
 * rest of its packets (same timestamp, up to its marker) are counted in nothing and kept
 * nowhere: a sender that never ends a frame holds no memory here. The next timestamp (or a
 * packet after the marker) starts a new frame as usual.
 */
export class FrameAssembler {
  private current: AssembledFrame | null = null;
  private lastSequence: number | null = null;
  /** The timestamp of a frame emitted over its limit, whose remaining packets are skipped. */
  private discarding: number | null = null;
  /** flush() ran: the next packet starts a frame after a loss, whatever its sequence number. */
  private breakPending = false;

  constructor(
    private readonly onFrame: (frame: AssembledFrame) => void,
    private readonly now: () => number = Date.now,
    private readonly limits: FrameLimits = NO_LIMITS,
  ) {}

  push(packet: RtpLike): void {
    const { timestamp, marker, sequenceNumber, payloadType } = packet.header;
    const gap = this.breakPending || (this.lastSequence !== null && sequenceNumber !== ((this.lastSequence + 1) & 0xffff));
    this.breakPending = false;
    this.lastSequence = sequenceNumber;
    if (this.discarding !== null) {
      if (this.discarding === timestamp) {
        if (marker) this.discarding = null;
        return;
      }
      this.discarding = null;
    }
    if (this.current && this.current.rtpTimestamp !== timestamp) {
      // A frame left without its marker lost its last packet(s).
      if (gap) this.current.incomplete = true;
      this.completeCurrent();
    } else if (gap && this.current) {
      this.current.incomplete = true;
    }
    if (!this.current) {
      this.current = {
        rtpTimestamp: timestamp,
        payloadType,
        packets: 0,
        bytes: 0,
        payloads: [],
        receivedAt: this.now(),
        incomplete: false,
        afterLoss: gap,
      };
    }
    const frame = this.current;
    frame.packets++;
    frame.bytes += packet.payload.length;
    const overLimit = frame.bytes > this.limits.maxFrameBytes ? 'frame_bytes' : frame.packets > this.limits.maxFramePackets ? 'frame_packets' : undefined;
    if (overLimit) {
      frame.overLimit = overLimit;
      frame.payloads = [];
      if (!marker) this.discarding = timestamp;
      this.completeCurrent();
      return;
    }
    frame.payloads.push(packet.payload);
    if (marker) this.completeCurrent();
  }

  /**
   * The stream ended, or its run of sequence numbers did (the sender restarted): the frame left
   * open is emitted as incomplete (its end was never seen), and the next frame, if any, comes
   * after a loss (its decoder must wait for a keyframe).
   */
  flush(): void {
    if (this.current) this.current.incomplete = true;
    this.completeCurrent();
    this.discarding = null;
    this.breakPending = true;
  }

  private completeCurrent(): void {
    const frame = this.current;
    this.current = null;
    if (frame) this.onFrame(frame);
  }
}
