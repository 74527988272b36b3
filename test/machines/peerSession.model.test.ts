import type { ActorLogic } from 'xstate';
import { TestModel, type StatePath } from 'xstate/graph';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import type {
  CloseReason,
  CloseSessionInput,
  PeerSessionEvent,
  PeerSessionInput,
  StopProcessorsInput,
  StreamSummary,
} from '../../machines/peerSession.types';
import { effects, effectStates, SessionHarness, SUMMARY, type Effect, type PeerSessionSnapshot } from './peerSessionHarness';

type EffectOutcome = 'resolved' | 'rejected' | 'timed out';
/** `xstate.done.actor.*`, `xstate.error.actor.*` and `xstate.after.*`: what the machine gets from its effects. */
type EffectEvent = { type: string; output?: StreamSummary; error?: Error };
type ModelEvent = PeerSessionEvent | EffectEvent;
type ModelPath = StatePath<PeerSessionSnapshot, ModelEvent>;

const closeReasonOf = {
  CLOSE_REQUESTED: 'client_request',
  PEER_CLOSED: 'peer_closed',
  PEER_FAILED: 'peer_failed',
  SHUTDOWN: 'server_shutdown',
  SESSION_FAILED: 'error',
} as const satisfies Record<string, CloseReason>;

type CloseEventType = keyof typeof closeReasonOf;

function isCloseEvent(event: PeerSessionEvent): event is Extract<PeerSessionEvent, { type: CloseEventType }> {
  return event.type in closeReasonOf;
}

/** Two tracks at most, with fixed ids, so the model stays finite. */
const sessionEvents: PeerSessionEvent[] = [
  { type: 'TRACK_ADDED', trackId: 'video', kind: 'video' },
  { type: 'TRACK_ADDED', trackId: 'audio', kind: 'audio' },
  { type: 'TRACK_ENDED', trackId: 'video', reason: 'transceiver_stopped' },
  { type: 'TRACK_ENDED', trackId: 'audio', reason: 'inactivity' },
  { type: 'DATA_CHANNEL_OPENED' },
  { type: 'DATA_CHANNEL_CLOSED' },
  ...(Object.keys(closeReasonOf) as CloseEventType[]).map((type) => ({ type })),
];

const effectEventMeaning = new Map<string, { effect: Effect; outcome: EffectOutcome }>();
const effectEventsByState = new Map<string, EffectEvent[]>();
for (const effect of effects) {
  const { state } = effectStates[effect];
  const node = peerSessionMachine.root.states[state];
  const invokeId = node?.invoke[0]?.id;
  const afterEventType = node?.after[0]?.eventType;
  if (!invokeId || !afterEventType) throw new Error(`${state} does not invoke ${effect} with a delay`);
  const done = `xstate.done.actor.${invokeId}`;
  const error = `xstate.error.actor.${invokeId}`;
  effectEventMeaning.set(done, { effect, outcome: 'resolved' });
  effectEventMeaning.set(error, { effect, outcome: 'rejected' });
  effectEventMeaning.set(afterEventType, { effect, outcome: 'timed out' });
  effectEventsByState.set(state, [
    effect === 'closeSession' ? { type: done, output: SUMMARY } : { type: done },
    { type: error, error: new Error(`${effect} rejected`) },
    { type: afterEventType },
  ]);
}

/**
 * The abstract state: state value, each track's status (an ended track whose processor the running
 * stopProcessors call is stopping shows as "stopping"), whether the data channel is open and whether
 * a close reason is set. Fault lists, the summary and which close reason was set are left out.
 */
function abstractState(snapshot: PeerSessionSnapshot): string {
  const { tracks, stoppingTrackIds, dataChannelOpen, closeReason } = snapshot.context;
  const statuses = Object.keys(tracks)
    .sort()
    .map((trackId) => `${trackId}:${stoppingTrackIds.includes(trackId) ? 'stopping' : tracks[trackId]!.status}`);
  return JSON.stringify({ state: snapshot.value, tracks: statuses, dataChannelOpen, closeReasonSet: closeReason !== null });
}

const stateValueOf = (key: string): string => (JSON.parse(key) as { state: string }).state;

const model = new TestModel<PeerSessionSnapshot, ModelEvent, PeerSessionInput>(
  peerSessionMachine as unknown as ActorLogic<PeerSessionSnapshot, ModelEvent, PeerSessionInput>,
  {
    input: { sessionId: 'model' },
    events: (snapshot) => [...sessionEvents, ...(effectEventsByState.get(String(snapshot.value)) ?? [])],
    serializeState: abstractState,
    stopWhen: (snapshot) => snapshot.status === 'done',
  },
);

