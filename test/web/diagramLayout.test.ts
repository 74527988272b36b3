import { createMachine } from 'xstate';
import { machineGraph, type MachineGraph } from '../../machines/diagram';
import { peerSessionMachine } from '../../machines/peerSession.machine';
import { DIAGRAM_METRICS, layoutDiagram, pathData, stateOrder, type DiagramLayout } from '../../src/web/diagramLayout';
import { timelineRows } from '../../src/web/lifecycleView';

const graph = machineGraph(peerSessionMachine);
const layout = layoutDiagram(graph);
const CHAIN = ['Active', 'TrackEnding', 'StoppingProcessor', 'ClosingSession', 'EmittingSummary', 'Cleanup', 'Released'];

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  what: string;
}

/** Estimated boxes of every label line (the layout's own character width), and of every node. */
function labelBoxes(diagram: DiagramLayout): Box[] {
  return diagram.edges.flatMap((edge) =>
    edge.labels.map((line) => {
      const width = line.text.length * DIAGRAM_METRICS.labelCharWidth;
      const left = edge.anchor === 'start' ? line.x : line.x - width;
      return { left, right: left + width, top: line.y - 9, bottom: line.y + 3, what: `label "${line.text}"` };
    }),
  );
}

function nodeBoxes(diagram: DiagramLayout): Box[] {
  return diagram.nodes.map((n) => ({ left: n.x, right: n.x + n.width, top: n.y, bottom: n.y + n.height, what: `node ${n.state}` }));
}

/** Each straight piece of every arrow, as a thin box. */
function segmentBoxes(diagram: DiagramLayout): Box[] {
  return diagram.edges.flatMap((edge) =>
    edge.points.slice(1).map(([x2, y2], i) => {
      const [x1, y1] = edge.points[i]!;
      return { left: Math.min(x1, x2), right: Math.max(x1, x2), top: Math.min(y1, y2), bottom: Math.max(y1, y2), what: `arrow ${edge.source}->${edge.target}` };
    }),
  );
}

const overlap = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function collisions(as: Box[], bs: Box[]): string[] {
  return as.flatMap((a, i) => bs.filter((b, j) => (as !== bs || j > i) && overlap(a, b)).map((b) => `${a.what} / ${b.what}`));
}

/** A graph with only the transitions `keep` accepts. */
const without = (keep: (t: MachineGraph['transitions'][number]) => boolean): MachineGraph => ({ ...graph, transitions: graph.transitions.filter(keep) });

