import {
  type RTCDataChannel,
  type RTCPeerConnection,
  type RTCRtpCodecParameters,
  type RtpPacket,
} from 'werift';
import { AUDIO_LEVEL_URI } from '../media/audioLevel';
import { endDtlsHandshakes } from '../webrtc/dtlsHandshake';
import {
  createPeerConnection,
  setLocalDescriptionQuietly,
  type PeerConnectionOptions,
} from '../webrtc/peerConnectionFactory';
import { sendRtcpBye } from '../webrtc/rtcpBye';
import { withDeadline } from './deadline';
import { OutgoingTrack, type MediaKind } from './outgoingTrack';
import type { StreamClosedEvent } from '../protocol';
import { isStreamClosedEvent, type ReceivedEvent } from '../protocol/eventGuards';
import { attachInbox, connected, opened, requireNegotiatedCodec, stopTransportsBundledAway } from './connectionSteps';
import { EventInbox } from './serverEvents';
import { isLoopbackAddress, keepCandidatesOn, keepLoopbackCandidates } from './sdpCandidates';
import { VideoRtpPacketizer } from './rtpPacketizers';
import { postOffer } from './signaling';
import {
  OPUS_FRAME_MS,
  SyntheticOpusSource,
  SyntheticVp8Source,
  videoTimestampStep,
  videoTimestampStepForFps,
} from './syntheticMedia';
import { readVideoFile, type VideoFile } from './videoFile';


export const EVENTS_CHANNEL_LABEL = 'events';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_VIDEO_INTERVAL_MS = 33;
const DEFAULT_PACKETS_PER_FRAME = 3;
const DEFAULT_FPS = 30;
const DEFAULT_EVENT_TIMEOUT_MS = 10_000;

export interface StreamingClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:8080 (the client POSTs to `${url}/offer`). */
  url: string;
  /** Offer a sendonly video track (synthetic VP8 unless `videoFile` is given). Default true. */
  video?: boolean;
  /**
   * Stream this encoded file, looping, instead of synthetic VP8: `.ivf` (VP8) or `.h264`/`.264`
   * (H264 Annex-B, constrained baseline, packetization-mode 1). Only the file's codec is offered.
   */
  videoFile?: string;
  /** Offer a sendonly Opus audio track. Default true. */
  audio?: boolean;
  /** Open the `events` data channel before the offer. Default true. */
  dataChannel?: boolean;
  /**
   * Bind ICE to this local address and offer candidates on it only (tests use 127.0.0.1).
   * Bound to loopback, the client also ignores the answer's non-loopback candidates.
   */
  interfaceAddress?: string;
  /** Bearer token for servers with AUTH_TOKEN configured. */
  authToken?: string;
  /** Offer to connected (and data channel open). Default 10 s. */
  connectTimeoutMs?: number;
}

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

/**
 * A werift peer that streams video (synthetic VP8, or the VP8/H264 frames of a video file)
 * and synthetic Opus audio to the ingest server and records the events the server sends on
 * the data channel. Both a user tool (cli.ts) and the driver of integration tests.
 */
export class StreamingClient {
  readonly sessionId: string;
  readonly peerConnection: RTCPeerConnection;
  private readonly inbox: EventInbox;
  private readonly channel: RTCDataChannel | null;
  private readonly video: OutgoingTrack | null;
  private readonly audio: OutgoingTrack | null;
  private readonly videoSource: VideoSource;
  /** The video file being streamed, if any. */
  readonly videoFile: VideoFile | null;
  private readonly audioSource: SyntheticOpusSource;
  private isClosed = false;
  private readonly connection: Pick<StreamingClientOptions, 'url' | 'authToken' | 'interfaceAddress'>;

  private constructor(parts: {
    sessionId: string;
    peerConnection: RTCPeerConnection;
    inbox: EventInbox;
    channel: RTCDataChannel | null;
    video: OutgoingTrack | null;
    audio: OutgoingTrack | null;
    videoFile: VideoFile | null;
    connection: Pick<StreamingClientOptions, 'url' | 'authToken' | 'interfaceAddress'>;
  }) {
    this.connection = parts.connection;
    this.sessionId = parts.sessionId;
    this.peerConnection = parts.peerConnection;
    this.inbox = parts.inbox;
    this.channel = parts.channel;
    this.video = parts.video;
    this.audio = parts.audio;
    this.videoFile = parts.videoFile;
    const videoPayloadType = (): number => this.video?.payloadType() ?? 0;
    this.videoSource = parts.videoFile
      ? new FileVideoSource(parts.videoFile, videoPayloadType)
      : new SyntheticVp8Source(videoPayloadType);
    this.audioSource = new SyntheticOpusSource(() => this.audio?.payloadType() ?? 0);
  }

