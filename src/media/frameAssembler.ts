import type { RtpLike } from './rtp';

/** The RTP packets of one video frame, grouped. */
export interface AssembledFrame {
  /** RTP timestamp shared by the frame's packets (90 kHz clock for video). */
  rtpTimestamp: number;
  payloadType: number;
  packets: number;
  bytes: number;
  /** The frame's RTP payloads, in sequence order. */
  payloads: Buffer[];
  receivedAt: number;
  /** A packet of this frame was lost: it cannot be decoded. */
  incomplete: boolean;
  /** Packets were lost just before this frame: whole frames may be missing before it. */
  afterLoss: boolean;
}

/**
 * Groups video RTP packets, in sequence order, into frames: packets with one timestamp form a
 * frame, complete at the marker bit or when a packet with a new timestamp arrives. A gap in
 * sequence numbers marks the frame it falls into as incomplete and the next one as after a loss.
 */
export class FrameAssembler {
  private current: AssembledFrame | null = null;
  private lastSequence: number | null = null;

  constructor(
    private readonly onFrame: (frame: AssembledFrame) => void,
    private readonly now: () => number = Date.now,
  ) {}

  push(packet: RtpLike): void {
    const { timestamp, marker, sequenceNumber, payloadType } = packet.header;
    const gap = this.lastSequence !== null && sequenceNumber !== ((this.lastSequence + 1) & 0xffff);
    this.lastSequence = sequenceNumber;
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
    this.current.packets++;
    this.current.bytes += packet.payload.length;
    this.current.payloads.push(packet.payload);
    if (marker) this.completeCurrent();
  }

  /** Emits a partly received frame, if any (the stream ended without its marker). */
  flush(): void {
    this.completeCurrent();
  }

  private completeCurrent(): void {
    const frame = this.current;
    this.current = null;
    if (frame) this.onFrame(frame);
  }
}
