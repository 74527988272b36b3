import { createActor, fromPromise, type Actor, type InspectionEvent, type SnapshotFrom } from 'xstate';
import type { MediaStreamTrack, RTCDataChannel, RTCPeerConnection } from 'werift';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import type {
  CloseReason,
  PeerSessionEvent,
  StreamSummary,
  TrackEndReason,
  TrackKind,
  TrackRecord,
} from '../../machines/peerSession.types';
import type { ServerConfig } from '../config';
import { errorMessage, type Logger } from '../logger';
import { analyzerForTrack, audioMeterFor, type AnalyzerSource, type Detection, type PictureSize } from '../media/analyzer';
import { AudioProcessor } from '../media/audioProcessor';
import type { VideoFrame } from '../media/videoFrame';
import { InactivityWatch } from '../media/inactivityWatch';
import type { TrackProcessor } from '../media/trackProcessor';
import { VideoProcessor } from '../media/videoProcessor';
import { Session, type SessionCounters } from '../session/session';
import { requestImmediateAcks, waitUntilDelivered } from '../webrtc/dataChannelDelivery';
import { endDtlsHandshakes } from '../webrtc/dtlsHandshake';
import { answerAsDtlsServer } from '../webrtc/dtlsRole';
import { tapInboundPackets, type MediaPacketKind } from '../webrtc/inboundPacketTap';
import { transceiverOf, videoCodecLookup } from '../webrtc/negotiatedCodecs';
import { byeSsrcs } from '../webrtc/rtcpBye';
import { createPeerConnection, setLocalDescriptionQuietly, type PeerConnectionOptions } from '../webrtc/peerConnectionFactory';
import { parseClientMessage } from './clientMessages';
import { DetectionEvents, type DetectionEvent } from './detectionEvents';
import { KeyframeRequests } from './keyframeRequests';
import { LifecycleTimeline, type TimelineEntry } from './lifecycleTimeline';

export interface PeerSessionOptions {
  id: string;
  config: ServerConfig;
  logger: Logger;
  analyzer: AnalyzerSource;
  /** Removes the session from the server's tracking set (the machine's Cleanup entry). */
  untrack: (session: PeerSession) => void;
  /** Also receives the actor's inspection events (INSPECT=1: the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export type CloseEventType = Extract<
  PeerSessionEvent['type'],
  'CLOSE_REQUESTED' | 'PEER_CLOSED' | 'PEER_FAILED' | 'SHUTDOWN' | 'SESSION_FAILED'
>;

export interface TrackView {
  track_id: string;
  kind: TrackKind;
  status: TrackRecord['status'];
  end_reason: TrackEndReason | null;
}

export interface SessionView {
  session_id: string;
  state: string;
  started_at: number;
  ended_at: number | null;
  reason: CloseReason | null;
  data_channel_open: boolean;
  tracks: TrackView[];
  counters: SessionCounters;
  summary: StreamSummary | null;
  /** Effects that failed or timed out while closing (empty when all went well). */
  faults: string[];
  /** The top-level states the actor entered, in order, with epoch-millisecond times. */
  timeline: TimelineEntry[];
  /** Milliseconds spent in each closing state left so far (every one of them once released). */
  close_ms_by_state: Partial<Record<string, number>>;
}

/** Silence after which a peer is presumed gone when its summary is sent. */
const PEER_SILENCE_MS = 1500;

function isClosing(snapshot: SnapshotFrom<typeof peerSessionMachine>): boolean {
  if (snapshot.value === 'Active') return false;
  const { closeReason, tracks } = snapshot.context;
  return closeReason !== null || Object.values(tracks).every((track) => track.status !== 'live');
}

export class SessionClosedError extends Error {
  override name = 'SessionClosedError';
}

interface TrackMedia {
  track: MediaStreamTrack;
  processor: TrackProcessor;
  watch: InactivityWatch | null;
  unsubscribe: () => void;
}

/**
 * One peer connection and everything it owns: the werift connection, the Session counters,
 * a processor per track and the lifecycle actor. werift callbacks only send events to the
 * actor; the actor decides and calls back into the effects provided here.
 */
