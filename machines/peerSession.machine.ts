/**
 * The lifecycle of one peer connection, as documented in "Session Closure and Reporting":
 *
 *   Active -> TrackEnding -> StoppingProcessor -> ClosingSession -> EmittingSummary -> Cleanup -> Released
 *
 * Guards carry the alternative flows: a track ended while others are live (A3: back to Active),
 * no processor left to stop (A2: skip the stop), data channel not open (A1: skip emission).
 * Every effect is an invoked actor bounded by a named delay; a failure or a timeout is recorded
 * as a fault and the flow goes on (A4). Close requests, a closed or failed peer connection and
 * server shutdown (A5) end every live track and enter the same path.
 *
 * Implementations of effects and logs are placeholders here and are injected by src/ with
 * `.provide()`; this file imports nothing but xstate so it opens in the Stately visualizer.
 */
import { assign, fromPromise, setup } from 'xstate';
import { DEFAULT_DELAYS } from './peerSession.delays';
import type {
  CloseReason,
  ClosePeerConnectionInput,
  FreezeCountersInput,
  EmitSummaryInput,
  PeerSessionContext,
  PeerSessionEvent,
  PeerSessionInput,
  StopProcessorsInput,
  StreamSummary,
  TrackEndReason,
  TrackRecord,
} from './peerSession.types';

type CloseEvent = Extract<
  PeerSessionEvent,
  { type: 'CLOSE_REQUESTED' | 'PEER_CLOSED' | 'PEER_FAILED' | 'SHUTDOWN' | 'SESSION_FAILED' }
>;

/** A close event ends the session for this reason, and every live track with it. */
const closeReasonOf: Record<CloseEvent['type'], CloseReason & TrackEndReason> = {
  CLOSE_REQUESTED: 'client_request',
  PEER_CLOSED: 'peer_closed',
  PEER_FAILED: 'peer_failed',
  SHUTDOWN: 'server_shutdown',
  SESSION_FAILED: 'error',
};

/** Effects are injected by src/ with `.provide()`; until then invoking one fails loudly. */
function notProvided<TOutput, TInput>(effect: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`${effect} is not provided`);
  });
}

/** Tracks whose end was seen but whose processor has not been stopped yet. */
export function tracksToStop(context: PeerSessionContext): string[] {
  return Object.entries(context.tracks)
    .filter(([, track]) => track.status === 'ended')
    .map(([trackId]) => trackId);
}

function hasLiveTrack(context: PeerSessionContext): boolean {
  return Object.values(context.tracks).some((track) => track.status === 'live');
}

/** freezeCounters failed or timed out: a fault, and the partial summary stored in its place. */
function freezeCountersFault(outcome: 'failed' | 'timed out') {
  return [
    { type: 'recordFault', params: { effect: 'freezeCounters', outcome } },
    { type: 'logFault', params: { effect: 'freezeCounters', outcome } },
    'storePartialSummary',
  ] as const;
}