describe('lifecycle diagram layout', () => {
  it('puts the states in one column in the order of the flow, Active on top and Released (final) at the bottom', () => {
    expect(stateOrder(graph)).toEqual(CHAIN);
    expect(layout.nodes.map((n) => n.state)).toEqual(CHAIN);
    expect(layout.nodes.filter((n) => n.initial).map((n) => n.state)).toEqual(['Active']);
    expect(layout.nodes.filter((n) => n.final).map((n) => n.state)).toEqual(['Released']);
    for (const [above, below] of layout.nodes.slice(1).map((n, i) => [layout.nodes[i]!, n] as const)) {
      expect(below.y).toBeGreaterThan(above.y + above.height);
      expect(below.x).toBe(above.x);
    }
  });

  it('draws one arrow per pair of states, carrying the label of every transition between them', () => {
    const pairs = [...new Set(graph.transitions.map((t) => `${t.source}->${t.target}`))];
    expect(layout.edges.map((e) => `${e.source}->${e.target}`)).toEqual(pairs);
    expect(layout.edges.flatMap((e) => e.labels.map((l) => `${e.source}->${e.target} : ${l.text}`)).sort()).toEqual(
      graph.transitions.map((t) => `${t.source}->${t.target} : ${t.label}`).sort(),
    );
  });

  it('runs arrows to the next state down the middle, skips on the right and back edges on the left', () => {
    const side = Object.fromEntries(layout.edges.map((e) => [`${e.source}->${e.target}`, e.side]));
    expect(side).toEqual({
      'Active->TrackEnding': 'middle',
      'TrackEnding->StoppingProcessor': 'middle',
      'TrackEnding->Active': 'left',
      'TrackEnding->ClosingSession': 'right',
      'StoppingProcessor->TrackEnding': 'left',
      'ClosingSession->Cleanup': 'right',
      'ClosingSession->EmittingSummary': 'middle',
      'EmittingSummary->Cleanup': 'middle',
      'Cleanup->Released': 'middle',
    });
    const node = Object.fromEntries(layout.nodes.map((n) => [n.state, n]));
    for (const edge of layout.edges) {
      const [[x1, y1], [x2, y2]] = [edge.points[0]!, edge.points.at(-1)!];
      const source = node[edge.source]!;
      const target = node[edge.target]!;
      // Starts on the source's border and ends on the target's.
      expect(x1 >= source.x && x1 <= source.x + source.width && y1 >= source.y && y1 <= source.y + source.height).toBe(true);
      expect(x2 >= target.x && x2 <= target.x + target.width && y2 >= target.y && y2 <= target.y + target.height).toBe(true);
      const lane = edge.points[1]![0];
      if (edge.side === 'left') expect(lane).toBeLessThan(source.x);
      if (edge.side === 'right') expect(lane).toBeGreaterThan(source.x + source.width);
    }
    expect(pathData(layout.edges[0]!.points)).toMatch(/^M [\d.]+ [\d.]+ L [\d.]+ [\d.]+$/);
  });

  it('keeps every label clear of the other labels, the states and the arrows, and everything inside the picture', () => {
    const labels = labelBoxes(layout);
    const nodes = nodeBoxes(layout);
    expect(collisions(labels, labels)).toEqual([]);
    expect(collisions(labels, nodes)).toEqual([]);
    expect(collisions(labels, segmentBoxes(layout))).toEqual([]);
    for (const box of [...labels, ...nodes]) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(layout.width);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.bottom).toBeLessThanOrEqual(layout.height);
    }
  });

  it('is a function of the graph: the same graph gives the same layout, and the graph is left as it was', () => {
    const copy = structuredClone(graph);
    expect(layoutDiagram(copy)).toEqual(layout);
    expect(copy).toEqual(graph);
  });

  it('follows the machine: a transition removed or added changes the arrows', () => {
    const withoutA3 = layoutDiagram(without((t) => !(t.source === 'TrackEnding' && t.target === 'Active')));
    expect(withoutA3.edges.map((e) => `${e.source}->${e.target}`)).not.toContain('TrackEnding->Active');
    expect(withoutA3.nodes.map((n) => n.state)).toEqual(CHAIN);

    const machine = createMachine({
      id: 'tiny',
      initial: 'Idle',
      states: {
        Done: { type: 'final' },
        Idle: { on: { GO: 'Busy' } },
        Busy: { on: { FINISH: 'Done', RESET: 'Idle', AGAIN: 'Busy' } },
      },
    });
    const tiny = layoutDiagram(machineGraph(machine));
    expect(tiny.nodes.map((n) => n.state)).toEqual(['Idle', 'Busy', 'Done']);
    expect(tiny.edges.map((e) => [`${e.source}->${e.target}`, e.side])).toEqual([
      ['Idle->Busy', 'middle'],
      ['Busy->Done', 'middle'],
      ['Busy->Idle', 'left'],
      ['Busy->Busy', 'left'],
    ]);
    const tinyLabels = labelBoxes(tiny);
    expect(collisions(tinyLabels, tinyLabels)).toEqual([]);
    expect(collisions(tinyLabels, nodeBoxes(tiny))).toEqual([]);
    expect(collisions(tinyLabels, segmentBoxes(tiny))).toEqual([]);
  });

  it('gives lanes that overlap room for each other\'s labels', () => {
    // Two skips over the same states: the outer lane passes the inner one's labels.
    const skips: MachineGraph = {
      id: 'skips',
      initial: 'A',
      states: ['A', 'B', 'C', 'D'].map((path) => ({ path, type: path === 'D' ? 'final' : 'atomic' })),
      transitions: [
        ['A', 'B', 'next'],
        ['B', 'C', 'next'],
        ['C', 'D', 'next'],
        ['A', 'C', 'skip one'],
        ['A', 'D', 'skip two with a long label'],
        ['D', 'A', 'back to the start'],
        ['C', 'B', 'back one'],
        ['D', 'B', 'back two'],
      ].map(([source, target, label]) => ({ source: source!, target: target!, kind: 'event' as const, trigger: label!, guard: null, label: label! })),
    };
    const diagram = layoutDiagram(skips);
    expect(diagram.nodes.map((n) => n.state)).toEqual(['A', 'B', 'C', 'D']);
    const labels = labelBoxes(diagram);
    expect(collisions(labels, labels)).toEqual([]);
    expect(collisions(labels, nodeBoxes(diagram))).toEqual([]);
    expect(collisions(labels, segmentBoxes(diagram))).toEqual([]);
  });
});

describe('timeline rows', () => {
  it('gives each state entered its time after the first entry, repeated states included', () => {
    const timeline = [
      { state: 'Active', at: 1_700_000_000_000 },
      { state: 'TrackEnding', at: 1_700_000_001_234 },
      { state: 'StoppingProcessor', at: 1_700_000_001_235 },
      { state: 'TrackEnding', at: 1_700_000_001_240 },
      { state: 'Released', at: 1_700_000_001_300 },
    ];
    expect(timelineRows(timeline)).toEqual([
      { state: 'Active', offsetMs: 0, text: '+0 ms' },
      { state: 'TrackEnding', offsetMs: 1234, text: '+1234 ms' },
      { state: 'StoppingProcessor', offsetMs: 1235, text: '+1235 ms' },
      { state: 'TrackEnding', offsetMs: 1240, text: '+1240 ms' },
      { state: 'Released', offsetMs: 1300, text: '+1300 ms' },
    ]);
    expect(timelineRows([])).toEqual([]);
  });
});
