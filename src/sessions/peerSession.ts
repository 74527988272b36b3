import { assign, createActor, fromPromise, type Actor, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import type { PeerSessionEvent } from '../../machines/peerSession.types';
import type { PeerSessionDelays } from '../config';
import { partialSummary, streamClosedEvent, withCloseTimes } from '../counters/summary';
import { errorMessage, type Logger } from '../logger';
import type { SessionView, StreamSummary } from '../protocol';
import { LifecycleTimeline } from './lifecycleTimeline';
import { unlessClosedMeanwhile } from '../peer/negotiation';
import type { IceUpdateResult } from '../peer/iceUpdates';
import type { PeerMediaLink } from '../peer/peerMediaLink';
import { sessionView } from './sessionView';
import { SessionClosedError } from '../errors';

export interface PeerSessionOptions {
  id: string;
  /** The subject of the credential that created the session (http/auth/); undefined in the open mode. */
  owner?: string;
  /** The label the session's credential gave it (a JWT's `session_name`); shown in its record as `name`. */
  name?: string;
  /** The machine's named delays. */
  timeouts: PeerSessionDelays;
  logger: Logger;
  /**
   * Opens the session's media side (its connection), on the main thread or in a media worker;
   * what it reports goes to `emit` as events for the actor.
   */
  openMedia(media: { id: string; startTime: number; log: Logger; emit: (event: PeerSessionEvent) => void }): PeerMediaLink;
  /** Removes the session from the server's tracking set (the machine's Cleanup entry). */
  untrack: (session: PeerSession) => void;
  /** Also receives the actor's inspection events (INSPECT=1: the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export type CloseEventType = Extract<
  PeerSessionEvent['type'],
  'CLOSE_REQUESTED' | 'PEER_CLOSED' | 'PEER_FAILED' | 'SHUTDOWN' | 'SESSION_FAILED'
>;

function isClosing(snapshot: SnapshotFrom<typeof peerSessionMachine>): boolean {
  if (snapshot.value === 'Active') return false;
  const { closeReason, tracks } = snapshot.context;
  return closeReason !== null || Object.values(tracks).every((track) => track.status !== 'live');
}

/**
 * One session: its lifecycle actor, which decides, and its media side (PeerMediaLink: the werift
 * connection, counters, track media and event channel), which does what the actor's effects ask
 * and reports back in events. The actor lives with the HTTP routes; the media side on the main
 * thread or in a media worker.
 */
export class PeerSession {
  readonly id: string;
  /** Who may read, end, renegotiate or update the ICE of this session besides an admin. */
  readonly owner: string | undefined;
  readonly name: string | undefined;
  readonly startTime = Date.now();
  readonly released: Promise<StreamSummary | null>;
  /** The media side; a MediaPeer (with its werift connection) when it lives on the main thread. */
  readonly media: PeerMediaLink;
  private readonly actor: Actor<typeof peerSessionMachine>;
  private readonly timeline = new LifecycleTimeline('Active');
  private readonly log: Logger;
  private releasedAt: number | null = null;
  /** When the session first headed for release: a close trigger, or its last live track ended. */
  private closingStartedAt: number | null = null;

  constructor(private readonly options: PeerSessionOptions) {
    const { id } = options;
    this.id = id;
    this.owner = options.owner;
    this.name = options.name;
    this.log = options.logger.child({ session_id: id });
    this.media = options.openMedia({ id, startTime: this.startTime, log: this.log, emit: (event) => this.send(event) });
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
          void this.media.closeConnection().catch(() => {}).then(() => resolve(null));
        },
      });
    });
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
    return this.media.connectionState;
  }

  /** Where the session's connection lives: "main", or the media worker's name. */
  get location(): string {
    return this.media.location;
  }

  /**
   * Applies the client's offer and returns the answer with all ICE candidates. A close asked for
   * meanwhile (DELETE, end_stream, shutdown) wins: on the main thread werift's negotiation then
   * never ends, while a media worker may answer before it hears of the close.
   */
  async negotiate(offerSdp: string): Promise<string> {
    const answer = await unlessClosedMeanwhile(this.media.negotiate(offerSdp), this.released, () => this.state === 'Active');
    const { closeReason } = this.actor.getSnapshot().context;
    if (closeReason === 'client_request' || closeReason === 'server_shutdown') throw new SessionClosedError('session closed during negotiation');
    return answer;
  }

  /**
   * A new offer on a live session (tracks added, or a transceiver stopped: its m-line comes
   * with port 0 and werift ends the remote track).
   */
  async renegotiate(offerSdp: string): Promise<string> {
    this.expectOffers('new offer');
    return this.negotiate(offerSdp);
  }

  /**
   * A WHIP PATCH (RFC 9725 section 4.3): candidates for the current ICE session, or an ICE
   * restart. The session, its actor and its counters stay; only the ICE session changes.
   */
  async updateIce(fragment: string, ifMatch: string): Promise<IceUpdateResult> {
    this.expectOffers('ICE update');
    return unlessClosedMeanwhile(this.media.updateIce(fragment, ifMatch), this.released, () => this.state === 'Active');
  }

  private expectOffers(what: string): void {
    if (!['Active', 'StoppingProcessor'].includes(this.state)) {
      throw new SessionClosedError(`the session is ${this.state}, it takes no ${what}`);
    }
  }

  /** Asks the actor to close (once; later requests join the same closing path). */
  close(event: CloseEventType = 'CLOSE_REQUESTED'): Promise<StreamSummary | null> {
    this.send({ type: event });
    return this.released;
  }

  view(): SessionView {
    const { context } = this.actor.getSnapshot();
    const { id, startTime, timeline, releasedAt } = this;
    return sessionView({ sessionId: id, startTime, state: this.state, context, counters: this.media.counters(), timeline, releasedAt, owner: this.owner, name: this.name });
  }

  private send(event: PeerSessionEvent): void {
    if (!this.isReleased) this.actor.send(event);
  }

  /** The machine with its effects: each reaches one part of the session. */
  private provideMachine() {
    const { stopTimeout, closeTimeout, emitTimeout, cleanupTimeout } = this.options.timeouts;
    const { media } = this;
    return peerSessionMachine.provide({
      delays: { stopTimeout, closeTimeout, emitTimeout, cleanupTimeout },
      actors: {
        stopProcessors: fromPromise(({ input }) => media.stopProcessors(input.trackIds)),
        freezeCounters: fromPromise(async ({ input }) => {
          const counted = await media.freezeCounters(input.closeReason, input.tracks);
          // The summary is completed here, at the end of ClosingSession: it counts that state up to now.
          return withCloseTimes(counted, this.timeline.closeMsByState({ untilNow: true }));
        }),
        emitSummary: fromPromise(async ({ input, signal }) => {
          if (!input.summary) return;
          await media.emitSummary(streamClosedEvent(this.id, input.closeReason, input.summary), signal);
        }),
        closePeerConnection: fromPromise(() => media.closeConnection()),
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
        // freezeCounters failed or timed out: the counters as they stand, so that no session ends without a summary.
        storePartialSummary: assign({
          summary: ({ context }) =>
            withCloseTimes(partialSummary(media.summarySoFar(), Date.now(), context.tracks), this.timeline.closeMsByState({ untilNow: true })),
        }),
        announceSession: () => media.announce(),
        untrackSession: () => this.options.untrack(this),
        logPeerConnectionClosed: () => this.log.info(`Peer connection closed, session_id: ${this.id}`),
      },
    });
  }
}