/** All events that lead from one abstract state to the same other one. */
interface Edge {
  from: string;
  to: string;
  events: ModelEvent[];
  next: PeerSessionSnapshot[];
  walked: boolean[];
}
type Route = Edge[];

function abstractGraph() {
  const adjacency = model.getAdjacencyMap();
  const keys = Object.keys(adjacency) as (keyof typeof adjacency)[];
  const edgesFrom = new Map<string, Edge[]>();
  for (const from of keys) {
    const byTarget = new Map<string, Edge>();
    for (const { event, state } of Object.values(adjacency[from]!.transitions)) {
      const to = abstractState(state);
      if (to === from) continue;
      const edge = byTarget.get(to) ?? { from, to, events: [], next: [], walked: [] };
      edge.events.push(event);
      edge.next.push(state);
      edge.walked.push(false);
      byTarget.set(to, edge);
    }
    edgesFrom.set(from, [...byTarget.values()]);
  }
  const initialKey = keys[0]!;
  return { initialKey, initial: adjacency[initialKey]!.state, edgesFrom, vertices: keys.length };
}

/** Every path from `start` that visits no abstract state twice and stops at the first state `isEnd` accepts. */
function simpleRoutes(edgesFrom: Map<string, Edge[]>, start: string, isEnd: (key: string) => boolean): Route[] {
  const routes: Route[] = [];
  const onRoute = new Set<string>();
  const route: Edge[] = [];
  const extend = (key: string): void => {
    if (route.length > 0 && isEnd(key)) {
      routes.push([...route]);
      return;
    }
    onRoute.add(key);
    for (const edge of edgesFrom.get(key) ?? []) {
      if (onRoute.has(edge.to)) continue;
      route.push(edge);
      extend(edge.to);
      route.pop();
    }
    onRoute.delete(key);
  };
  extend(start);
  return routes;
}

/**
 * The walk plan. Paths are simple in the abstract states: none visits a state twice.
 * `model.getSimplePaths()` is not used: it counts every event between two states as a separate
 * path (five close events, three effect outcomes), which gives millions of paths, and searches
 * once per target state. Even with one path per pair of states, all simple paths from Active to
 * Released are too many to run in a few seconds (their number is printed: over 30,000). They
 * split where ClosingSession is entered: from there on what happens depends only on the abstract
 * state at that point (the data channel guard), not on how it was reached. So each simple path
 * that reaches ClosingSession is walked once, finished by one of the simple paths from its
 * ClosingSession state to Released in rotation, and every such finishing path is walked at least
 * once: the sum of both sets instead of their product. Events between the same two states are
 * taken in rotation, and every transition not walked by then (one that returns to a state that is
 * on every route through it, such as closing the data channel back to the initial state) gets a
 * path of its own, so every transition of the abstract model is walked.
 */
function planWalks() {
  const { initialKey, initial, edgesFrom, vertices } = abstractGraph();
  const heads = simpleRoutes(edgesFrom, initialKey, (key) => stateValueOf(key) === 'ClosingSession');
  const headsByEntry = new Map<string, Route[]>();
  for (const head of heads) {
    const entry = head[head.length - 1]!.to;
    headsByEntry.set(entry, [...(headsByEntry.get(entry) ?? []), head]);
  }
  const routes: Route[] = [];
  let simplePathCount = 0;
  let tailCount = 0;
  for (const [entry, entryHeads] of headsByEntry) {
    const tails = simpleRoutes(edgesFrom, entry, (key) => stateValueOf(key) === 'Released');
    simplePathCount += entryHeads.length * tails.length;
    tailCount += tails.length;
    for (let i = 0; i < Math.max(entryHeads.length, tails.length); i++) {
      routes.push([...entryHeads[i % entryHeads.length]!, ...tails[i % tails.length]!]);
    }
  }

  const turns = new Map<Edge, number>();
  const toPath = (route: Route, choose: (edge: Edge) => number): ModelPath => {
    const steps: ModelPath['steps'] = [{ state: initial, event: { type: 'xstate.init' } }];
    for (const edge of route) {
      const index = choose(edge);
      edge.walked[index] = true;
      steps.push({ state: edge.next[index]!, event: edge.events[index]! });
    }
    return { state: steps[steps.length - 1]!.state, steps, weight: route.length };
  };
  const inRotation = (edge: Edge): number => {
    const turn = turns.get(edge) ?? 0;
    turns.set(edge, turn + 1);
    return turn % edge.events.length;
  };
  const paths = routes.map((route) => toPath(route, inRotation));

  const allEdges = [...edgesFrom.values()].flat();
  for (const edge of allEdges) {
    edge.walked.forEach((walked, index) => {
      if (walked) return;
      const through = routes.find((route) => route.includes(edge));
      if (through) {
        paths.push(toPath(through, (other) => (other === edge ? index : 0)));
        return;
      }
      const toStart = routes.find((route) => route.some((other) => other.from === edge.from));
      const fromEnd = routes.find((route) => route.some((other) => other.from === edge.to));
      const released = stateValueOf(edge.to) === 'Released';
      if (!toStart || (!fromEnd && !released)) {
        throw new Error(`no route through ${edge.from} --${edge.events[index]!.type}--> ${edge.to}`);
      }
      const detour = [
        ...toStart.slice(0, toStart.findIndex((other) => other.from === edge.from)),
        edge,
        ...(fromEnd && !released ? fromEnd.slice(fromEnd.findIndex((other) => other.from === edge.to)) : []),
      ];
      paths.push(toPath(detour, (other) => (other === edge ? index : 0)));
    });
  }
  const transitions = allEdges.reduce((sum, edge) => sum + edge.events.length, 0);
  const walkedTransitions = allEdges.reduce((sum, edge) => sum + edge.walked.filter(Boolean).length, 0);
  return { paths, vertices, transitions, walkedTransitions, simplePathCount, headCount: heads.length, tailCount };
}

