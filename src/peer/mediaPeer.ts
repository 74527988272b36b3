import type { MediaStreamTrack, RTCPeerConnection } from 'werift';
import type { PeerSessionEvent, TrackRecord } from '../../machines/peerSession.types';
import type { ServerConfig } from '../config';
import { Session } from '../counters/session';
import type { CountersSummary, SummarySoFar } from '../counters/summary';
import type { Logger } from '../logger';
import type { AnalyzerSource, PictureSize } from '../media/analyzer';
import type { VideoFrame } from '../media/videoFrame';
import type { CloseReason, Detection, SessionCounters, StreamClosedEvent } from '../protocol';
import { createPeerConnection, transportsClosed, type PeerConnectionOptions } from '../webrtc/peerConnectionFactory';
import { receivingOptions, type ReceivedVideo } from '../webrtc/receivedVideo';
import { unansweredRemoteAddresses } from '../webrtc/unansweredChecks';
import { CandidateIntake } from './candidateIntake';
import { DetectionEvents, type DetectionEvent } from './detectionEvents';
import { EventChannel } from './eventChannel';
import { guardCallback } from './guardCallback';
import { FingerprintPin } from './fingerprintPin';
import { IceUpdates, type IceUpdateResult } from './iceUpdates';
import { answerOffer } from './negotiation';
import { PeerLiveness } from './peerLiveness';
import type { PeerMediaLink } from './peerMediaLink';
import { TrackMediaSet } from './trackMedia';

/** The slices of the configuration a session's connection uses, wherever it lives (a media worker gets only these). */
export type MediaPeerSettings = Pick<ServerConfig, 'peer' | 'ice' | 'limits'>;

export interface MediaPeerOptions {
  id: string;
  /** When the session began (its summary's start_time), as the side that owns its actor saw it. */
  startTime: number;
  settings: MediaPeerSettings;
  /** Already bound to the session (its entries carry session_id). */
  log: Logger;
  analyzer: AnalyzerSource;
  /** The video to receive, in order of preference: the codecs and H264 profiles the decoders decode. */
  receivedVideo: ReceivedVideo;
  /** Where werift's callbacks go, as events for the session's actor. */
  emit(event: PeerSessionEvent): void;
}

/** Silence after which a peer is presumed gone when its summary is sent. */
const PEER_SILENCE_MS = 1500;

/**
 * The media side of one session: its werift connection, counters, the media of its tracks, its
 * event channel and liveness watches. It lives where its connection's packets are handled (the
 * main thread, or a media worker) and does what the session's actor asks (PeerMediaLink);
 * werift callbacks only become events for the actor.
 */
export class MediaPeer implements PeerMediaLink {
  readonly location = 'main';
  readonly pc: RTCPeerConnection;
  readonly session: Session;
  private readonly peerOptions: PeerConnectionOptions;
  private readonly media: TrackMediaSet;
  private readonly events: EventChannel;
  private readonly detectionEvents: DetectionEvents;
  private readonly ice: IceUpdates;
  /** Every remote candidate of the session passes here (MAX_REMOTE_CANDIDATES, refused addresses). */
  private readonly candidates: CandidateIntake;
  /** The first offer's DTLS fingerprints: no later offer brings another certificate. */
  private readonly fingerprints: FingerprintPin;
  /** The client's last offer as applied: an ICE restart is applied as this offer with new ICE. */
  private lastOffer: string | null = null;
  private readonly pcSubscriptions: Array<{ unSubscribe: () => void }> = [];
  /** Watches installed once the answer is set; closed with the connection. */
  private liveness: PeerLiveness | null = null;
  private connected = false;
  private connectTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** session_started went out: the other events may follow it (API.md: it comes first). */
  private announced = false;
  /** The newest detection event offered before the announcement, sent right after it. */
  private heldDetection: DetectionEvent | null = null;

