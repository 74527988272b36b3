import type { ActorLogic } from 'xstate';
import { TestModel, type StatePath } from 'xstate/graph';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import type { FreezeCountersInput, PeerSessionEvent, PeerSessionInput, StreamSummary } from '../../machines/peerSession.types';
import { effects, effectStates, SessionHarness, SUMMARY, type Effect, type PeerSessionSnapshot } from './peerSessionHarness';
import { closeReasonOf, Reference, stepProblems, summaryFor } from './peerSessionReference';

type EffectOutcome = 'resolved' | 'rejected' | 'timed out';
/** `xstate.done.actor.*`, `xstate.error.actor.*` and `xstate.after.*`: what the machine gets from its effects. */
type EffectEvent = { type: string; output?: StreamSummary; error?: Error };
type ModelEvent = PeerSessionEvent | EffectEvent;
type ModelPath = StatePath<PeerSessionSnapshot, ModelEvent>;

type CloseEventType = keyof typeof closeReasonOf;

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
    effect === 'freezeCounters' ? { type: done, output: SUMMARY } : { type: done },
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

/**
 * An event that leaves the abstract state as it was: a second close event, a track added twice,
 * an end for a track that ended, a data channel event that changes nothing. The machine must
 * still keep its promises (the first close reason, each track's first end reason), so each one
 * is walked too.
 */
interface Loop {
  at: string;
  event: ModelEvent;
  next: PeerSessionSnapshot;
  walked: boolean;
}

function abstractGraph() {
  const adjacency = model.getAdjacencyMap();
  const keys = Object.keys(adjacency) as (keyof typeof adjacency)[];
  const edgesFrom = new Map<string, Edge[]>();
  const loops: Loop[] = [];
  let transitions = 0;
  for (const from of keys) {
    const byTarget = new Map<string, Edge>();
    for (const { event, state } of Object.values(adjacency[from]!.transitions)) {
      transitions++;
      const to = abstractState(state);
      if (to === from) {
        loops.push({ at: from, event, next: state, walked: false });
        continue;
      }
      const edge = byTarget.get(to) ?? { from, to, events: [], next: [], walked: [] };
      edge.events.push(event);
      edge.next.push(state);
      edge.walked.push(false);
      byTarget.set(to, edge);
    }
    edgesFrom.set(from, [...byTarget.values()]);
  }
  const initialKey = keys[0]!;
  return { initialKey, initial: adjacency[initialKey]!.state, edgesFrom, loops, transitions, vertices: keys.length };
}

/** Every path from `start` that visits no abstract state twice and stops at the first state `isEnd` accepts. */
function simpleRoutes(edgesFrom: Map<string, Edge[]>, start: string, isEnd: (key: string) => boolean): Route[] {
  const routes: Route[] = [];
  // A changed machine can grow the abstract model past anything a test can walk: that is a failure too.
  const limit = 50_000;
  const onRoute = new Set<string>();
  const route: Edge[] = [];
  const extend = (key: string): void => {
    if (route.length > 0 && isEnd(key)) {
      routes.push([...route]);
      if (routes.length > limit) throw new Error(`over ${limit} simple routes from ${start}: the abstract model has grown`);
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
 * path of its own. Last, every event that leaves its abstract state unchanged (a Loop) gets a
 * path of its own: a route through its state, in rotation, with the event inserted where the
 * route leaves that state. So every event of the adjacency map, from every abstract state, is
 * walked at least once.
 */
function planWalks() {
  const { initialKey, initial, edgesFrom, loops, transitions, vertices } = abstractGraph();
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
  const toPath = (route: Route, choose: (edge: Edge) => number, loop?: { before: number; loop: Loop }): ModelPath => {
    const steps: ModelPath['steps'] = [{ state: initial, event: { type: 'xstate.init' } }];
    route.forEach((edge, position) => {
      if (loop?.before === position) {
        loop.loop.walked = true;
        steps.push({ state: loop.loop.next, event: loop.loop.event });
      }
      const index = choose(edge);
      edge.walked[index] = true;
      steps.push({ state: edge.next[index]!, event: edge.events[index]! });
    });
    return { state: steps[steps.length - 1]!.state, steps, weight: steps.length - 1 };
  };
  const inRotation = (edge: Edge): number => {
    const turn = turns.get(edge) ?? 0;
    turns.set(edge, turn + 1);
    return turn % edge.events.length;
  };
  const paths = routes.map((route) => toPath(route, inRotation));
  const walkedRoutes = [...routes];

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
      walkedRoutes.push(detour);
      paths.push(toPath(detour, (other) => (other === edge ? index : 0)));
    });
  }

  const routesLeaving = new Map<string, Array<{ route: Route; before: number }>>();
  for (const route of walkedRoutes) {
    route.forEach((edge, before) => {
      if (route.findIndex((other) => other.from === edge.from) !== before) return;
      routesLeaving.set(edge.from, [...(routesLeaving.get(edge.from) ?? []), { route, before }]);
    });
  }
  const loopTurns = new Map<string, number>();
  for (const loop of loops) {
    const through = routesLeaving.get(loop.at);
    if (!through) throw new Error(`no route leaves ${loop.at}, where ${loop.event.type} is to be walked`);
    const turn = loopTurns.get(loop.at) ?? 0;
    loopTurns.set(loop.at, turn + 1);
    const { route, before } = through[turn % through.length]!;
    paths.push(toPath(route, inRotation, { before, loop }));
  }

  const walkedTransitions =
    allEdges.reduce((sum, edge) => sum + edge.walked.filter(Boolean).length, 0) + loops.filter((loop) => loop.walked).length;
  return { paths, vertices, transitions, walkedTransitions, loops: loops.length, simplePathCount, headCount: heads.length, tailCount };
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
  // The summary the counters make of the tracks the machine hands over (the model's own is a placeholder).
  if (effect === 'freezeCounters') return harness.resolve('freezeCounters', summaryFor(harness.pending('freezeCounters').input as FreezeCountersInput));
  return harness.resolve(effect as Exclude<Effect, 'freezeCounters'>);
}

