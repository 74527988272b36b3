import type { PeerSessionContext } from '../../machines/peerSession.types';
import type { Session } from '../counters/session';
import type { SessionView } from '../protocol';
import type { LifecycleTimeline } from './lifecycleTimeline';

export interface SessionViewSources {
  /** Top-level state of the actor. */
  state: string;
  context: PeerSessionContext;
  session: Session;
  timeline: LifecycleTimeline;
  releasedAt: number | null;
}

/** A session's record as `GET /sessions/<id>` shows it (API.md), from its actor, counters and timeline. */
export function sessionView({ state, context, session, timeline, releasedAt }: SessionViewSources): SessionView {
  const { tracks, summary, closeReason, faults, dataChannelOpen } = context;
  return {
    session_id: session.id,
    state,
    started_at: session.startTime,
    ended_at: releasedAt,
    reason: closeReason,
    data_channel_open: dataChannelOpen,
    tracks: Object.entries(tracks).map(([trackId, track]) => ({
      track_id: trackId,
      kind: track.kind,
      status: track.status,
      end_reason: track.endReason,
    })),
    counters: session.counters(),
    summary,
    faults,
    timeline: timeline.list(),
    close_ms_by_state: timeline.closeMsByState(),
  };
}
