import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMachine, type AnyStateMachine } from 'xstate';
import { exportFiles, machineGraph, toMermaid, topLevelStates, topLevelTransitions } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';

const machinesDir = join(__dirname, '..', '..', 'machines');

const transitions = topLevelTransitions(peerSessionMachine);
const edge = (source: string, target: string, label: string) => `${source} -> ${target} : ${label}`;
const machineEdges = transitions.map((t) => edge(t.source, t.target, t.label));

/**
 * The "State Transitions" diagram of the documented flow, as the machine expresses it. The
 * documented StoppingProcessor -> ClosingSession goes through TrackEnding, which decides again
 * after every stop (A3 back to Active, more tracks to stop, or close); the documented "Closed"
 * state is the guarded outcome of freezeCounters (data channel open or not, A1).
 */
const documentedEdges = [
  edge('Active', 'TrackEnding', 'TRACK_ENDED [isLiveTrack]'),
  edge('TrackEnding', 'StoppingProcessor', 'always [processorRunning]'),
  edge('StoppingProcessor', 'TrackEnding', 'stopProcessors done'),
  edge('TrackEnding', 'ClosingSession', 'always [else]'),
  edge('ClosingSession', 'EmittingSummary', 'freezeCounters done [else]'),
  edge('ClosingSession', 'Cleanup', 'freezeCounters done [dataChannelNotOpen]'),
  edge('EmittingSummary', 'Cleanup', 'emitSummary done'),
  edge('Cleanup', 'Released', 'closePeerConnection done'),
];

/** Transitions beyond the documented diagram, each with the reason it exists. */
const additionalEdges: Record<string, string> = {
  [edge('TrackEnding', 'Active', 'always [moreTracksRemain]')]: 'A3: another track is still live',
  [edge('Active', 'TrackEnding', 'CLOSE_REQUESTED')]: 'the client asks to close: every live track ends',
  [edge('Active', 'TrackEnding', 'PEER_CLOSED')]: 'the peer connection closed: every live track ends',
  [edge('Active', 'TrackEnding', 'PEER_FAILED')]: 'the peer connection failed: every live track ends',
  [edge('Active', 'TrackEnding', 'SHUTDOWN')]: 'A5: server shutdown ends every live track',
  [edge('Active', 'TrackEnding', 'SESSION_FAILED')]: 'the server could not run the session: every live track ends',
  [edge('StoppingProcessor', 'TrackEnding', 'stopProcessors error')]: 'a failed stop is recorded as a fault, closing goes on',
  [edge('StoppingProcessor', 'TrackEnding', 'after stopTimeout')]: 'a hung stop is bounded by stopTimeout',
  [edge('ClosingSession', 'Cleanup', 'freezeCounters error [dataChannelNotOpen]')]: 'a failed close is a fault; the partial summary is kept, A1: not emitted',
  [edge('ClosingSession', 'EmittingSummary', 'freezeCounters error [else]')]: 'a failed close is a fault; the partial summary is emitted',
  [edge('ClosingSession', 'Cleanup', 'after closeTimeout [dataChannelNotOpen]')]: 'a hung close is bounded by closeTimeout; the partial summary is kept, A1: not emitted',
  [edge('ClosingSession', 'EmittingSummary', 'after closeTimeout [else]')]: 'a hung close is bounded by closeTimeout; the partial summary is emitted',
  [edge('EmittingSummary', 'Cleanup', 'emitSummary error')]: 'summary delivery is best effort',
  [edge('EmittingSummary', 'Cleanup', 'after emitTimeout')]: 'a hung emission is bounded by emitTimeout',
  [edge('Cleanup', 'Released', 'closePeerConnection error')]: 'A4: a cleanup error is logged, the session is released',
  [edge('Cleanup', 'Released', 'after cleanupTimeout')]: 'a hung peer connection close is bounded by cleanupTimeout',
};