export class PeerSession {
  readonly id: string;
  readonly session: Session;
  private readonly detectionEvents: DetectionEvents;
  readonly released: Promise<StreamSummary | null>;
  /** The werift connection; exposed read-only for diagnostics and fault-injection tests. */
  readonly pc: RTCPeerConnection;
  private readonly actor: Actor<typeof peerSessionMachine>;
  private readonly timeline = new LifecycleTimeline('Active');
  private readonly log: Logger;
  private readonly peerOptions: PeerConnectionOptions;
  private readonly media = new Map<string, TrackMedia>();
  private readonly pcSubscriptions: Array<{ unSubscribe: () => void }> = [];
  /** Undo functions of the per-transport watches installed once connected. */
  private readonly transportWatches: Array<() => void> = [];
  private dataChannel: RTCDataChannel | null = null;
  private connected = false;
  private connectTimer: NodeJS.Timeout | null = null;
  /** When the peer last sent us anything (media, RTCP, SCTP, STUN): is anyone still there? */
  private lastHeardAt = Date.now();
  private releasedAt: number | null = null;
  /** When the session first headed for release: a close trigger, or its last live track ended. */
  private closingStartedAt: number | null = null;

  constructor(private readonly options: PeerSessionOptions) {
    this.id = options.id;
    this.log = options.logger.child({ session_id: options.id });
    this.session = new Session(options.id);
    this.detectionEvents = new DetectionEvents(1000 / options.config.detectionEventsPerSecond, (event) =>
      this.sendDetectionEvent(event),
    );
    this.peerOptions = {
      iceServers: options.config.iceServers,
      additionalHostAddresses: options.config.iceAdditionalHostAddresses,
      interfaceAddress: options.config.iceInterfaceAddress,
    };
    this.pc = createPeerConnection(this.peerOptions);
    this.actor = createActor(this.provideMachine(), {
      input: { sessionId: options.id },
      inspect: (event) => {
        this.timeline.observe(event, (actorRef) => actorRef === this.actor);
        options.inspect?.(event);
      },
    });
    this.released = new Promise((resolve) => {
      this.actor.subscribe({
        next: (snapshot) => {
          if (this.closingStartedAt === null && isClosing(snapshot)) this.closingStartedAt = Date.now();
        },
        complete: () => {
          this.releasedAt = Date.now();
          resolve(this.actor.getSnapshot().output ?? null);
        },
        error: (error) => {
          // Only a defect in an action gets here; release what the actor could not.
          this.log.error('Session actor failed, releasing its resources', { error: errorMessage(error) });
          this.releasedAt = Date.now();
          this.options.untrack(this);
          void this.closeConnection().catch(() => {}).then(() => resolve(null));
        },
      });
    });
    this.watchPeerConnection();
    this.actor.start();
  }

  /** Top-level state of the lifecycle actor, e.g. "Active" or "Released". */
  get state(): string {
    const value = this.actor.getSnapshot().value;
    return typeof value === 'string' ? value : Object.keys(value)[0] ?? 'unknown';
  }

  /** Seconds from the start of closing to release; null until released. */
  get teardownSeconds(): number | null {
    if (this.releasedAt === null) return null;
    return (this.releasedAt - (this.closingStartedAt ?? this.releasedAt)) / 1000;
  }

  get isReleased(): boolean {
    return this.actor.getSnapshot().status !== 'active';
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  /** Applies the client's offer and returns the answer with all ICE candidates. */
  async negotiate(offerSdp: string): Promise<string> {
    const negotiation = (async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      answerAsDtlsServer(this.pc);
      const answer = await this.pc.createAnswer();
      await setLocalDescriptionQuietly(this.pc, answer, this.peerOptions);
      const sdp = this.pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description after negotiation');
      return sdp;
    })();
    // A close during ICE gathering leaves werift's setLocalDescription pending forever.
    const closedMeanwhile = this.released.then(() => {
      throw new SessionClosedError('session closed during negotiation');
    });
    const answer = await Promise.race([negotiation, closedMeanwhile]).catch((error: unknown) => {
      // werift's own error for a connection closed under it says nothing useful to the client.
      if (this.state !== 'Active') throw new SessionClosedError('session closed during negotiation');
      throw error;
    });
    if (!this.connected && !this.isReleased) {
      this.connectTimer = setTimeout(() => {
        this.log.warn('Peer connection not established in time', { timeout_ms: this.options.config.timeouts.connect });
        this.send({ type: 'PEER_FAILED' });
      }, this.options.config.timeouts.connect);
    }
    return answer;
  }

  /**
   * A new offer on a live session (tracks added, or a transceiver stopped: its m-line comes
   * with port 0 and werift ends the remote track).
   */
  async renegotiate(offerSdp: string): Promise<string> {
    if (!['Active', 'StoppingProcessor'].includes(this.state)) {
      throw new SessionClosedError(`the session is ${this.state}, it takes no new offer`);
    }
    return this.negotiate(offerSdp);
  }

