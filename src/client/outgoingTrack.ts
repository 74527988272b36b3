import { MediaStreamTrack, useH264, useOPUS, useVP8, useVP9, type RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import { PacedLoop } from './pacedLoop';
import type { VideoFileCodec } from './videoFile';

export type MediaKind = 'video' | 'audio';

/** The RTP side of one sendonly transceiver: its local track and the loops writing into it. */
export class OutgoingTrack {
  readonly track: MediaStreamTrack;
  readonly loops = new Set<PacedLoop>();
  stopped = false;
  framesSent = 0;
  /** Background streaming loop, if running. */
  streaming: PacedLoop | null = null;
  streamingError: unknown = null;
  transceiver: RTCRtpTransceiver | null = null;

  constructor(
    readonly kind: MediaKind,
    videoCodec: VideoFileCodec = 'VP8',
  ) {
    // A source codec makes werift offer only that codec for the transceiver, so the
    // negotiated payload type always matches what the packets contain.
    const codec = kind === 'audio' ? useOPUS() : { VP8: useVP8, VP9: useVP9, H264: useH264 }[videoCodec]();
    this.track = new MediaStreamTrack({ kind, codec });
  }

  /** The codec the answer settled on (werift sets it when it applies the remote description). */
  negotiatedCodec(): RTCRtpCodecParameters | undefined {
    return this.transceiver?.sender.codec;
  }

  /** Negotiated payload type; werift also writes it into every packet it sends. */
  payloadType(): number {
    return this.transceiver?.sender.codec?.payloadType ?? 0;
  }

  run(intervalMs: number, count: number, sendFrame: () => void): PacedLoop {
    if (this.stopped) throw new Error(`The ${this.kind} track is stopped`);
    const loop = new PacedLoop(intervalMs, () => {
      sendFrame();
      this.framesSent++;
    }, count);
    this.loops.add(loop);
    const forget = (): void => {
      this.loops.delete(loop);
    };
    loop.done.then(forget, forget);
    return loop;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const loop of this.loops) loop.stop();
    this.streaming = null;
    this.track.stop();
  }
}
