/**
 * What the client sends on its tracks: video frames (synthetic VP8, or the frames of a video
 * file) and Opus packets, paced for a number of frames or streamed in the background, and the
 * stopping of each track (with an RTCP BYE, like libwebrtc).
 */
import type { RtpPacket } from 'werift';
import { AUDIO_LEVEL_URI } from '../src/media/audioLevel';
import { sendRtcpBye } from '../src/webrtc/rtcpBye';
import type { MediaKind, OutgoingTrack } from './outgoingTrack';
import { VideoRtpPacketizer } from './rtpPacketizers';
import {
  OPUS_FRAME_MS,
  SyntheticOpusSource,
  SyntheticVp8Source,
  videoTimestampStep,
  videoTimestampStepForFps,
} from './syntheticMedia';
import type { VideoFile } from './videoFile';

const DEFAULT_VIDEO_INTERVAL_MS = 33;
const DEFAULT_PACKETS_PER_FRAME = 3;
const DEFAULT_FPS = 30;

export interface VideoFramesOptions {
  /** Time between frames; 0 sends them back to back. Default 33 ms, or the video file's frame interval. */
  intervalMs?: number;
  /** RTP packets per synthetic frame (~1000 payload bytes each). Default 3. File frames take what they need. */
  packetsPerFrame?: number;
  /** Frames (0-based within this call) packetized but not sent, as if lost on the network. */
  loseFrames?: number[];
}

export interface AudioFramesOptions {
  /** Time between packets; each carries 20 ms of audio whatever the pacing. Default 20 ms. */
  intervalMs?: number;
  /** The RFC 6464 audio level the packets announce. Default: silence (-127 dBov, no voice). */
  level?: AudioLevel;
  /** Opus packets (20 ms each) to send, looping, instead of the silence frame. */
  opusPackets?: readonly Buffer[];
}

export interface AudioLevel {
  /** 0 (loudest) to -127. */
  dbov: number;
  voice: boolean;
}

const SILENCE: AudioLevel = { dbov: -127, voice: false };

export interface StopOptions {
  /** Send an RTCP BYE after the last packet. Default true. */
  bye?: boolean;
}

export interface StreamingOptions {
  /** Video frame rate. Default 30, or the video file's. Audio always runs at one packet per 20 ms. */
  fps?: number;
  packetsPerFrame?: number;
}

/** Where video frames come from: each call returns the RTP packets of the next frame. */
interface VideoSource {
  nextFrame(packetsPerFrame: number, timestampStep: number): RtpPacket[];
}

/** The frames of a video file, packetized for its codec, from the first again after the last. */
class FileVideoSource implements VideoSource {
  private readonly packetizer: VideoRtpPacketizer;
  private next = 0;

  constructor(
    private readonly file: VideoFile,
    payloadType: () => number,
  ) {
    this.packetizer = new VideoRtpPacketizer(file.codec, payloadType);
  }

  nextFrame(_packetsPerFrame: number, timestampStep: number): RtpPacket[] {
    const frame = this.file.frames[this.next]!;
    this.next = (this.next + 1) % this.file.frames.length;
    return this.packetizer.packetize(frame.data, timestampStep);
  }
}

/** The client's outgoing video and audio tracks (either may be absent) and what is written into them. */
export class OutgoingMedia {
  private readonly videoSource: VideoSource;
  private readonly audioSource: SyntheticOpusSource;
  private isClosed = false;

  constructor(
    readonly video: OutgoingTrack | null,
    readonly audio: OutgoingTrack | null,
    /** The video file being streamed, if any. */
    readonly videoFile: VideoFile | null,
  ) {
    const videoPayloadType = (): number => this.video?.payloadType() ?? 0;
    this.videoSource = videoFile
      ? new FileVideoSource(videoFile, videoPayloadType)
      : new SyntheticVp8Source(videoPayloadType);
    this.audioSource = new SyntheticOpusSource(() => this.audio?.payloadType() ?? 0);
  }

  /** Sends `count` video frames paced `intervalMs` apart; resolves once the last one is sent. */
  async sendVideoFrames(count: number, options: VideoFramesOptions = {}): Promise<void> {
    const video = this.requireTrack(this.video, 'video');
    const intervalMs = options.intervalMs ?? (this.videoFile ? 1000 / this.videoFile.fps : DEFAULT_VIDEO_INTERVAL_MS);
    const packetsPerFrame = options.packetsPerFrame ?? DEFAULT_PACKETS_PER_FRAME;
    const timestampStep = videoTimestampStep(intervalMs);
    const lost = new Set(options.loseFrames ?? []);
    let index = 0;
    await video.run(intervalMs, count, () => this.writeVideoFrame(packetsPerFrame, timestampStep, !lost.has(index++))).done;
  }