/**
 * What the documented flow promises once the session is released, judged from the harness log
 * (what the test sent and settled, what the machine invoked) rather than from the machine's context.
 */
function outcomeProblems(harness: SessionHarness): string[] {
  const reference = new Reference(harness.log);
  const problems: string[] = [...reference.problems];
  let dataChannelOpen = false;
  let dataChannelOpenAtClose: boolean | null = null;
  let freezeCountersOutcome: EffectOutcome | null = null;
  let untracked = 0;

  for (const entry of harness.log) {
    if (entry.kind === 'untrackSession') untracked++;
    if (entry.kind === 'event' && (entry.event.type === 'DATA_CHANNEL_OPENED' || entry.event.type === 'DATA_CHANNEL_CLOSED')) {
      dataChannelOpen = entry.event.type === 'DATA_CHANNEL_OPENED';
    }
    if (entry.kind === 'call' && entry.effect === 'freezeCounters') {
      const input = entry.input as FreezeCountersInput;
      // The reference has seen the whole log: its close reason and tracks are final by now.
      if (input.closeReason !== reference.closeReason) problems.push(`freezeCounters got closeReason ${input.closeReason}`);
      for (const [trackId, track] of Object.entries(input.tracks)) {
        if (track.status !== 'stopped') problems.push(`freezeCounters invoked with ${trackId} ${track.status}`);
        if (track.endReason !== reference.tracks.get(trackId)?.endReason) problems.push(`freezeCounters got ${trackId} ended by ${track.endReason}`);
      }
    }
    if (entry.kind === 'call' && entry.effect === 'closePeerConnection' && untracked !== 1) {
      problems.push(`untrackSession ran ${untracked} times before closePeerConnection`);
    }
    if (entry.kind === 'settle' && entry.effect === 'freezeCounters') {
      freezeCountersOutcome = entry.outcome;
      dataChannelOpenAtClose = dataChannelOpen;
    }
  }

  for (const [trackId, track] of reference.tracks) if (!track.stopped) problems.push(`processor of ${trackId} never stopped`);
  const { snapshot } = harness;
  if (snapshot.context.closeReason !== reference.closeReason) {
    problems.push(`closeReason ${snapshot.context.closeReason}, expected ${reference.closeReason}`);
  }
  const emits = harness.inputsOf('emitSummary');
  // A failed or hung freezeCounters leaves a partial summary, emitted like the full one.
  const shouldEmit = freezeCountersOutcome !== null && dataChannelOpenAtClose === true;
  if (emits.length !== (shouldEmit ? 1 : 0)) {
    problems.push(`emitSummary invoked ${emits.length} times; data channel open at close: ${dataChannelOpenAtClose}`);
  }
  for (const input of emits) {
    if (input.closeReason !== reference.closeReason) problems.push(`emitSummary got closeReason ${input.closeReason}`);
    if (input.summary === null || input.summary !== reference.summary) problems.push('emitSummary did not get the summary freezeCounters made (or the partial one)');
  }
  if (reference.summary && JSON.stringify(reference.summary.tracks_ended_by) !== JSON.stringify(reference.tracksEndedBy())) {
    problems.push(`summary tracks_ended_by ${JSON.stringify(reference.summary.tracks_ended_by)}, expected ${JSON.stringify(reference.tracksEndedBy())}`);
  }
  const cleanups = harness.inputsOf('closePeerConnection').length;
  if (cleanups !== 1) problems.push(`closePeerConnection invoked ${cleanups} times`);
  if (untracked !== 1) problems.push(`untrackSession ran ${untracked} times`);
  if (JSON.stringify(snapshot.context.faults) !== JSON.stringify(reference.faults)) {
    problems.push(`faults ${JSON.stringify(snapshot.context.faults)}, expected ${JSON.stringify(reference.faults)}`);
  }
  if (snapshot.status !== 'done') problems.push(`actor status ${snapshot.status}`);
  const expectedOutput = reference.summary;
  if (freezeCountersOutcome !== null && freezeCountersOutcome !== 'resolved' && reference.summary?.partial !== true) problems.push('freezeCounters did not resolve, and the summary is not partial');
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
  let previous: PeerSessionSnapshot | null = null;
  const reference = new Reference();
  try {
    await model.testPath(path, {
      events: Object.fromEntries(path.steps.map(({ event }) => [event.type, run])),
      states: {
        '*': (expected) => {
          const actual = abstractState(harness.snapshot);
          if (actual !== abstractState(expected)) throw new Error(`real actor in ${actual}`);
          // The promises hold at every step, not only once the session is released.
          const problems = stepProblems(harness, reference, previous);
          if (problems.length > 0) throw new Error(`${problems.join('; ')}\n  on ${describeEvents(path)}`);
          previous = harness.snapshot;
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
    // Events that leave the abstract state unchanged are walked too.
    expect(plan.loops).toBeGreaterThan(100);
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
        `(${plan.loops} of them leave the abstract state as it was) ` +
        `between ${plan.vertices} abstract states`,
    );
    expect(failures).toEqual([]);
  });
});
