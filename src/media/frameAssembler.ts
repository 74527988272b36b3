import type { RtpLike } from './rtp';

export interface VideoFrame {
  /** RTP timestamp shared by the frame's packets (90 kHz clock for video). */
  rtpTimestamp: number;
  packets: number;
  bytes: number;
  /** The frame's RTP payloads, in arrival order. */
  payloads: Buffer[];
  receivedAt: number;
}

/**
 * Groups video RTP packets into frames: packets with one timestamp form a frame, which is
 * complete at the marker bit or when a packet with a new timestamp arrives.
 */
export class FrameAssembler {
  private current: VideoFrame | null = null;

  constructor(
    private readonly onFrame: (frame: VideoFrame) => void,
    private readonly now: () => number = Date.now,
  ) {}

  push(packet: RtpLike): void {
    const { timestamp, marker } = packet.header;
    if (this.current && this.current.rtpTimestamp !== timestamp) this.completeCurrent();
    if (!this.current) {
      this.current = { rtpTimestamp: timestamp, packets: 0, bytes: 0, payloads: [], receivedAt: this.now() };
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