describe('peerSession machine diagram', () => {
  test('the top-level states are the documented ones, with Released final', () => {
    expect(topLevelStates(peerSessionMachine)).toEqual([
      { path: 'Active', type: 'atomic' },
      { path: 'TrackEnding', type: 'atomic' },
      { path: 'StoppingProcessor', type: 'atomic' },
      { path: 'ClosingSession', type: 'atomic' },
      { path: 'EmittingSummary', type: 'atomic' },
      { path: 'Cleanup', type: 'atomic' },
      { path: 'Released', type: 'final' },
    ]);
  });

  test('the machine has every transition of the documented diagram', () => {
    expect(machineEdges).toEqual(expect.arrayContaining(documentedEdges));
  });

  test('the machine has no transition beyond the documented ones and those listed with a reason', () => {
    expect([...machineEdges].sort()).toEqual([...documentedEdges, ...Object.keys(additionalEdges)].sort());
  });

  test('transitions of the root node only run actions, so the top-level transitions are complete', () => {
    const rootTransitions = [...peerSessionMachine.root.transitions.values()].flat();
    expect(rootTransitions.map((t) => String(t.eventType)).sort()).toEqual(['DATA_CHANNEL_CLOSED', 'DATA_CHANNEL_OPENED']);
    expect(rootTransitions.every((t) => t.target === undefined)).toBe(true);
    expect(peerSessionMachine.root.always ?? []).toEqual([]);
  });

  test('the Mermaid diagram has the initial state, every transition with its label, and Released as the end', () => {
    const lines = toMermaid(peerSessionMachine).split('\n').map((line) => line.trim());
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('[*] --> Active');
    expect(lines).toContain('Released --> [*]');
    const drawn = lines.filter((line) => line.includes(' --> ') && !line.includes('[*]'));
    expect(drawn).toEqual(transitions.map((t) => `${t.source} --> ${t.target} : ${t.label}`));
  });

  test.each(Object.keys(exportFiles(peerSessionMachine)))('machines/%s is up to date with the machine (npm run machines:export)', (name) => {
    const committed = readFileSync(join(machinesDir, name), 'utf8');
    expect(committed).toBe(exportFiles(peerSessionMachine)[name]);
  });
});

/** The peer-session machine with its config changed by `edit`, for checking that the graph follows the definition. */
function editedMachine(edit: (states: Record<string, Record<string, unknown>>) => void): AnyStateMachine {
  const { config } = peerSessionMachine;
  const states = Object.fromEntries(Object.entries(config.states ?? {}).map(([name, node]) => [name, { ...node }])) as Record<
    string,
    Record<string, unknown>
  >;
  edit(states);
  return createMachine({ ...config, id: 'edited', states } as never);
}

const arrows = (machine: AnyStateMachine) => machineGraph(machine).transitions.map((t) => `${t.source} -> ${t.target} : ${t.label}`);

describe('machine graph (what the page draws)', () => {
  test('is the machine\'s initial state, its top-level states and every targeted transition', () => {
    const graph = machineGraph(peerSessionMachine);
    expect(graph).toEqual({
      id: 'peerSession',
      initial: 'Active',
      states: topLevelStates(peerSessionMachine),
      transitions: topLevelTransitions(peerSessionMachine),
    });
    expect(graph.transitions.map((t) => `${t.source} -> ${t.target} : ${t.label}`).sort()).toEqual(
      [...documentedEdges, ...Object.keys(additionalEdges)].sort(),
    );
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  test('follows the definition: a transition removed or added changes it', () => {
    const unchanged = arrows(editedMachine(() => {}));
    expect(unchanged).toEqual(arrows(peerSessionMachine));
    expect(unchanged).toContain('TrackEnding -> Active : always [moreTracksRemain]');

    const withoutA3 = arrows(
      editedMachine((states) => {
        states.TrackEnding!.always = (states.TrackEnding!.always as Array<{ guard?: string }>).filter((t) => t.guard !== 'moreTracksRemain');
      }),
    );
    expect(withoutA3).not.toContain('TrackEnding -> Active : always [moreTracksRemain]');
    expect(withoutA3).toHaveLength(unchanged.length - 1);

    const withRetry = arrows(
      editedMachine((states) => {
        states.Cleanup!.on = { ...(states.Cleanup!.on as object), RETRY: { target: 'Active' } };
      }),
    );
    expect([...withRetry].sort()).toEqual([...unchanged, 'Cleanup -> Active : RETRY'].sort());
  });

  test('a state added to the definition is a state of the graph', () => {
    const graph = machineGraph(editedMachine((states) => {
      states.Paused = { on: { RESUME: { target: 'Active' } } };
    }));
    expect(graph.states.map((s) => s.path)).toEqual([...topLevelStates(peerSessionMachine).map((s) => s.path), 'Paused']);
    expect(graph.transitions.at(-1)).toMatchObject({ source: 'Paused', target: 'Active', label: 'RESUME' });
  });
});