async function execute(harness: SessionHarness, event: ModelEvent): Promise<void> {
  if (event.type === 'xstate.init') {
    harness.start();
    return;
  }
  const meaning = effectEventMeaning.get(event.type);
  if (!meaning) {
    harness.send(event as PeerSessionEvent);
    return;
  }
  const { effect, outcome } = meaning;
  if (outcome === 'timed out') return harness.timeOut(effect);
  if (outcome === 'rejected') return harness.reject(effect, (event as EffectEvent).error);
  if (effect === 'closeSession') return harness.resolve('closeSession', (event as EffectEvent).output!);
  return harness.resolve(effect as Exclude<Effect, 'closeSession'>);
}

/**
 * What the documented flow promises once the session is released, judged from the harness log
 * (what the test sent and settled, what the machine invoked) rather than from the machine's context.
 */
function outcomeProblems(harness: SessionHarness): string[] {
  const problems: string[] = [];
  const added = new Set<string>();
  const ended = new Set<string>();
  const stopped = new Set<string>();
  let closeReason: CloseReason | null = null;
  let dataChannelOpen = false;
  let dataChannelOpenAtClose: boolean | null = null;
  let closeSessionOutcome: EffectOutcome | null = null;
  const expectedFaults: string[] = [];
  let untracked = 0;

  for (const entry of harness.log) {
    if (entry.kind === 'untrackSession') untracked++;
    if (entry.kind === 'event') {
      const { event } = entry;
      if (event.type === 'TRACK_ADDED') {
        added.add(event.trackId);
        if (closeReason !== null) ended.add(event.trackId);
      } else if (event.type === 'TRACK_ENDED') {
        ended.add(event.trackId);
      } else if (event.type === 'DATA_CHANNEL_OPENED' || event.type === 'DATA_CHANNEL_CLOSED') {
        dataChannelOpen = event.type === 'DATA_CHANNEL_OPENED';
      } else if (isCloseEvent(event)) {
        closeReason ??= closeReasonOf[event.type];
        for (const trackId of added) ended.add(trackId);
      }
    }
    if (entry.kind === 'call' && entry.effect === 'stopProcessors') {
      const { trackIds } = entry.input as StopProcessorsInput;
      if (trackIds.length === 0) problems.push('stopProcessors invoked with no track');
      for (const trackId of trackIds) {
        if (!ended.has(trackId)) problems.push(`stopProcessors invoked for ${trackId}, which had not ended`);
        if (stopped.has(trackId)) problems.push(`stopProcessors invoked twice for ${trackId}`);
        stopped.add(trackId);
      }
    }
    if (entry.kind === 'call' && entry.effect === 'closeSession') {
      const input = entry.input as CloseSessionInput;
      if (input.closeReason !== (closeReason ?? 'tracks_ended')) problems.push(`closeSession got closeReason ${input.closeReason}`);
      for (const [trackId, track] of Object.entries(input.tracks)) {
        if (track.status !== 'stopped') problems.push(`closeSession invoked with ${trackId} ${track.status}`);
      }
    }
    if (entry.kind === 'call' && entry.effect === 'closePeerConnection' && untracked !== 1) {
      problems.push(`untrackSession ran ${untracked} times before closePeerConnection`);
    }
    if (entry.kind === 'settle') {
      if (entry.effect === 'closeSession') {
        closeSessionOutcome = entry.outcome;
        dataChannelOpenAtClose = dataChannelOpen;
      }
      if (entry.outcome === 'rejected') expectedFaults.push(`${entry.effect} failed: ${entry.error!.message}`);
      if (entry.outcome === 'timed out') expectedFaults.push(`${entry.effect} timed out`);
    }
  }

  for (const trackId of added) if (!stopped.has(trackId)) problems.push(`processor of ${trackId} never stopped`);
  const { snapshot } = harness;
  const expectedReason = closeReason ?? 'tracks_ended';
  if (snapshot.context.closeReason !== expectedReason) {
    problems.push(`closeReason ${snapshot.context.closeReason}, expected ${expectedReason}`);
  }
  const emits = harness.inputsOf('emitSummary');
  const shouldEmit = closeSessionOutcome === 'resolved' && dataChannelOpenAtClose === true;
  if (emits.length !== (shouldEmit ? 1 : 0)) {
    problems.push(`emitSummary invoked ${emits.length} times; data channel open at close: ${dataChannelOpenAtClose}`);
  }
  for (const input of emits) {
    if (input.closeReason !== expectedReason) problems.push(`emitSummary got closeReason ${input.closeReason}`);
    if (input.summary !== SUMMARY) problems.push('emitSummary did not get the summary from closeSession');
  }
  const cleanups = harness.inputsOf('closePeerConnection').length;
  if (cleanups !== 1) problems.push(`closePeerConnection invoked ${cleanups} times`);
  if (untracked !== 1) problems.push(`untrackSession ran ${untracked} times`);
  if (JSON.stringify(snapshot.context.faults) !== JSON.stringify(expectedFaults)) {
    problems.push(`faults ${JSON.stringify(snapshot.context.faults)}, expected ${JSON.stringify(expectedFaults)}`);
  }
  if (snapshot.status !== 'done') problems.push(`actor status ${snapshot.status}`);
  const expectedOutput = closeSessionOutcome === 'resolved' ? SUMMARY : null;
  if (snapshot.output !== expectedOutput) {
    problems.push(`output ${snapshot.output === null ? 'null' : 'a summary'}, expected ${expectedOutput ? 'the summary' : 'null'}`);
  }
  return problems;
}

