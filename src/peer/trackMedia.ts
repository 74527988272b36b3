import type { MediaStreamTrack, RTCPeerConnection } from 'werift';
import type { InputLimits, PeerSettings } from '../config';
import type { Session } from '../counters/session';
import { LogBudget } from '../limits/logBudget';
import { errorMessage, type Logger } from '../logger';
import { analyzerForTrack, audioMeterFor, type AnalyzerSource, type PictureSize } from '../media/analyzer';
import { AudioProcessor } from '../media/audioProcessor';
import { InactivityWatch } from '../media/inactivityWatch';
import type { TrackProcessor } from '../media/trackProcessor';
import type { VideoFrame } from '../media/videoFrame';
import { VideoProcessor } from '../media/videoProcessor';
import type { Detection, TrackEndReason, TrackKind } from '../protocol';
import { transceiverOf, videoCodecLookup } from '../webrtc/negotiatedCodecs';
import { KeyframeRequests } from './keyframeRequests';

export interface TrackMediaOptions {
  sessionId: string;
  pc: RTCPeerConnection;
  session: Session;
  peer: PeerSettings;
  limits: InputLimits;
  analyzer: AnalyzerSource;
  log: Logger;
  /** A track was added under this id. */
  added(trackId: string, kind: TrackKind): void;
  /** A track was seen to end: werift's "ended", or no RTP for the inactivity time. */
  ended(trackId: string, reason: TrackEndReason): void;
  detections(trackId: string, frame: VideoFrame, detections: Detection[], picture?: PictureSize): void;
  /** Milliseconds since the peer last sent anything at all (media, RTCP, STUN, SCTP). */
  peerSilentForMs(): number;
  /** The session's budget of warnings its peer can trigger; default: one for this set's tracks. */
  logBudget?: LogBudget;
}

interface TrackMedia {
  track: MediaStreamTrack;
  processor: TrackProcessor;
  watch: InactivityWatch | null;
  unsubscribe: () => void;
}

/**
 * The media of a session's tracks: a processor per track fed with its RTP, and an inactivity
 * watch per track once the peer is connected. Adds tracks, stops some (the machine's
 * stopProcessors) or all (cleanup).
 */
export class TrackMediaSet {
  private readonly media = new Map<string, TrackMedia>();
  private watching = false;
  /** Fires when no track arrived within the inactivity time after connecting. */
  private firstTrackWatch: InactivityWatch | null = null;
  private readonly logBudget: LogBudget;

  constructor(private readonly options: TrackMediaOptions) {
    this.logBudget = options.logBudget ?? new LogBudget();
  }

  get size(): number {
    return this.media.size;
  }

  /** Builds the track's processor and starts feeding it; returns the session's id for the track. */
  add(track: MediaStreamTrack): string {
    const kind: TrackKind = track.kind === 'audio' ? 'audio' : 'video';
    const trackId = this.uniqueTrackId(track.id || `${kind}-${track.uuid}`);
    const { session, analyzer } = this.options;
    const processor: TrackProcessor =
      kind === 'video' ? this.videoProcessor(track, trackId) : new AudioProcessor(trackId, session, audioMeterFor(analyzer));
    const media: TrackMedia = { track, processor, watch: null, unsubscribe: () => {} };
    const rtp = track.onReceiveRtp.subscribe((packet, extensions) => {
      media.watch?.touch();
      processor.handleRtp(packet, extensions);
    });
    const onEnded = () => this.options.ended(trackId, 'transceiver_stopped');
    track.addEventListener('ended', onEnded);
    media.unsubscribe = () => {
      rtp.unSubscribe();
      track.removeEventListener('ended', onEnded);
    };
    this.media.set(trackId, media);
    this.options.added(trackId, kind);
    if (this.watching) this.startInactivityWatch(trackId);
    return trackId;
  }

  /**
   * From now on (the peer is connected), a track silent for its inactivity time ends. A
   * connection whose offer brought no track it sends (recvonly or inactive m-lines) has nothing
   * to analyse and nothing that would ever end it: `noTrack` runs if none arrives in that time.
   */
  watchInactivity(noTrack: () => void): void {
    if (this.watching) return;
    this.watching = true;
    for (const trackId of this.media.keys()) this.startInactivityWatch(trackId);
    if (this.media.size > 0) return;
    const { videoInactivityMs, audioInactivityMs } = this.options.peer;
    this.firstTrackWatch = new InactivityWatch(Math.max(videoInactivityMs, audioInactivityMs), () => {
      if (this.media.size === 0) noTrack();
    });
  }

  /** The tracks whose SSRC is one of `ssrcs` (an RTCP BYE names them). */
  trackIdsOf(ssrcs: number[]): string[] {
    return [...this.media].filter(([, { track }]) => track.ssrc !== undefined && ssrcs.includes(track.ssrc)).map(([id]) => id);
  }

  /** Stops the tracks' watches and feeds, and waits for their processors to stop. */
  async stop(trackIds: Iterable<string>): Promise<void> {
    await Promise.all([...trackIds].map((trackId) => this.stopOne(trackId)));
  }

  /** Stops whatever is still running, without waiting for processors (their stop is idempotent). */
  stopAll(): void {
    this.firstTrackWatch?.close();
    void this.stop(this.media.keys());
  }

  private async stopOne(trackId: string): Promise<void> {
    const media = this.media.get(trackId);
    if (!media) return;
    media.watch?.close();
    media.unsubscribe();
    await media.processor.stop();
  }

  private videoProcessor(track: MediaStreamTrack, trackId: string): VideoProcessor {
    const { peer, limits, pc, session, log } = this.options;
    const transceiver = transceiverOf(pc, track);
    const keyframes = new KeyframeRequests(peer.keyframeRequestIntervalMs, () => {
      if (track.ssrc === undefined || !transceiver) return;
      session.keyframeRequested();
      transceiver.receiver.sendRtcpPLI(track.ssrc).catch((error: unknown) => {
        log.debug('Keyframe request failed', { track_id: trackId, error: errorMessage(error) });
      });
    });
    return new VideoProcessor({
      trackId,
      session,
      analyzer: analyzerForTrack(this.options.analyzer, {
        sessionId: this.options.sessionId,
        trackId,
        requestKeyframe: () => keyframes.request(),
      }),
      codecOf: videoCodecLookup(transceiver),
      bufferSize: peer.frameBufferSize,
      bufferPolicy: peer.frameBufferPolicy,
      limits,
      logBudget: this.logBudget,
      logger: log,
      onDetections: (frame, detections, picture) => this.options.detections(trackId, frame, detections, picture),
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
    const { videoInactivityMs, audioInactivityMs } = this.options.peer;
    const timeout = media.processor.kind === 'audio' ? audioInactivityMs : videoInactivityMs;
    media.watch = new InactivityWatch(timeout, () => this.options.ended(trackId, 'inactivity'), Date.now, (inactiveFor) => this.awaitingIceRestart(timeout, inactiveFor));
  }

  /**
   * ICE_RESTART_WINDOW_MS: a peer that fell silent as a whole (no RTCP, no STUN either: its
   * network went away, as when a phone leaves Wi-Fi) may be about to restart ICE. Its silent
   * tracks wait up to the window past their timeout; a track silent while the peer still
   * talks has stopped, and ends at its timeout.
   */
  private awaitingIceRestart(timeoutMs: number, inactiveForMs: number): boolean {
    const windowMs = this.options.peer.iceRestartWindowMs;
    return windowMs > 0 && inactiveForMs < timeoutMs + windowMs && this.options.peerSilentForMs() >= timeoutMs;
  }
}
