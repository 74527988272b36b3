import { assign, createActor, fromPromise, SimulatedClock, type Actor, type SnapshotFrom } from 'xstate';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { summaryFor } from './peerSessionReference';
import type {
  ClosePeerConnectionInput,
  FreezeCountersInput,
  EmitSummaryInput,
  PeerSessionEvent,
  StopProcessorsInput,
  StreamSummary,
} from '../../machines/peerSession.types';

export type PeerSessionSnapshot = SnapshotFrom<typeof peerSessionMachine>;

export type Effect = 'stopProcessors' | 'freezeCounters' | 'emitSummary' | 'closePeerConnection';

interface EffectInputs {
  stopProcessors: StopProcessorsInput;
  freezeCounters: FreezeCountersInput;
  emitSummary: EmitSummaryInput;
  closePeerConnection: ClosePeerConnectionInput;
}

interface EffectOutputs {
  stopProcessors: void;
  freezeCounters: StreamSummary;
  emitSummary: void;
  closePeerConnection: void;
}

/** The state node that invokes each effect, and the named delay that bounds it. */
export const effectStates: Record<Effect, { state: string; delay: string }> = {
  stopProcessors: { state: 'StoppingProcessor', delay: 'stopTimeout' },
  freezeCounters: { state: 'ClosingSession', delay: 'closeTimeout' },
  emitSummary: { state: 'EmittingSummary', delay: 'emitTimeout' },
  closePeerConnection: { state: 'Cleanup', delay: 'cleanupTimeout' },
};

export const effects = Object.keys(effectStates) as Effect[];

export function delayOf(effect: Effect): number {
  const delay = peerSessionMachine.implementations.delays[effectStates[effect].delay];
  if (typeof delay !== 'number') throw new Error(`delay ${effectStates[effect].delay} is not a fixed number`);
  return delay;
}

export const SUMMARY: StreamSummary = {
  total_frames_received: 1200,
  total_frames_processed: 1180,
  total_frames_dropped: 20,
  total_detections: 45,
  duration_sec: 120.5,
  dropped_by_reason: { buffer_full: 20 },
  audio_frames: 6000,
  audio_seconds: 120,
  start_time: 1_640_995_200_000,
  end_time: 1_640_995_320_500,
  tracks_ended_by: { transceiver_stopped: 2 },
  ignored_client_messages: 0,
  ignored_rtp_packets: 0,
  ignored_rtcp_packets: 0,
  total_frames_analyzed: 0,
  total_frames_not_sampled: 0,
  avg_processing_time_ms: 0,
  p95_processing_time_ms: 0,
  avg_decode_time_ms: 0,
  p95_decode_time_ms: 0,
  avg_detect_time_ms: 0,
  p95_detect_time_ms: 0,
  keyframes: 0,
  keyframe_requests: 0,
  detection_events: 0,
  audio_level_dbov: null,
  voice_activity_ratio: null,
  audio_level_source: null,
  close_ms_by_state: { TrackEnding: 0, StoppingProcessor: 12 },
};

