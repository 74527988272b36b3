import { MediaStreamTrack, useOPUS, type RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import { H264_PROFILE_LEVEL_ID } from '../src/webrtc/h264Profiles';
import { videoFormats, type PeerConnectionOptions } from '../src/webrtc/peerConnectionFactory';
import { PacedLoop } from './pacedLoop';
import type { VideoFile } from './videoFile';

export type MediaKind = 'video' | 'audio';

/** The one video format sent: a file's codec and, for H264, its stream's profile-level-id. */
export type SentVideo = Pick<VideoFile, 'codec' | 'h264ProfileLevelId'>;

/** Peer connection options that offer exactly `video`'s format (H264 without a known profile: werift's, constrained baseline). */
export function offeringOnly(video: SentVideo): Required<Pick<PeerConnectionOptions, 'videoCodecs' | 'h264ProfileLevelIds'>> {
  return { videoCodecs: [video.codec], h264ProfileLevelIds: [video.h264ProfileLevelId ?? H264_PROFILE_LEVEL_ID['constrained baseline']] };
}

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
    video: SentVideo = { codec: 'VP8' },
  ) {
    // A source codec makes werift offer only that codec (for H264, that profile-level-id) for the
    // transceiver, so the negotiated payload type always matches what the packets contain.
    const { h264ProfileLevelIds } = offeringOnly(video);
    const codec = kind === 'audio' ? useOPUS() : videoFormats(video.codec, h264ProfileLevelIds)[0]!;
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
