import type {
  CloseReason,
  FreezeCountersInput,
  PeerSessionEvent,
  StopProcessorsInput,
  StreamSummary,
  TrackEndReason,
  TrackKind,
} from '../../machines/peerSession.types';
import { Session } from '../../src/counters/session';
import type { LogEntry, PeerSessionSnapshot, SessionHarness } from './peerSessionHarness';

/** The documented reason of each close event: the first one to arrive is the session's reason. */
export const closeReasonOf = {
  CLOSE_REQUESTED: 'client_request',
  PEER_CLOSED: 'peer_closed',
  PEER_FAILED: 'peer_failed',
  SHUTDOWN: 'server_shutdown',
  SESSION_FAILED: 'error',
} as const satisfies Record<string, CloseReason & TrackEndReason>;

type CloseEventType = keyof typeof closeReasonOf;

export function isCloseEvent(event: PeerSessionEvent): event is Extract<PeerSessionEvent, { type: CloseEventType }> {
  return event.type in closeReasonOf;
}

/**
 * The summary the server makes from freezeCounters's input: the real counters (no frames), closed
 * with the machine's reason and tracks, so tracks_ended_by is what the counters make of the
 * tracks the machine hands over.
 */
export function summaryFor(input: FreezeCountersInput): StreamSummary {
  const key = JSON.stringify([input.closeReason, input.tracks]);
  let summary = summaries.get(key);
  if (!summary) {
    summary = { ...new Session(input.sessionId, () => 0, 0).close(input.closeReason, input.tracks).summary, close_ms_by_state: {} };
    summaries.set(key, summary);
  }
  // A copy: each session's summary is its own object, so that identity shows where it came from.
  return { ...summary };
}
const summaries = new Map<string, StreamSummary>();

interface ReferenceTrack {
  kind: TrackKind;
  endReason: TrackEndReason | null;
  stopped: boolean;
}

/**
 * What the documented flow says the session's context is, rebuilt from the harness log alone
 * (events the test sent, effects the machine invoked and how the test settled them), written
 * without looking at the machine's actions:
 * - until the session starts closing (freezeCounters is invoked) a track added is taken once, and
 *   ends with the first reason that ends it: its own TRACK_ENDED while live, else the close event
 *   that found it live, else (added after a close) the session's close reason;
 * - the first close event's reason is the session's reason, whatever follows; a session no close
 *   event ended closes with tracks_ended; events after freezeCounters is invoked change nothing;
 * - a track is stopped once a stopProcessors call that named it settled (resolved, rejected or
 *   timed out), and only a track that ended is named;
 * - every rejection or timeout is one fault, in order; the summary is freezeCounters's result, or
 *   when freezeCounters failed or timed out, the partial one made at once from the counters so far.
 */
export class Reference {
  readonly tracks = new Map<string, ReferenceTrack>();
  closeReason: CloseReason | null = null;
  dataChannelOpen = false;
  closing = false;
  stopping: string[] = [];
  summary: StreamSummary | null = null;
  /** freezeCounters failed or timed out: the summary must be the partial one, made at once. */
  private partialSummaryOwed = false;
  readonly faults: string[] = [];
  /** Rules of the flow the log itself breaks (an effect invoked when it should not be). */
  readonly problems: string[] = [];

  private applied = 0;

  constructor(log: readonly LogEntry[] = []) {
    this.update(log);
  }

  /** Takes in the entries of `log` (which only grows) not seen yet. */
  update(log: readonly LogEntry[]): this {
    for (; this.applied < log.length; this.applied++) this.apply(log[this.applied]!);
    return this;
  }

  /** Log lines the machine owes: a track's end once, each close event taken, each fault. */
  private owedLines = { logTrackEnded: 0, logCloseRequested: 0, logFault: 0 };
  private readonly loggedLines = { logTrackEnded: 0, logCloseRequested: 0, logFault: 0 };

  /** Log lines written and owed, per action, when they differ. */
  logProblems(): string[] {
    if (this.partialSummaryOwed) return ['freezeCounters failed or timed out, and no partial summary was made'];
    return (Object.keys(this.owedLines) as (keyof typeof this.owedLines)[])
      .filter((action) => this.owedLines[action] !== this.loggedLines[action])
      .map((action) => `${action} ran ${this.loggedLines[action]} times, expected ${this.owedLines[action]}`);
  }

  private apply(entry: LogEntry): void {
    if (entry.kind === 'logged') this.loggedLines[entry.action]++;
    if (entry.kind === 'event') this.applyEvent(entry.event);
    if (entry.kind === 'partialSummary') {
      if (!this.partialSummaryOwed) this.problems.push('a partial summary was made, but freezeCounters did not fail or time out');
      this.partialSummaryOwed = false;
      this.summary = entry.summary;
    }
    if (entry.kind === 'call' && entry.effect === 'stopProcessors') {
      const { trackIds } = entry.input as StopProcessorsInput;
      if (trackIds.length === 0) this.problems.push('stopProcessors invoked with no track');
      for (const trackId of trackIds) {
        const track = this.tracks.get(trackId);
        if (!track || track.endReason === null) this.problems.push(`stopProcessors invoked for ${trackId}, which had not ended`);
        if (track?.stopped || this.stopping.includes(trackId)) this.problems.push(`stopProcessors invoked twice for ${trackId}`);
      }
      this.stopping = [...trackIds];
    }
    if (entry.kind === 'call' && entry.effect === 'freezeCounters') {
      this.closing = true;
      this.closeReason ??= 'tracks_ended';
    }
    if (entry.kind === 'settle') {
      if (entry.effect === 'stopProcessors') {
        for (const trackId of this.stopping) {
          const track = this.tracks.get(trackId);
          if (track) track.stopped = true;
        }
        this.stopping = [];
      }
      if (entry.effect === 'freezeCounters' && entry.outcome === 'resolved') this.summary = entry.output ?? null;
      if (entry.effect === 'freezeCounters' && entry.outcome !== 'resolved') this.partialSummaryOwed = true;
      if (entry.outcome === 'rejected') this.faults.push(`${entry.effect} failed: ${entry.error!.message}`);
      if (entry.outcome === 'timed out') this.faults.push(`${entry.effect} timed out`);
      if (entry.outcome !== 'resolved') this.owedLines.logFault++;
    }
  }