function describeEvents(path: ModelPath): string {
  return path.steps.map(({ event }) => ('trackId' in event ? `${event.type}(${event.trackId})` : event.type)).join(' -> ');
}

/** Runs the real actor along one model path, checking its abstract state after every step, then the outcome. */
async function walk(path: ModelPath): Promise<void> {
  const harness = new SessionHarness();
  const run = (step: { event: ModelEvent }) => execute(harness, step.event);
  try {
    await model.testPath(path, {
      events: Object.fromEntries(path.steps.map(({ event }) => [event.type, run])),
      states: {
        '*': (expected) => {
          const actual = abstractState(harness.snapshot);
          if (actual !== abstractState(expected)) throw new Error(`real actor in ${actual}`);
        },
      },
    });
    const problems = outcomeProblems(harness);
    if (problems.length > 0) throw new Error(`${problems.join('; ')}\n  on ${describeEvents(path)}`);
  } finally {
    harness.dispose();
  }
}

describe('peerSession machine, model-based', () => {
  const plan = planWalks();

  test('the walk plan covers every transition of the abstract model', () => {
    expect(plan.vertices).toBeGreaterThan(50);
    expect(plan.walkedTransitions).toBe(plan.transitions);
    expect(plan.paths.length).toBeGreaterThanOrEqual(plan.headCount);
    expect(plan.paths.length).toBeGreaterThan(1000);
  });

  test('on every planned path from Active to Released the real actor follows the model and releases cleanly', async () => {
    const started = Date.now();
    const failures: string[] = [];
    for (const path of plan.paths) {
      try {
        await walk(path);
      } catch (error) {
        failures.push((error as Error).message);
        if (failures.length === 5) break;
      }
    }
    console.log(
      `walked ${plan.paths.length} paths in ${Date.now() - started} ms: ` +
        `${plan.headCount} simple paths to ClosingSession, ${plan.tailCount} from there to Released ` +
        `(${plan.simplePathCount} simple paths in all), ${plan.walkedTransitions} of ${plan.transitions} transitions ` +
        `between ${plan.vertices} abstract states`,
    );
    expect(failures).toEqual([]);
  });
});