  constructor(private readonly options: MediaPeerOptions) {
    const { id, log, emit } = options;
    const { peer, ice, limits } = options.settings;
    this.session = new Session(id, Date.now, options.startTime);
    this.peerOptions = {
      iceServers: ice.iceServers,
      additionalHostAddresses: ice.iceAdditionalHostAddresses,
      interfaceAddress: ice.iceInterfaceAddress,
      portRange: ice.icePortRange,
      maxMessageSize: limits.maxClientMessageBytes,
      ...receivingOptions(options.receivedVideo),
    };
    this.pc = createPeerConnection(this.peerOptions);
    this.media = new TrackMediaSet({
      sessionId: id,
      pc: this.pc,
      session: this.session,
      peer,
      limits,
      analyzer: options.analyzer,
      log,
      added: (trackId, kind) => emit({ type: 'TRACK_ADDED', trackId, kind }),
      ended: (trackId, reason) => emit({ type: 'TRACK_ENDED', trackId, reason }),
      detections: (trackId, frame, detections, picture) => this.offerDetections(trackId, frame, detections, picture),
      peerSilentForMs: () => this.liveness?.silentForMs ?? 0,
    });
    this.events = new EventChannel(
      this.pc,
      {
        opened: () => emit({ type: 'DATA_CHANNEL_OPENED' }),
        closed: () => emit({ type: 'DATA_CHANNEL_CLOSED' }),
        message: (message) => {
          if (message.type === 'end_stream') emit({ type: 'CLOSE_REQUESTED' });
        },
        ignored: () => this.session.clientMessageIgnored(),
      },
      log,
      limits,
    );
    this.detectionEvents = new DetectionEvents(1000 / peer.detectionEventsPerSecond, (event) => this.sendDetection(event));
    this.fingerprints = new FingerprintPin(log);
    this.candidates = new CandidateIntake(limits.maxRemoteCandidates, log, () => unansweredRemoteAddresses(this.pc));
    this.ice = new IceUpdates({ pc: this.pc, lastOffer: () => this.lastOffer, negotiate: (offerSdp) => this.negotiate(offerSdp), candidates: this.candidates, log });
    this.watchPeerConnection();
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  counters(): SessionCounters {
    return this.session.counters();
  }

  /** Applies the client's offer and returns the answer with all ICE candidates. */
  async negotiate(offerSdp: string): Promise<string> {
    const { pc, peerOptions, options } = this;
    const answer = await answerOffer({ pc, peerOptions, receivedVideo: options.receivedVideo, candidates: this.candidates, fingerprints: this.fingerprints }, offerSdp);
    this.lastOffer = offerSdp;
    // A session closed while the answer was made has closed its connection already: nothing to watch.
    if (this.closing) return answer;
    this.watchLiveness();
    if (!this.connected && !this.connectTimer) {
      const timeout = options.settings.peer.connectTimeout;
      this.connectTimer = setTimeout(() => {
        options.log.warn('Peer connection not established in time', { timeout_ms: timeout });
        options.emit({ type: 'PEER_FAILED' });
      }, timeout);
    }
    return answer;
  }

  updateIce(fragment: string, ifMatch: string): Promise<IceUpdateResult> {
    return this.ice.apply(fragment, ifMatch);
  }

  /**
   * The actor's answer to the data channel opening while the session is Active: tells the client
   * its session began. With the connection in a media worker this comes back a moment after the
   * channel opened, and detections may be ready before it: the newest of them waits for it.
   */
  announce(): void {
    if (!this.events.send({ event_type: 'session_started', session_id: this.options.id })) return;
    this.announced = true;
    const held = this.heldDetection;
    this.heldDetection = null;
    if (held) this.sendDetection(held);
  }

  stopProcessors(trackIds: string[]): Promise<void> {
    return this.media.stop(trackIds);
  }

  /** Freezes the counters and returns what they know of the summary. */
  async freezeCounters(closeReason: CloseReason, tracks: Record<string, TrackRecord>): Promise<CountersSummary> {
    this.detectionEvents.close();
    const closure = this.session.close(closeReason, tracks);
    this.options.log.info('session.closed', { ...closure.internal, reason: closure.reason });
    return closure.summary;
  }

  summarySoFar(): SummarySoFar {
    return this.session.summarySoFar();
  }

  /**
   * Sends `stream_closed`. A peer silent for a while (killed, unplugged) will never acknowledge:
   * waiting for it would only delay the release. A live one (browsers may take ~1 s to
   * acknowledge after a quiet spell) is waited for until `signal` (the machine's emitTimeout).
   */
  async emitSummary(event: StreamClosedEvent, signal: AbortSignal): Promise<void> {
    const waitForAck = (this.liveness?.silentForMs ?? 0) <= PEER_SILENCE_MS;
    await this.events.sendLast(event, { waitForAck, signal });
  }

  /** Stops whatever media is still running, closes the connection and drops our listeners. Idempotent. */
  closeConnection(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  async transportsClosed(): Promise<boolean> {
    return transportsClosed(this.pc);
  }

  private async closeOnce(): Promise<void> {
    this.clearConnectTimer();
    this.detectionEvents.close();
    this.media.stopAll();
    try {
      await this.pc.close();
    } finally {
      for (const subscription of this.pcSubscriptions.splice(0)) subscription.unSubscribe();
      this.liveness?.close();
      this.events.close();
    }
  }

  /** werift's connection callbacks, turned into events for the actor. */
  private watchPeerConnection(): void {
    const { pc, options: { log, emit } } = this;
    this.pcSubscriptions.push(
      pc.onTrack.subscribe((track) => guardCallback(log, 'onTrack', () => this.addTrack(track))),
      pc.onDataChannel.subscribe((channel) => guardCallback(log, 'onDataChannel', () => this.events.adopt(channel))),
      pc.connectionStateChange.subscribe((state) =>
        guardCallback(log, 'connectionStateChange', () => {
          if (state === 'connected') this.onConnected();
          else if (state === 'failed') emit({ type: 'PEER_FAILED' });
          else if (state === 'closed') emit({ type: 'PEER_CLOSED' });
        }),
      ),
    );
  }

  private onConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.clearConnectTimer();
    this.media.watchInactivity(() => {
      this.options.log.warn('No media track arrived after connecting: closing the session');
      this.options.emit({ type: 'SESSION_FAILED' });
    });
  }

  /** The goodbyes werift does not report in time (see PeerLiveness); once, after the answer. */
  private watchLiveness(): void {
    const { emit, log } = this.options;
    this.liveness ??= new PeerLiveness(this.pc, this.session, log, {
      bye: (ssrcs) => {
        for (const trackId of this.media.trackIdsOf(ssrcs)) emit({ type: 'TRACK_ENDED', trackId, reason: 'rtcp_bye' });
      },
      closed: () => emit({ type: 'PEER_CLOSED' }),
    });
  }

  private addTrack(track: MediaStreamTrack): void {
    // Once the session is closing its counters are final (ClosingSession has frozen them, or the
    // connection is closing): a late track gets no processor.
    if (!this.session.closed && !this.closing) this.media.add(track);
  }

  private sendDetection(event: DetectionEvent): void {
    if (!this.announced) {
      this.heldDetection = event;
      return;
    }
    if (this.events.send({ event_type: 'detection', session_id: this.options.id, ...event })) this.session.detectionEventSent();
  }

  private offerDetections(trackId: string, frame: VideoFrame, detections: Detection[], picture?: PictureSize): void {
    const size = picture ? { frame_width: picture.width, frame_height: picture.height } : {};
    this.detectionEvents.offer({ track_id: trackId, frame_timestamp: frame.rtpTimestamp, detections, ...size });
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