interface EffectCall {
  effect: Effect;
  input: EffectInputs[Effect];
  settled: boolean;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/** What happened, in order: events the test sent, effects the machine invoked, untrackSession. */
export type LogEntry =
  | { kind: 'event'; event: PeerSessionEvent }
  | { kind: 'call'; effect: Effect; input: EffectInputs[Effect] }
  | { kind: 'settle'; effect: Effect; outcome: 'resolved' | 'rejected' | 'timed out'; error?: Error; output?: StreamSummary }
  | { kind: 'untrackSession' }
  /** storePartialSummary ran (freezeCounters failed or timed out) and stored this summary. */
  | { kind: 'partialSummary'; summary: StreamSummary }
  /** A log action the machine ran: each is one line of the server's log. */
  | { kind: 'logged'; action: LoggedAction; event: { type: string; trackId?: string } };

export type LoggedAction = 'logTrackEnded' | 'logCloseRequested' | 'logFault';

function logged(action: LoggedAction) {
  return ({ context, event }: { context: { sessionId: string }; event: { type: string; trackId?: string } }) => {
    harnessOf(context.sessionId).log.push({ kind: 'logged', action, event });
  };
}

const harnesses = new Map<string, SessionHarness>();

function harnessOf(sessionId: string): SessionHarness {
  const harness = harnesses.get(sessionId);
  if (!harness) throw new Error(`no harness for session ${sessionId}`);
  return harness;
}

function deferredEffect<E extends Effect>(effect: E) {
  return fromPromise<EffectOutputs[E], EffectInputs[E]>(({ input }) => harnessOf(input.sessionId).invoked(effect, input));
}

/** The real machine with every effect a promise the test settles, and untrackSession counted. */
export const machineUnderTest = peerSessionMachine.provide({
  actors: {
    stopProcessors: deferredEffect('stopProcessors'),
    freezeCounters: deferredEffect('freezeCounters'),
    emitSummary: deferredEffect('emitSummary'),
    closePeerConnection: deferredEffect('closePeerConnection'),
  },
  actions: {
    untrackSession: ({ context }) => harnessOf(context.sessionId).log.push({ kind: 'untrackSession' }),
    storePartialSummary: assign({
      summary: ({ context }) => {
        const summary: StreamSummary = { ...summaryFor({ sessionId: context.sessionId, closeReason: context.closeReason ?? 'tracks_ended', tracks: context.tracks }), partial: true };
        harnessOf(context.sessionId).log.push({ kind: 'partialSummary', summary });
        return summary;
      },
    }),
    logTrackEnded: logged('logTrackEnded'),
    logCloseRequested: logged('logCloseRequested'),
    logFault: logged('logFault'),
  },
});

let sessionCounter = 0;

/** One real actor driven by hand: events are sent, effects settled, delays advanced on a simulated clock. */
export class SessionHarness {
  readonly sessionId = `session-${++sessionCounter}`;
  readonly clock = new SimulatedClock();
  readonly log: LogEntry[] = [];
  readonly calls: EffectCall[] = [];
  readonly actor: Actor<typeof machineUnderTest>;

  constructor() {
    harnesses.set(this.sessionId, this);
    this.actor = createActor(machineUnderTest, { input: { sessionId: this.sessionId }, clock: this.clock });
  }

  start(): this {
    this.actor.start();
    return this;
  }

  /** Forget this session; call when the test is done with it. */
  dispose(): void {
    this.actor.stop();
    harnesses.delete(this.sessionId);
  }

  get snapshot(): PeerSessionSnapshot {
    return this.actor.getSnapshot();
  }

  send(event: PeerSessionEvent): void {
    this.log.push({ kind: 'event', event });
    this.actor.send(event);
  }

  invoked<E extends Effect>(effect: E, input: EffectInputs[E]): Promise<EffectOutputs[E]> {
    return new Promise<EffectOutputs[E]>((resolve, reject) => {
      this.calls.push({ effect, input, settled: false, resolve: resolve as (output: unknown) => void, reject });
      this.log.push({ kind: 'call', effect, input });
    });
  }

  inputsOf<E extends Effect>(effect: E): EffectInputs[E][] {
    return this.calls.filter((call) => call.effect === effect).map((call) => call.input as EffectInputs[E]);
  }

  /** The one invocation of `effect` still waiting to be settled. */
  pending(effect: Effect): EffectCall {
    const open = this.calls.filter((call) => call.effect === effect && !call.settled);
    if (open.length !== 1) throw new Error(`expected one pending ${effect}, found ${open.length}`);
    return open[0]!;
  }

  async resolve<E extends Effect>(effect: E, ...output: EffectOutputs[E] extends void ? [] : [EffectOutputs[E]]): Promise<void> {
    const call = this.pending(effect);
    call.settled = true;
    this.log.push({ kind: 'settle', effect, outcome: 'resolved', output: output[0] as StreamSummary | undefined });
    call.resolve(output[0]);
    await settle();
  }

  async reject(effect: Effect, error: Error = new Error(`${effect} broke`)): Promise<void> {
    const call = this.pending(effect);
    call.settled = true;
    this.log.push({ kind: 'settle', effect, outcome: 'rejected', error });
    call.reject(error);
    await settle();
  }

  /** Lets the effect's named delay run out; the effect itself stays pending forever. */
  async timeOut(effect: Effect): Promise<void> {
    const call = this.pending(effect);
    call.settled = true;
    this.log.push({ kind: 'settle', effect, outcome: 'timed out' });
    this.clock.increment(delayOf(effect));
    await settle();
  }

  get untrackCount(): number {
    return this.log.filter((entry) => entry.kind === 'untrackSession').length;
  }
}

/** Lets promise callbacks (an effect's done or error event) reach the actor. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