  static async connect(options: StreamingClientOptions): Promise<StreamingClient> {
    const offersVideo = options.video ?? true;
    if (options.videoFile !== undefined && !offersVideo) {
      throw new Error('A video file was given but video is off');
    }
    // Read before anything opens: a bad file fails here with nothing to clean up.
    const videoFile = options.videoFile !== undefined ? readVideoFile(options.videoFile) : null;
    const peerOptions: PeerConnectionOptions = {
      iceServers: [],
      additionalHostAddresses: ['127.0.0.1'],
      ...(options.interfaceAddress ? { interfaceAddress: options.interfaceAddress } : {}),
    };
    const pc = createPeerConnection(peerOptions);
    const inbox = new EventInbox();
    const video = offersVideo ? new OutgoingTrack('video', videoFile?.codec) : null;
    const audio = (options.audio ?? true) ? new OutgoingTrack('audio') : null;
    for (const outgoing of [video, audio]) {
      if (outgoing) outgoing.transceiver = pc.addTransceiver(outgoing.track, { direction: 'sendonly' });
    }
    const channel = (options.dataChannel ?? true) ? pc.createDataChannel(EVENTS_CHANNEL_LABEL) : null;
    if (channel) attachInbox(channel, inbox);
    else inbox.end('the client opened no data channel');

    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let stage = 'creating the offer';
    const timeoutMessage = (): string =>
      `Could not connect to ${options.url} within ${timeoutMs} ms (while ${stage}; ` +
      `connection ${pc.connectionState}, data channel ${channel?.readyState ?? 'none'})`;

    try {
      const sessionId = await withDeadline(timeoutMs, timeoutMessage, async (signal) => {
        const offer = await pc.createOffer();
        stage = 'gathering ICE candidates';
        await setLocalDescriptionQuietly(pc, offer, peerOptions);
        const gatheredSdp = pc.localDescription?.sdp;
        if (!gatheredSdp) throw new Error('werift produced no local description');
        const localSdp = options.interfaceAddress
          ? keepCandidatesOn(gatheredSdp, options.interfaceAddress)
          : gatheredSdp;
        const offeredTransports = [...pc.dtlsTransports];
        stage = `waiting for the answer from ${options.url}/offer`;
        const answer = await postOffer(options.url, localSdp, { authToken: options.authToken, signal });
        stage = 'applying the answer';
        const boundToLoopback = options.interfaceAddress !== undefined && isLoopbackAddress(options.interfaceAddress);
        const remoteSdp = boundToLoopback ? keepLoopbackCandidates(answer.sdp) : answer.sdp;
        await pc.setRemoteDescription({ type: 'answer', sdp: remoteSdp });
        if (videoFile && video) requireNegotiatedCodec(video, videoFile);
        await stopTransportsBundledAway(pc, offeredTransports);
        stage = channel ? 'waiting for the connection and the data channel' : 'waiting for the connection';
        await Promise.all([connected(pc), channel ? opened(channel) : Promise.resolve()]);
        return answer.session_id;
      });
      const connection = { url: options.url, authToken: options.authToken, interfaceAddress: options.interfaceAddress };
      return new StreamingClient({ sessionId, peerConnection: pc, inbox, channel, video, audio, videoFile, connection });
    } catch (error) {
      video?.stop();
      audio?.stop();
      inbox.end('the connection failed');
      endDtlsHandshakes(pc);
      await pc.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Every event received on the data channel so far, parsed, in arrival order. */
  get events(): readonly ReceivedEvent[] {
    return this.inbox.events;
  }

  /** The video codec the server's answer chose (mimeType, payloadType, fmtp parameters). */
  get videoCodec(): RTCRtpCodecParameters | undefined {
    return this.video?.negotiatedCodec();
  }

  get videoFramesSent(): number {
    return this.video?.framesSent ?? 0;
  }

  get audioFramesSent(): number {
    return this.audio?.framesSent ?? 0;
  }

  /** Calls `listener` for each event that arrives from now on; returns the unsubscribe function. */
  onEvent(listener: (event: ReceivedEvent) => void): () => void {
    return this.inbox.subscribe(listener);
  }

  /**
   * The first event of this type, received already or within `timeoutMs`. Rejects at once
   * when no more events can come (data channel closed, client closed).
   */
  waitForEvent(eventType: string, timeoutMs = DEFAULT_EVENT_TIMEOUT_MS): Promise<ReceivedEvent> {
    return this.inbox.waitFor(eventType, timeoutMs);
  }

  async waitForStreamClosed(timeoutMs = DEFAULT_EVENT_TIMEOUT_MS): Promise<StreamClosedEvent> {
    const event = await this.inbox.waitFor('stream_closed', timeoutMs);
    if (!isStreamClosedEvent(event)) {
      throw new Error(`Malformed stream_closed event: ${JSON.stringify(event)}`);
    }
    return event;
  }

  /** Sends a JSON message to the server on the data channel (e.g. `{ type: 'end_stream' }`). */
  sendMessage(message: object | string): void {
    if (!this.channel || this.channel.readyState !== 'open') {
      throw new Error(`Cannot send: the data channel is ${this.channel?.readyState ?? 'not opened'}`);
    }
    this.channel.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Closes the data channel and leaves the media running. Waits for events fail at once from
   * now on; a message the server still sends is recorded in `events` all the same.
   */
  closeDataChannel(): void {
    if (!this.channel) return;
    this.inbox.end('the client closed the data channel');
    if (this.channel.readyState === 'open' || this.channel.readyState === 'connecting') this.channel.close();
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

  /**
   * No more video RTP from now on (paced and background sending included). Like libwebrtc,
   * the client then says goodbye with an RTCP BYE for the track's SSRC unless `bye` is false
   * (the server then notices by inactivity).
   */
  stopVideo(options: StopOptions = {}): void {
    this.stopTrack(this.video, options);
  }

  /** No more audio RTP from now on; an RTCP BYE follows unless `bye` is false. */
  stopAudio(options: StopOptions = {}): void {
    this.stopTrack(this.audio, options);
  }

  /**
   * Stops the kind's transceiver and renegotiates (POST /sessions/<id>/offer): its m-line goes
   * to port 0, which the server sees as the track ending.
   */
  async stopTransceiver(kind: MediaKind): Promise<void> {
    const outgoing = this.requireTrack(kind === 'video' ? this.video : this.audio, kind);
    outgoing.stop();
    outgoing.transceiver?.stop();
    const pc = this.peerConnection;
    await pc.setLocalDescription(await pc.createOffer());
    const { url, authToken, interfaceAddress } = this.connection;
    const localSdp = interfaceAddress ? keepCandidatesOn(pc.localDescription!.sdp, interfaceAddress) : pc.localDescription!.sdp;
    const answer = await postOffer(url, localSdp, { authToken }, `/sessions/${encodeURIComponent(this.sessionId)}/offer`);
    const boundToLoopback = interfaceAddress !== undefined && isLoopbackAddress(interfaceAddress);
    await pc.setRemoteDescription({ type: 'answer', sdp: boundToLoopback ? keepLoopbackCandidates(answer.sdp) : answer.sdp });
  }

  private stopTrack(outgoing: OutgoingTrack | null, { bye = true }: StopOptions): void {
    if (!outgoing || outgoing.stopped) return;
    outgoing.stop();
    const transceiver = outgoing.transceiver;
    if (bye && transceiver && !this.isClosed) {
      sendRtcpBye(transceiver.dtlsTransport, [transceiver.sender.ssrc]).catch(() => {});
    }
  }

  /** The first error a background streaming loop hit, if any. */
  get streamingError(): unknown {
    return this.video?.streamingError ?? this.audio?.streamingError ?? null;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.video?.stop();
    this.audio?.stop();
    this.inbox.end('the client is closed');
    endDtlsHandshakes(this.peerConnection);
    await this.peerConnection.close();
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