export const peerSessionMachine = setup({
  types: {
    context: {} as PeerSessionContext,
    events: {} as PeerSessionEvent,
    input: {} as PeerSessionInput,
    output: {} as StreamSummary | null,
  },
  actors: {
    stopProcessors: notProvided<void, StopProcessorsInput>('stopProcessors'),
    freezeCounters: notProvided<StreamSummary, FreezeCountersInput>('freezeCounters'),
    emitSummary: notProvided<void, EmitSummaryInput>('emitSummary'),
    closePeerConnection: notProvided<void, ClosePeerConnectionInput>('closePeerConnection'),
  },
  guards: {
    /** The ended track is one we know and it is still live (duplicates are ignored). */
    isLiveTrack: ({ context, event }) =>
      event.type === 'TRACK_ENDED' && context.tracks[event.trackId]?.status === 'live',
    /** Inverse of A2: some ended track still has a processor running. */
    processorRunning: ({ context }) => tracksToStop(context).length > 0,
    /** A3: other tracks are still streaming and nobody asked to close. */
    moreTracksRemain: ({ context }) => context.closeReason === null && hasLiveTrack(context),
    /** A1: the data channel is closed, closing or was never opened. */
    dataChannelNotOpen: ({ context }) => !context.dataChannelOpen,
  },
  delays: { ...DEFAULT_DELAYS },
  actions: {
    addTrack: assign({
      tracks: ({ context, event }) => {
        if (event.type !== 'TRACK_ADDED' || context.tracks[event.trackId]) return context.tracks;
        // A track that arrives while a close is under way ends at once, so its processor is stopped too.
        const { closeReason } = context;
        const track: TrackRecord =
          closeReason === null || closeReason === 'tracks_ended'
            ? { kind: event.kind, status: 'live', endReason: null }
            : { kind: event.kind, status: 'ended', endReason: closeReason };
        return { ...context.tracks, [event.trackId]: track };
      },
    }),
    markTrackEnded: assign({
      tracks: ({ context, event }) => {
        if (event.type !== 'TRACK_ENDED') return context.tracks;
        const track = context.tracks[event.trackId];
        if (!track || track.status !== 'live') return context.tracks;
        return { ...context.tracks, [event.trackId]: { ...track, status: 'ended', endReason: event.reason } };
      },
    }),
    /** A close request, a gone peer or shutdown: every live track ends, the first reason wins. */
    endAllTracks: assign(({ context, event }) => {
      const type = event.type as CloseEvent['type'];
      const tracks = Object.fromEntries(
        Object.entries(context.tracks).map(([trackId, track]) => [
          trackId,
          track.status === 'live' ? { ...track, status: 'ended' as const, endReason: closeReasonOf[type] } : track,
        ]),
      );
      return { tracks, closeReason: context.closeReason ?? closeReasonOf[type] };
    }),
    /** The tracks this stopProcessors call is for; tracks that end meanwhile wait for the next call. */
    markProcessorsStopping: assign({ stoppingTrackIds: ({ context }) => tracksToStop(context) }),
    markProcessorsStopped: assign({
      tracks: ({ context }) =>
        Object.fromEntries(
          Object.entries(context.tracks).map(([trackId, track]) => [
            trackId,
            context.stoppingTrackIds.includes(trackId) ? { ...track, status: 'stopped' as const } : track,
          ]),
        ),
      stoppingTrackIds: [],
    }),
    settleCloseReason: assign({
      closeReason: ({ context }) => context.closeReason ?? 'tracks_ended',
    }),
    storeSummary: assign({
      summary: ({ event }) => (event as { output?: StreamSummary }).output ?? null,
    }),
    /** Provided by src/: the summary made of the counters as they stand (freezeCounters could not close them). */
    storePartialSummary: assign({ summary: ({ context }) => context.summary }),
    markDataChannelOpen: assign({ dataChannelOpen: true }),
    markDataChannelClosed: assign({ dataChannelOpen: false }),
    recordFault: assign({
      faults: ({ context, event }, params: { effect: string; outcome: 'failed' | 'timed out' }) => {
        const error = (event as { error?: unknown }).error;
        const detail = error instanceof Error ? `: ${error.message}` : error !== undefined ? `: ${String(error)}` : '';
        return [...context.faults, `${params.effect} ${params.outcome}${detail}`];
      },
    }),
    // Logs and side effects, provided by src/.
    logTrackEnded: () => {},
    logCloseRequested: () => {},
    logFault: (_, _params: { effect: string; outcome: 'failed' | 'timed out' }) => {},
    announceSession: () => {},
    untrackSession: () => {},
    logPeerConnectionClosed: () => {},
  },
}).createMachine({
  id: 'peerSession',
  context: ({ input }) => ({
    sessionId: input.sessionId,
    tracks: {},
    dataChannelOpen: false,
    closeReason: null,
    summary: null,
    stoppingTrackIds: [],
    faults: [],
  }),
  initial: 'Active',
  on: {
    DATA_CHANNEL_OPENED: { actions: 'markDataChannelOpen' },
    DATA_CHANNEL_CLOSED: { actions: 'markDataChannelClosed' },
  },
  states: {
    Active: {
      on: {
        TRACK_ADDED: { actions: 'addTrack' },
        TRACK_ENDED: { guard: 'isLiveTrack', target: 'TrackEnding', actions: ['markTrackEnded', 'logTrackEnded'] },
        DATA_CHANNEL_OPENED: { actions: ['markDataChannelOpen', 'announceSession'] },
        CLOSE_REQUESTED: { target: 'TrackEnding', actions: ['endAllTracks', 'logCloseRequested'] },
        PEER_CLOSED: { target: 'TrackEnding', actions: ['endAllTracks', 'logCloseRequested'] },
        PEER_FAILED: { target: 'TrackEnding', actions: ['endAllTracks', 'logCloseRequested'] },
        SHUTDOWN: { target: 'TrackEnding', actions: ['endAllTracks', 'logCloseRequested'] },
        SESSION_FAILED: { target: 'TrackEnding', actions: ['endAllTracks', 'logCloseRequested'] },
      },
    },
    TrackEnding: {
      always: [
        { guard: 'processorRunning', target: 'StoppingProcessor' },
        { guard: 'moreTracksRemain', target: 'Active' },
        { target: 'ClosingSession', actions: 'settleCloseReason' },
      ],
    },
    StoppingProcessor: {
      entry: 'markProcessorsStopping',
      invoke: {
        src: 'stopProcessors',
        input: ({ context }) => ({ sessionId: context.sessionId, trackIds: context.stoppingTrackIds }),
        onDone: { target: 'TrackEnding', actions: 'markProcessorsStopped' },
        onError: {
          target: 'TrackEnding',
          actions: [
            'markProcessorsStopped',
            { type: 'recordFault', params: { effect: 'stopProcessors', outcome: 'failed' } },
            { type: 'logFault', params: { effect: 'stopProcessors', outcome: 'failed' } },
          ],
        },
      },
      after: {
        stopTimeout: {
          target: 'TrackEnding',
          actions: [
            'markProcessorsStopped',
            { type: 'recordFault', params: { effect: 'stopProcessors', outcome: 'timed out' } },
            { type: 'logFault', params: { effect: 'stopProcessors', outcome: 'timed out' } },
          ],
        },
      },
      on: {
        // Tracks that end or arrive meanwhile are stopped on the next pass through TrackEnding.
        TRACK_ADDED: { actions: 'addTrack' },
        TRACK_ENDED: { guard: 'isLiveTrack', actions: ['markTrackEnded', 'logTrackEnded'] },
        CLOSE_REQUESTED: { actions: ['endAllTracks', 'logCloseRequested'] },
        PEER_CLOSED: { actions: ['endAllTracks', 'logCloseRequested'] },
        PEER_FAILED: { actions: ['endAllTracks', 'logCloseRequested'] },
        SHUTDOWN: { actions: ['endAllTracks', 'logCloseRequested'] },
        SESSION_FAILED: { actions: ['endAllTracks', 'logCloseRequested'] },
      },
    },
    ClosingSession: {
      invoke: {
        src: 'freezeCounters',
        input: ({ context }) => ({
          sessionId: context.sessionId,
          closeReason: context.closeReason ?? 'tracks_ended',
          tracks: context.tracks,
        }),
        onDone: [
          { guard: 'dataChannelNotOpen', target: 'Cleanup', actions: 'storeSummary' },
          { target: 'EmittingSummary', actions: 'storeSummary' },
        ],
        // A4 without losing the summary: the one made of the counters so far, marked partial, is sent.
        onError: [
          { guard: 'dataChannelNotOpen', target: 'Cleanup', actions: freezeCountersFault('failed') },
          { target: 'EmittingSummary', actions: freezeCountersFault('failed') },
        ],
      },
      after: {
        closeTimeout: [
          { guard: 'dataChannelNotOpen', target: 'Cleanup', actions: freezeCountersFault('timed out') },
          { target: 'EmittingSummary', actions: freezeCountersFault('timed out') },
        ],
      },
    },
    EmittingSummary: {
      invoke: {
        src: 'emitSummary',
        input: ({ context }) => ({
          sessionId: context.sessionId,
          closeReason: context.closeReason ?? 'tracks_ended',
          summary: context.summary,
        }),
        onDone: { target: 'Cleanup' },
        onError: {
          target: 'Cleanup',
          actions: [
            { type: 'recordFault', params: { effect: 'emitSummary', outcome: 'failed' } },
            { type: 'logFault', params: { effect: 'emitSummary', outcome: 'failed' } },
          ],
        },
      },
      after: {
        emitTimeout: {
          target: 'Cleanup',
          actions: [
            { type: 'recordFault', params: { effect: 'emitSummary', outcome: 'timed out' } },
            { type: 'logFault', params: { effect: 'emitSummary', outcome: 'timed out' } },
          ],
        },
      },
    },
    Cleanup: {
      entry: 'untrackSession',
      invoke: {
        src: 'closePeerConnection',
        input: ({ context }) => ({ sessionId: context.sessionId }),
        onDone: { target: 'Released', actions: 'logPeerConnectionClosed' },
        onError: {
          target: 'Released',
          actions: [
            { type: 'recordFault', params: { effect: 'closePeerConnection', outcome: 'failed' } },
            { type: 'logFault', params: { effect: 'closePeerConnection', outcome: 'failed' } },
          ],
        },
      },
      after: {
        cleanupTimeout: {
          target: 'Released',
          actions: [
            { type: 'recordFault', params: { effect: 'closePeerConnection', outcome: 'timed out' } },
            { type: 'logFault', params: { effect: 'closePeerConnection', outcome: 'timed out' } },
          ],
        },
      },
    },
    Released: {
      type: 'final',
    },
  },
  output: ({ context }) => context.summary,
});

export type PeerSessionMachine = typeof peerSessionMachine;
