import { createActor, fromPromise, type Actor, type InspectionEvent, type SnapshotFrom } from 'xstate';
import type { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import type { PeerSessionEvent } from '../../machines/peerSession.types';
import type { ServerConfig } from '../config';
import { Session } from '../counters/session';
import { errorMessage, type Logger } from '../logger';
import type { AnalyzerSource, PictureSize } from '../media/analyzer';
import type { VideoFrame } from '../media/videoFrame';
import type { Detection, SessionView, StreamSummary } from '../protocol';
import { endDtlsHandshakes } from '../webrtc/dtlsHandshake';
import { createPeerConnection, type PeerConnectionOptions } from '../webrtc/peerConnectionFactory';
import { receivingOptions, type ReceivedVideo } from '../webrtc/receivedVideo';
import { DetectionEvents } from './detectionEvents';
import { EventChannel } from './eventChannel';
import { guardCallback } from './guardCallback';
import { LifecycleTimeline } from './lifecycleTimeline';
import { answerOffer, SessionClosedError } from './negotiation';
import { PeerLiveness } from './peerLiveness';
import { sessionView } from './sessionView';
import { TrackMediaSet } from './trackMedia';

export interface PeerSessionOptions {
  id: string;
  config: ServerConfig;
  logger: Logger;
  analyzer: AnalyzerSource;
  /** The video to receive, in order of preference: the codecs and H264 profiles the decoders decode. */
  receivedVideo: ReceivedVideo;
  /** Removes the session from the server's tracking set (the machine's Cleanup entry). */
  untrack: (session: PeerSession) => void;
  /** Also receives the actor's inspection events (INSPECT=1: the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export type CloseEventType = Extract<
  PeerSessionEvent['type'],
  'CLOSE_REQUESTED' | 'PEER_CLOSED' | 'PEER_FAILED' | 'SHUTDOWN' | 'SESSION_FAILED'
>;

/** Silence after which a peer is presumed gone when its summary is sent. */
const PEER_SILENCE_MS = 1500;

function isClosing(snapshot: SnapshotFrom<typeof peerSessionMachine>): boolean {
  if (snapshot.value === 'Active') return false;
  const { closeReason, tracks } = snapshot.context;
  return closeReason !== null || Object.values(tracks).every((track) => track.status !== 'live');
}

/**
 * One peer connection and everything it owns: the werift connection, the Session counters,
 * the media of its tracks, its event channel and the lifecycle actor. werift callbacks only
 * send events to the actor; the actor decides and calls back into the effects provided here.
 */
export class PeerSession {
  readonly id: string;
  readonly session: Session;
  readonly released: Promise<StreamSummary | null>;
  /** The werift connection; exposed read-only for diagnostics and fault-injection tests. */
  readonly pc: RTCPeerConnection;
  private readonly actor: Actor<typeof peerSessionMachine>;
  private readonly timeline = new LifecycleTimeline('Active');
  private readonly log: Logger;
  private readonly peerOptions: PeerConnectionOptions;
  private readonly media: TrackMediaSet;
  private readonly events: EventChannel;
  private readonly detectionEvents: DetectionEvents;
  private readonly pcSubscriptions: Array<{ unSubscribe: () => void }> = [];
  /** Watches installed once the answer is set; closed with the connection. */
  private liveness: PeerLiveness | null = null;
  private connected = false;
  private connectTimer: NodeJS.Timeout | null = null;
  private releasedAt: number | null = null;
  /** When the session first headed for release: a close trigger, or its last live track ended. */
  private closingStartedAt: number | null = null;

  constructor(private readonly options: PeerSessionOptions) {
    const { id, config } = options;
    this.id = id;
    this.log = options.logger.child({ session_id: id });
    this.session = new Session(id);
    this.peerOptions = {
      iceServers: config.iceServers,
      additionalHostAddresses: config.iceAdditionalHostAddresses,
      interfaceAddress: config.iceInterfaceAddress,
      ...receivingOptions(options.receivedVideo),
    };
    this.pc = createPeerConnection(this.peerOptions);
    this.media = new TrackMediaSet({
      sessionId: id,
      pc: this.pc,
      session: this.session,
      config,
      analyzer: options.analyzer,
      log: this.log,
      added: (trackId, kind) => this.send({ type: 'TRACK_ADDED', trackId, kind }),
      ended: (trackId, reason) => this.send({ type: 'TRACK_ENDED', trackId, reason }),
      detections: (trackId, frame, detections, picture) => this.offerDetections(trackId, frame, detections, picture),
    });
    this.events = new EventChannel(
      this.pc,
      {
        opened: () => this.send({ type: 'DATA_CHANNEL_OPENED' }),
        closed: () => this.send({ type: 'DATA_CHANNEL_CLOSED' }),
        message: (message) => {
          if (message.type === 'end_stream') this.send({ type: 'CLOSE_REQUESTED' });
        },
        ignored: (problem) => {
          this.session.clientMessageIgnored();
          this.log.warn('Ignored data channel message', { problem });
        },
      },
      this.log,
    );
    this.detectionEvents = new DetectionEvents(1000 / config.detectionEventsPerSecond, (event) => {
      if (this.events.send({ event_type: 'detection', session_id: id, ...event })) this.session.detectionEventSent();
    });
    this.actor = createActor(this.provideMachine(), {
      input: { sessionId: id },
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
    const { pc, peerOptions, released, options: { receivedVideo } } = this;
    const answer = await answerOffer({ pc, peerOptions, receivedVideo, released, isActive: () => this.state === 'Active' }, offerSdp);
    // A session closed while the answer was made has closed its connection already: nothing to watch.
    if (this.state === 'Active') this.watchLiveness();
    if (!this.connected && !this.isReleased) {
      this.connectTimer = setTimeout(() => {
        this.log.warn('Peer connection not established in time', { timeout_ms: this.options.config.timeouts.connectTimeout });
        this.send({ type: 'PEER_FAILED' });
      }, this.options.config.timeouts.connectTimeout);
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
    const { context } = this.actor.getSnapshot();
    return sessionView({ state: this.state, context, session: this.session, timeline: this.timeline, releasedAt: this.releasedAt });
  }

  private send(event: PeerSessionEvent): void {
    if (!this.isReleased) this.actor.send(event);
  }

  /** The machine with its effects: each reaches one part of the session. */
  private provideMachine() {
    const { stopTimeout, closeTimeout, emitTimeout, cleanupTimeout } = this.options.config.timeouts;
    return peerSessionMachine.provide({
      delays: { stopTimeout, closeTimeout, emitTimeout, cleanupTimeout },
      actors: {
        stopProcessors: fromPromise(({ input }) => this.media.stop(input.trackIds)),
        closeSession: fromPromise(async ({ input }) => {
          this.detectionEvents.close();
          const closure = this.session.close(input.closeReason, input.tracks);
          this.log.info('session.closed', { ...closure.internal, reason: closure.reason });
          // The summary is made here, at the end of ClosingSession: it counts that state up to now.
          return { ...closure.summary, close_ms_by_state: this.timeline.closeMsByState({ untilNow: true }) };
        }),
        emitSummary: fromPromise(async ({ input, signal }) => {
          if (!input.summary) return;
          // A peer silent for a while (killed, unplugged) will never acknowledge: waiting for
          // it would only delay the release. A live one (browsers may take ~1 s to acknowledge
          // after a quiet spell) gets up to the machine's emitTimeout.
          const waitForAck = (this.liveness?.silentForMs ?? 0) <= PEER_SILENCE_MS;
          await this.events.sendLast(
            { event_type: 'stream_closed', session_id: this.id, reason: input.closeReason, summary: input.summary },
            { waitForAck, signal },
          );
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
        announceSession: () => this.events.send({ event_type: 'session_started', session_id: this.id }),
        untrackSession: () => this.options.untrack(this),
        logPeerConnectionClosed: () => this.log.info(`Peer connection closed, session_id: ${this.id}`),
      },
    });
  }

  /** werift's connection callbacks, turned into events for the actor. */
  private watchPeerConnection(): void {
    const { pc, log } = this;
    this.pcSubscriptions.push(
      pc.onTrack.subscribe((track) => guardCallback(log, 'onTrack', () => this.addTrack(track))),
      pc.onDataChannel.subscribe((channel) => guardCallback(log, 'onDataChannel', () => this.events.adopt(channel))),
      pc.connectionStateChange.subscribe((state) =>
        guardCallback(log, 'connectionStateChange', () => {
          if (state === 'connected') this.onConnected();
          else if (state === 'failed') this.send({ type: 'PEER_FAILED' });
          else if (state === 'closed') this.send({ type: 'PEER_CLOSED' });
        }),
      ),
    );
  }

  private onConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.clearConnectTimer();
    this.media.watchInactivity(() => {
      this.log.warn('No media track arrived after connecting: closing the session');
      this.send({ type: 'SESSION_FAILED' });
    });
  }

  /** The goodbyes werift does not report in time (see PeerLiveness); once, after the answer. */
  private watchLiveness(): void {
    this.liveness ??= new PeerLiveness(this.pc, this.session, this.log, {
      bye: (ssrcs) => {
        for (const trackId of this.media.trackIdsOf(ssrcs)) this.send({ type: 'TRACK_ENDED', trackId, reason: 'rtcp_bye' });
      },
      closed: () => this.send({ type: 'PEER_CLOSED' }),
    });
  }

  private addTrack(track: MediaStreamTrack): void {
    // From ClosingSession on, the counters are final: a late track gets no processor.
    if (['Active', 'TrackEnding', 'StoppingProcessor'].includes(this.state)) this.media.add(track);
  }

  private offerDetections(trackId: string, frame: VideoFrame, detections: Detection[], picture?: PictureSize): void {
    const size = picture ? { frame_width: picture.width, frame_height: picture.height } : {};
    this.detectionEvents.offer({ track_id: trackId, frame_timestamp: frame.rtpTimestamp, detections, ...size });
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  /** Stops whatever media is still running, closes the connection and drops our listeners. */
  private async closeConnection(): Promise<void> {
    this.clearConnectTimer();
    this.detectionEvents.close();
    this.media.stopAll();
    endDtlsHandshakes(this.pc);
    try {
      await this.pc.close();
    } finally {
      for (const subscription of this.pcSubscriptions.splice(0)) subscription.unSubscribe();
      this.liveness?.close();
      this.events.close();
    }
  }
}