  /** Asks the actor to close (once; later requests join the same closing path). */
  close(event: CloseEventType = 'CLOSE_REQUESTED'): Promise<StreamSummary | null> {
    this.send({ type: event });
    return this.released;
  }

  view(): SessionView {
    const snapshot = this.actor.getSnapshot();
    const { tracks, summary, closeReason, faults, dataChannelOpen } = snapshot.context;
    return {
      session_id: this.id,
      state: this.state,
      started_at: this.session.startTime,
      ended_at: this.releasedAt,
      reason: closeReason,
      data_channel_open: dataChannelOpen,
      tracks: Object.entries(tracks).map(([trackId, track]) => ({
        track_id: trackId,
        kind: track.kind,
        status: track.status,
        end_reason: track.endReason,
      })),
      counters: this.session.counters(),
      summary,
      faults,
      timeline: this.timeline.list(),
      close_ms_by_state: this.timeline.closeMsByState(),
    };
  }

  private send(event: PeerSessionEvent): void {
    if (!this.isReleased) this.actor.send(event);
  }

  private provideMachine() {
    const { timeouts } = this.options.config;
    return peerSessionMachine.provide({
      delays: {
        stopTimeout: timeouts.stopProcessors,
        closeTimeout: timeouts.closeSession,
        emitTimeout: timeouts.emitSummary,
        cleanupTimeout: timeouts.closePeerConnection,
      },
      actors: {
        stopProcessors: fromPromise(async ({ input }) => {
          await Promise.all(input.trackIds.map((trackId) => this.stopTrackMedia(trackId)));
        }),
        closeSession: fromPromise(async ({ input }) => {
          this.detectionEvents.close();
          const closure = this.session.close(input.closeReason, input.tracks);
          this.log.info('session.closed', { ...closure.internal, reason: closure.reason });
          // The summary is made here, at the end of ClosingSession: it counts that state up to now.
          return { ...closure.summary, close_ms_by_state: this.timeline.closeMsByState({ untilNow: true }) };
        }),
        emitSummary: fromPromise(async ({ input, signal }) => {
          const channel = this.dataChannel;
          if (!channel || channel.readyState !== 'open' || !input.summary) return;
          // The last message: its acknowledgement, not the peer's delayed-SACK timer, ends the wait.
          requestImmediateAcks(this.pc.sctpTransport);
          channel.send(
            JSON.stringify({
              event_type: 'stream_closed',
              session_id: this.id,
              reason: input.closeReason,
              summary: input.summary,
            }),
          );
          // A peer silent for a while (killed, unplugged) will never acknowledge: waiting for
          // it would only delay the release. A live one (browsers may take ~1 s to acknowledge
          // after a quiet spell) gets up to the machine's emitTimeout.
          if (Date.now() - this.lastHeardAt > PEER_SILENCE_MS) return;
          await waitUntilDelivered(channel, this.pc.sctpTransport, signal);
        }),
        closePeerConnection: fromPromise(() => this.closeConnection()),
      },
      actions: {
        logTrackEnded: ({ context, event }) => {
          if (event.type === 'TRACK_ENDED') {
            const kind = context.tracks[event.trackId]?.kind;
            this.log.info('Track ended', { track_id: event.trackId, kind, reason: event.reason });
          }
        },
        logCloseRequested: ({ event }) => this.log.info('Session close requested', { event: event.type }),
        logFault: ({ event }, params) => {
          const error = (event as { error?: unknown }).error;
          const details = `${params.effect} ${params.outcome}${error === undefined ? '' : `: ${errorMessage(error)}`}`;
          if (params.effect === 'closePeerConnection') this.log.error(`Error during cleanup: ${details}`);
          else this.log.warn(`Session effect ${details}`);
        },
        announceSession: () => this.sendEvent({ event_type: 'session_started', session_id: this.id }),
        untrackSession: () => this.options.untrack(this),
        logPeerConnectionClosed: () => this.log.info(`Peer connection closed, session_id: ${this.id}`),
      },
    });
  }

  private watchPeerConnection(): void {
    const pc = this.pc;
    this.pcSubscriptions.push(
      pc.onTrack.subscribe((track) => this.guard('onTrack', () => this.addTrack(track))),
      pc.onDataChannel.subscribe((channel) => this.guard('onDataChannel', () => this.adoptDataChannel(channel))),
      pc.connectionStateChange.subscribe((state) =>
        this.guard('connectionStateChange', () => {
          if (state === 'connected') this.onConnected();
          else if (state === 'failed') this.send({ type: 'PEER_FAILED' });
          else if (state === 'closed') this.send({ type: 'PEER_CLOSED' });
        }),
      ),
    );
  }

