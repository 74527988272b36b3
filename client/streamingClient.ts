import type { RTCDataChannel, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { StreamClosedEvent } from '../src/protocol';
import { isStreamClosedEvent, type ReceivedEvent } from '../src/protocol/eventGuards';
import {
  createPeerConnection,
  type PeerConnectionOptions,
} from '../src/webrtc/peerConnectionFactory';
import { attachInbox, connected, opened, requireNegotiatedCodec, stopTransportsBundledAway } from './connectionSteps';
import { withDeadline } from './deadline';
import {
  OutgoingMedia,
  type AudioFramesOptions,
  type StopOptions,
  type StreamingOptions,
  type VideoFramesOptions,
} from './outgoingMedia';
import { offeringOnly, OutgoingTrack, type MediaKind } from './outgoingTrack';
import { candidatesToOffer, reachableCandidates } from './sdpCandidates';
import { EventInbox } from './serverEvents';
import { postOffer } from './signaling';
import { readVideoFile, type VideoFile } from './videoFile';

export type { AudioFramesOptions, AudioLevel, StopOptions, StreamingOptions, VideoFramesOptions } from './outgoingMedia';

export const EVENTS_CHANNEL_LABEL = 'events';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
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
  private readonly media: OutgoingMedia;
  private isClosed = false;
  private readonly connection: Pick<StreamingClientOptions, 'url' | 'authToken' | 'interfaceAddress'>;

  private constructor(parts: {
    sessionId: string;
    peerConnection: RTCPeerConnection;
    inbox: EventInbox;
    channel: RTCDataChannel | null;
    media: OutgoingMedia;
    connection: Pick<StreamingClientOptions, 'url' | 'authToken' | 'interfaceAddress'>;
  }) {
    this.connection = parts.connection;
    this.sessionId = parts.sessionId;
    this.peerConnection = parts.peerConnection;
    this.inbox = parts.inbox;
    this.channel = parts.channel;
    this.media = parts.media;
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
      // A file's codec (and H264 profile) is the one video format this client can send.
      ...(videoFile ? offeringOnly(videoFile) : {}),
    };
    const pc = createPeerConnection(peerOptions);
    const inbox = new EventInbox();
    const video = offersVideo ? new OutgoingTrack('video', videoFile ?? undefined) : null;
    const audio = (options.audio ?? true) ? new OutgoingTrack('audio') : null;
    for (const outgoing of [video, audio]) {
      if (outgoing) outgoing.transceiver = pc.addTransceiver(outgoing.track, { direction: 'sendonly' });
    }
    const media = new OutgoingMedia(video, audio, videoFile);
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
        await pc.setLocalDescription(offer);
        const gatheredSdp = pc.localDescription?.sdp;
        if (!gatheredSdp) throw new Error('werift produced no local description');
        const localSdp = candidatesToOffer(gatheredSdp, options.interfaceAddress);
        const offeredTransports = [...pc.dtlsTransports];
        stage = `waiting for the answer from ${options.url}/offer`;
        const answer = await postOffer(options.url, localSdp, { authToken: options.authToken, signal });
        stage = 'applying the answer';
        await pc.setRemoteDescription({ type: 'answer', sdp: reachableCandidates(answer.sdp, options.interfaceAddress) });
        if (videoFile && video) requireNegotiatedCodec(video, videoFile);
        await stopTransportsBundledAway(pc, offeredTransports);
        stage = channel ? 'waiting for the connection and the data channel' : 'waiting for the connection';
        await Promise.all([connected(pc), channel ? opened(channel) : Promise.resolve()]);
        return answer.session_id;
      });
      const connection = { url: options.url, authToken: options.authToken, interfaceAddress: options.interfaceAddress };
      return new StreamingClient({ sessionId, peerConnection: pc, inbox, channel, media, connection });
    } catch (error) {
      media.close();
      inbox.end('the connection failed');
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

  /** The video file being streamed, if any. */
  get videoFile(): VideoFile | null {
    return this.media.videoFile;
  }

  /** The video codec the server's answer chose (mimeType, payloadType, fmtp parameters). */
  get videoCodec(): RTCRtpCodecParameters | undefined {
    return this.media.video?.negotiatedCodec();
  }

  get videoFramesSent(): number {
    return this.media.video?.framesSent ?? 0;
  }

  get audioFramesSent(): number {
    return this.media.audio?.framesSent ?? 0;
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
  sendVideoFrames(count: number, options: VideoFramesOptions = {}): Promise<void> {
    return this.media.sendVideoFrames(count, options);
  }

  /** Sends `count` Opus packets (20 ms of audio each) paced `intervalMs` apart. */
  sendAudioFrames(count: number, options: AudioFramesOptions = {}): Promise<void> {
    return this.media.sendAudioFrames(count, options);
  }

  /** Streams every offered, not yet stopped track in the background until stopped or closed. */
  startStreaming(options: StreamingOptions = {}): void {
    this.media.startStreaming(options);
  }

  /**
   * No more video RTP from now on (paced and background sending included). Like libwebrtc,
   * the client then says goodbye with an RTCP BYE for the track's SSRC unless `bye` is false
   * (the server then notices by inactivity).
   */
  stopVideo(options: StopOptions = {}): void {
    this.media.stopTrack('video', options);
  }

  /** No more audio RTP from now on; an RTCP BYE follows unless `bye` is false. */
  stopAudio(options: StopOptions = {}): void {
    this.media.stopTrack('audio', options);
  }

  /**
   * Stops the kind's transceiver and renegotiates (POST /sessions/<id>/offer): its m-line goes
   * to port 0, which the server sees as the track ending.
   */
  async stopTransceiver(kind: MediaKind): Promise<void> {
    this.media.stopTransceiver(kind);
    await this.renegotiate();
  }

  /**
   * Restarts ICE (new credentials, new checks) with a renegotiation, as after a network change:
   * the session, its data channel and its DTLS stay.
   */
  async restartIce(): Promise<void> {
    this.peerConnection.restartIce();
    await this.renegotiate();
  }

  /** A new offer for the live session (POST /sessions/<id>/offer), and its answer applied. */
  private async renegotiate(): Promise<void> {
    const pc = this.peerConnection;
    await pc.setLocalDescription(await pc.createOffer());
    const { url, authToken, interfaceAddress } = this.connection;
    const localSdp = candidatesToOffer(pc.localDescription!.sdp, interfaceAddress);
    const answer = await postOffer(url, localSdp, { authToken }, `/sessions/${encodeURIComponent(this.sessionId)}/offer`);
    await pc.setRemoteDescription({ type: 'answer', sdp: reachableCandidates(answer.sdp, interfaceAddress) });
  }

  /** The first error a background streaming loop hit, if any. */
  get streamingError(): unknown {
    return this.media.streamingError;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.media.close();
    this.inbox.end('the client is closed');
    await this.peerConnection.close();
  }
}
