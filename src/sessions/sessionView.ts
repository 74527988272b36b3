import type { PeerSessionContext } from '../../machines/peerSession.types';
import type { SessionCounters, SessionView } from '../protocol';
import type { LifecycleTimeline } from './lifecycleTimeline';

export interface SessionViewSources {
  /** Top-level state of the actor. */
  sessionId: string;
  startTime: number;
  state: string;
  context: PeerSessionContext;
  counters: SessionCounters;
  timeline: LifecycleTimeline;
  releasedAt: number | null;
  /** The subject of the credential that created the session, when one did. */
  owner?: string;
  name?: string;
}

/** A session's record as `GET /sessions/<id>` shows it (API.md), from its actor, counters and timeline. */
export function sessionView({ sessionId, startTime, state, context, counters, timeline, releasedAt, owner, name }: SessionViewSources): SessionView {
  const { tracks, summary, closeReason, faults, dataChannelOpen } = context;
  return {
    session_id: sessionId,
    state,
    started_at: startTime,
    ended_at: releasedAt,
    reason: closeReason,
    data_channel_open: dataChannelOpen,
    tracks: Object.entries(tracks).map(([trackId, track]) => ({
      track_id: trackId,
      kind: track.kind,
      status: track.status,
      end_reason: track.endReason,
    })),
    counters,
    summary,
    faults,
    timeline: timeline.list(),
    close_ms_by_state: timeline.closeMsByState(),
    ...(owner === undefined ? {} : { owner }),
    ...(name === undefined ? {} : { name }),
  };
}