  /** werift calls us from its own loops: an exception here must not escape into werift. */
  private guard(callback: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      this.log.error('Error in peer connection callback', { callback, error: errorMessage(error) });
    }
  }

  private onConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.clearConnectTimer();
    for (const trackId of this.media.keys()) this.startInactivityWatch(trackId);
    this.watchTransports();
    if (this.media.size === 0) this.expectMediaSoon();
  }

  /**
   * A connection whose offer brought no track it sends (recvonly or inactive m-lines) has
   * nothing to analyse and nothing that would ever end it: give it the inactivity time.
   */
  private expectMediaSoon(): void {
    const { videoInactivityMs, audioInactivityMs } = this.options.config;
    const watch = new InactivityWatch(Math.max(videoInactivityMs, audioInactivityMs), () => {
      if (this.media.size > 0) return;
      this.log.warn('No media track arrived after connecting: closing the session');
      this.send({ type: 'SESSION_FAILED' });
    });
    this.transportWatches.push(() => watch.close());
  }

  /**
   * The ways a peer says goodbye that werift does not turn into a track end or a timely
   * connection state: an RTCP BYE for a track's SSRC, a DTLS close_notify, an SCTP ABORT or
   * SHUTDOWN (a remote pc.close() sends one; werift's connection state only fails ~30 s later).
   */
  private watchTransports(): void {
    for (const transport of this.pc.dtlsTransports) {
      this.transportWatches.push(
        tapInboundPackets(transport, {
          rtcp: (plain) => {
            const ssrcs = byeSsrcs(plain);
            if (ssrcs.length > 0) this.guard('rtcpBye', () => this.onBye(ssrcs));
          },
          rejected: (kind, problem) => this.onBadPacket(kind, problem),
        }),
      );
      const dtls = transport.onStateChange.subscribe((state) => {
        if (state === 'closed') this.send({ type: 'PEER_CLOSED' });
      });
      this.transportWatches.push(() => dtls.unSubscribe());
    }
    for (const iceTransport of this.pc.iceTransports) {
      const heard = iceTransport.connection.onData.subscribe(() => {
        this.lastHeardAt = Date.now();
      });
      this.transportWatches.push(() => heard.unSubscribe());
    }
    const sctp = this.pc.sctpTransport?.sctp;
    if (sctp) {
      const closed = sctp.stateChanged.closed.subscribe(() => this.send({ type: 'PEER_CLOSED' }));
      this.transportWatches.push(() => closed.unSubscribe());
    }
  }

  /** Counted always, logged at 1, 10, 100, ... so a flood of bad packets cannot flood the log. */
  private onBadPacket(kind: MediaPacketKind, problem: string): void {
    const count = this.session.mediaPacketIgnored(kind);
    if (/^10*$/.test(String(count))) {
      this.log.warn(`Ignored bad ${kind.toUpperCase()} packet`, { problem, ignored_so_far: count });
    }
  }

  private onBye(ssrcs: number[]): void {
    for (const [trackId, media] of this.media) {
      if (media.track.ssrc !== undefined && ssrcs.includes(media.track.ssrc)) {
        this.send({ type: 'TRACK_ENDED', trackId, reason: 'rtcp_bye' });
      }
    }
  }

  private addTrack(track: MediaStreamTrack): void {
    // From ClosingSession on, the counters are final: a late track gets no processor.
    if (!['Active', 'TrackEnding', 'StoppingProcessor'].includes(this.state)) return;
    const kind: TrackKind = track.kind === 'audio' ? 'audio' : 'video';
    const trackId = this.uniqueTrackId(track.id || `${kind}-${track.uuid}`);
    const processor: TrackProcessor =
      kind === 'video'
        ? this.videoProcessor(track, trackId)
        : new AudioProcessor(trackId, this.session, audioMeterFor(this.options.analyzer));
    const media: TrackMedia = { track, processor, watch: null, unsubscribe: () => {} };
    const rtp = track.onReceiveRtp.subscribe((packet, extensions) => {
      media.watch?.touch();
      processor.handleRtp(packet, extensions);
    });
    const onEnded = () => this.send({ type: 'TRACK_ENDED', trackId, reason: 'transceiver_stopped' });
    track.addEventListener('ended', onEnded);
    media.unsubscribe = () => {
      rtp.unSubscribe();
      track.removeEventListener('ended', onEnded);
    };
    this.media.set(trackId, media);
    this.send({ type: 'TRACK_ADDED', trackId, kind });
    if (this.connected) this.startInactivityWatch(trackId);
  }

  private videoProcessor(track: MediaStreamTrack, trackId: string): VideoProcessor {
    const { config } = this.options;
    const transceiver = transceiverOf(this.pc, track);
    const keyframes = new KeyframeRequests(config.keyframeRequestIntervalMs, () => {
      if (track.ssrc === undefined || !transceiver) return;
      this.session.keyframeRequested();
      transceiver.receiver.sendRtcpPLI(track.ssrc).catch((error: unknown) => {
        this.log.debug('Keyframe request failed', { track_id: trackId, error: errorMessage(error) });
      });
    });
    return new VideoProcessor({
      trackId,
      session: this.session,
      analyzer: analyzerForTrack(this.options.analyzer, { sessionId: this.id, trackId, requestKeyframe: () => keyframes.request() }),
      codecOf: videoCodecLookup(transceiver),
      bufferSize: config.frameBufferSize,
      bufferPolicy: config.frameBufferPolicy,
      logger: this.log,
      onDetections: (frame, detections, picture) => this.offerDetections(trackId, frame, detections, picture),
    });
  }

  private uniqueTrackId(candidate: string): string {
    let trackId = candidate;
    for (let n = 2; this.media.has(trackId); n++) trackId = `${candidate}-${n}`;
    return trackId;
  }

  private startInactivityWatch(trackId: string): void {
    const media = this.media.get(trackId);
    if (!media || media.watch || media.processor.stopped) return;
    const { videoInactivityMs, audioInactivityMs } = this.options.config;
    const timeout = media.processor.kind === 'audio' ? audioInactivityMs : videoInactivityMs;
    media.watch = new InactivityWatch(timeout, () =>
      this.send({ type: 'TRACK_ENDED', trackId, reason: 'inactivity' }),
    );
  }

  private async stopTrackMedia(trackId: string): Promise<void> {
    const media = this.media.get(trackId);
    if (!media) return;
    media.watch?.close();
    media.unsubscribe();
    await media.processor.stop();
  }

  private adoptDataChannel(channel: RTCDataChannel): void {
    if (this.dataChannel) return;
    this.dataChannel = channel;
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') this.send({ type: 'DATA_CHANNEL_OPENED' });
      else this.send({ type: 'DATA_CHANNEL_CLOSED' });
    });
    channel.onMessage.subscribe((data) => this.guard('onMessage', () => this.onClientMessage(data)));
    if (channel.readyState === 'open') this.send({ type: 'DATA_CHANNEL_OPENED' });
  }

  private onClientMessage(data: string | Buffer): void {
    const message = parseClientMessage(data);
    if (!message.ok) {
      this.session.clientMessageIgnored();
      this.log.warn('Ignored data channel message', { problem: message.problem });
      return;
    }
    if (message.value.type === 'end_stream') this.send({ type: 'CLOSE_REQUESTED' });
  }

  private offerDetections(trackId: string, frame: VideoFrame, detections: Detection[], picture?: PictureSize): void {
    const size = picture ? { frame_width: picture.width, frame_height: picture.height } : {};
    this.detectionEvents.offer({ track_id: trackId, frame_timestamp: frame.rtpTimestamp, detections, ...size });
  }

  private sendDetectionEvent(event: DetectionEvent): void {
    if (this.sendEvent({ event_type: 'detection', session_id: this.id, ...event })) this.session.detectionEventSent();
  }

  /** Whether the event went out on the data channel. */
  private sendEvent(event: object): boolean {
    const channel = this.dataChannel;
    if (!channel || channel.readyState !== 'open') return false;
    try {
      channel.send(JSON.stringify(event));
      return true;
    } catch (error) {
      this.log.warn('Data channel send failed', { error: errorMessage(error) });
      return false;
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  /** Stops whatever media is still running, closes the connection and drops our listeners. */
  private async closeConnection(): Promise<void> {
    this.clearConnectTimer();
    this.detectionEvents.close();
    for (const media of this.media.values()) {
      media.watch?.close();
      media.unsubscribe();
      void media.processor.stop();
    }
    endDtlsHandshakes(this.pc);
    try {
      await this.pc.close();
    } finally {
      for (const subscription of this.pcSubscriptions.splice(0)) subscription.unSubscribe();
      for (const undo of this.transportWatches.splice(0)) undo();
      this.dataChannel?.stateChanged.allUnsubscribe();
      this.dataChannel?.onMessage.allUnsubscribe();
    }
  }
}