  /** Sends `count` Opus packets (20 ms of audio each) paced `intervalMs` apart. */
  async sendAudioFrames(count: number, options: AudioFramesOptions = {}): Promise<void> {
    const audio = this.requireTrack(this.audio, 'audio');
    let index = 0;
    const payload = () => (options.opusPackets?.length ? options.opusPackets[index++ % options.opusPackets.length] : undefined);
    await audio.run(options.intervalMs ?? OPUS_FRAME_MS, count, () => this.writeAudioFrame(options.level, payload())).done;
  }

  /** Streams every offered, not yet stopped track in the background until stopped or closed. */
  startStreaming(options: StreamingOptions = {}): void {
    const fps = options.fps ?? this.videoFile?.fps ?? DEFAULT_FPS;
    if (!(fps > 0)) throw new Error(`fps must be > 0, got ${fps}`);
    const packetsPerFrame = options.packetsPerFrame ?? DEFAULT_PACKETS_PER_FRAME;
    const timestampStep = videoTimestampStepForFps(fps);
    this.startBackground(this.video, 1000 / fps, () => this.writeVideoFrame(packetsPerFrame, timestampStep));
    this.startBackground(this.audio, OPUS_FRAME_MS, () => this.writeAudioFrame());
  }

  /** No more RTP on the kind's track from now on; an RTCP BYE follows unless `bye` is false or the media is closed. */
  stopTrack(kind: MediaKind, { bye = true }: StopOptions): void {
    const outgoing = kind === 'video' ? this.video : this.audio;
    if (!outgoing || outgoing.stopped) return;
    outgoing.stop();
    const transceiver = outgoing.transceiver;
    if (bye && transceiver && !this.isClosed) {
      sendRtcpBye(transceiver.dtlsTransport, [transceiver.sender.ssrc]).catch(() => {});
    }
  }

  /** Stops the kind's track and its transceiver; the caller renegotiates. */
  stopTransceiver(kind: MediaKind): void {
    const outgoing = this.requireTrack(kind === 'video' ? this.video : this.audio, kind);
    outgoing.stop();
    outgoing.transceiver?.stop();
  }

  /** The first error a background streaming loop hit, if any. */
  get streamingError(): unknown {
    return this.video?.streamingError ?? this.audio?.streamingError ?? null;
  }

  /** Stops both tracks; sending fails from now on. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.video?.stop();
    this.audio?.stop();
  }

  private requireTrack(outgoing: OutgoingTrack | null, kind: MediaKind): OutgoingTrack {
    if (this.isClosed) throw new Error('The client is closed');
    if (!outgoing) throw new Error(`The client was connected without ${kind}`);
    return outgoing;
  }

  private startBackground(outgoing: OutgoingTrack | null, intervalMs: number, sendFrame: () => void): void {
    if (this.isClosed) throw new Error('The client is closed');
    if (!outgoing || outgoing.stopped || outgoing.streaming) return;
    const loop = outgoing.run(intervalMs, Number.POSITIVE_INFINITY, sendFrame);
    outgoing.streaming = loop;
    loop.done.catch((error: unknown) => {
      outgoing.streamingError ??= error;
    });
  }

  private writeVideoFrame(packetsPerFrame: number, timestampStep: number, send = true): void {
    const video = this.video;
    if (!video) return;
    const packets = this.videoSource.nextFrame(packetsPerFrame, timestampStep);
    if (send) for (const packet of packets) video.track.writeRtp(packet);
  }

  /** One Opus packet, with an RFC 6464 audio level when the server negotiated the extension. */
  private writeAudioFrame(level: AudioLevel = SILENCE, payload?: Buffer): void {
    const audio = this.audio;
    if (!audio) return;
    const packet = this.audioSource.nextFrame(payload);
    const id = audio.transceiver?.headerExtensions.find((extension) => extension.uri === AUDIO_LEVEL_URI)?.id;
    if (id !== undefined) {
      const minusDbov = Math.min(127, Math.max(0, Math.round(-level.dbov)));
      packet.header.extensions.push({ id, payload: Buffer.from([(level.voice ? 0x80 : 0) | minusDbov]) });
    }
    audio.track.writeRtp(packet);
  }
}