  private applyEvent(event: PeerSessionEvent): void {
    if (event.type === 'DATA_CHANNEL_OPENED' || event.type === 'DATA_CHANNEL_CLOSED') {
      this.dataChannelOpen = event.type === 'DATA_CHANNEL_OPENED';
      return;
    }
    if (this.closing) return;
    if (event.type === 'TRACK_ADDED') {
      if (!this.tracks.has(event.trackId)) this.tracks.set(event.trackId, { kind: event.kind, endReason: this.closeReason as TrackEndReason | null, stopped: false });
    } else if (event.type === 'TRACK_ENDED') {
      const track = this.tracks.get(event.trackId);
      if (track && track.endReason === null) {
        track.endReason = event.reason;
        this.owedLines.logTrackEnded++;
      }
    } else if (isCloseEvent(event)) {
      this.owedLines.logCloseRequested++;
      this.closeReason ??= closeReasonOf[event.type];
      for (const track of this.tracks.values()) track.endReason ??= closeReasonOf[event.type];
    }
  }

  /** The context the machine should hold now, in the shape of its own. */
  expectedContext() {
    return {
      tracks: Object.fromEntries(
        [...this.tracks].map(([trackId, track]) => [
          trackId,
          { kind: track.kind, status: track.stopped ? 'stopped' : track.endReason === null ? 'live' : 'ended', endReason: track.endReason },
        ]),
      ),
      dataChannelOpen: this.dataChannelOpen,
      closeReason: this.closeReason,
      stoppingTrackIds: this.stopping,
      faults: this.faults,
    };
  }

  /** tracks_ended_by as the summary must report it: one per track, by its first end reason. */
  tracksEndedBy(): Partial<Record<TrackEndReason, number>> {
    const counts: Partial<Record<TrackEndReason, number>> = {};
    for (const { endReason } of this.tracks.values()) if (endReason) counts[endReason] = (counts[endReason] ?? 0) + 1;
    return counts;
  }
}

const statusRank = { live: 0, ended: 1, stopped: 2 } as const;

/**
 * The session's promises at one step: its context is the reference's, and nothing the machine
 * has decided changed since the step before (the close reason, a track's end reason, a track's
 * progress, the faults so far, the summary).
 */
export function stepProblems(harness: SessionHarness, reference: Reference, previous: PeerSessionSnapshot | null): string[] {
  reference.update(harness.log);
  const problems = [...reference.problems, ...reference.logProblems()];
  const snapshot = harness.snapshot;
  const { sessionId: _sessionId, ...context } = snapshot.context;
  const expected = reference.expectedContext();
  if (context.summary !== reference.summary) problems.push(`summary ${context.summary === null ? 'null' : 'not the one freezeCounters made'}`);
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
    if (JSON.stringify(context[key]) !== JSON.stringify(expected[key])) {
      problems.push(`${key} ${JSON.stringify(context[key])}, expected ${JSON.stringify(expected[key])}`);
    }
  }
  if (previous) {
    const before = previous.context;
    if (before.closeReason !== null && context.closeReason !== before.closeReason) {
      problems.push(`closeReason changed from ${before.closeReason} to ${context.closeReason}`);
    }
    for (const [trackId, track] of Object.entries(before.tracks)) {
      const now = context.tracks[trackId];
      if (!now) problems.push(`track ${trackId} vanished`);
      else if (track.endReason !== null && now.endReason !== track.endReason) problems.push(`track ${trackId} end reason changed from ${track.endReason} to ${now.endReason}`);
      else if (statusRank[now.status] < statusRank[track.status]) problems.push(`track ${trackId} went back from ${track.status} to ${now.status}`);
    }
    if (JSON.stringify(context.faults.slice(0, before.faults.length)) !== JSON.stringify(before.faults)) problems.push('faults were rewritten');
    if (before.summary !== null && context.summary !== before.summary) problems.push('the summary changed');
  }
  for (const [trackId, track] of Object.entries(context.tracks)) {
    if ((track.status === 'live') !== (track.endReason === null)) problems.push(`track ${trackId} is ${track.status} with end reason ${track.endReason}`);
  }
  if (context.summary && JSON.stringify(context.summary.tracks_ended_by) !== JSON.stringify(reference.tracksEndedBy())) {
    problems.push(`tracks_ended_by ${JSON.stringify(context.summary.tracks_ended_by)}, expected ${JSON.stringify(reference.tracksEndedBy())}`);
  }
  if (snapshot.status === 'done' && snapshot.output !== context.summary) problems.push('the output is not the summary');
  return problems;
}
