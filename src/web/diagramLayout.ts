/**
 * Where the page draws each state and transition of the machine graph (GET /page/machine.json):
 * a pure, deterministic layout, so the diagram changes exactly when the machine does.
 *
 * States stand in one column, top to bottom, in an order that follows the transitions: the
 * initial state first, then a topological order of the forward transitions (a depth-first walk
 * from the initial state tells the back edges, which return to a state on the current path),
 * ties in definition order. Transitions between the same two states are drawn as one arrow
 * carrying every label. An arrow to the next state runs straight down the middle; one that
 * skips states runs down a lane on the right; one back up (or to its own state) runs up a lane
 * on the left. Lanes are placed clear of the labels they pass.
 */
import type { MachineGraph } from '../../machines/diagram';

export interface NodeBox {
  state: string;
  x: number;
  y: number;
  width: number;
  height: number;
  initial: boolean;
  final: boolean;
}

export interface LabelLine {
  x: number;
  y: number;
  text: string;
}

export type EdgeSide = 'middle' | 'right' | 'left';

export type Point = [x: number, y: number];

export interface EdgeRoute {
  source: string;
  target: string;
  side: EdgeSide;
  /** The arrow's corners, from the source's border to the target's. */
  points: Point[];
  /** The labels of every transition between the two states, in definition order, one a line. */
  labels: LabelLine[];
  anchor: 'start' | 'end';
}

export interface DiagramLayout {
  width: number;
  height: number;
  /** In drawing order, top to bottom. */
  nodes: NodeBox[];
  edges: EdgeRoute[];
  /** The dot and arrow that point at the initial state. */
  start: { cx: number; cy: number; r: number; points: Point[] };
}

/** Sizes in SVG user units; text widths are estimated from character counts (labels use a monospace font). */
export const DIAGRAM_METRICS = {
  nodeHeight: 30,
  nodeMinWidth: 140,
  nodeCharWidth: 8,
  nodePadding: 24,
  labelCharWidth: 6.6,
  lineHeight: 13,
  labelGap: 6,
  minRowGap: 28,
  laneGap: 22,
  /** Arrows leave and enter a node's side this far from its middle (out below, in above, or the reverse). */
  portOffset: 6,
  margin: 10,
  startHeight: 26,
} as const;

const M = DIAGRAM_METRICS;

interface Group {
  source: string;
  target: string;
  labels: string[];
}

/** Transitions between the same two states, in order of first appearance. */
function groupTransitions(graph: MachineGraph): Group[] {
  const groups = new Map<string, Group>();
  for (const { source, target, label } of graph.transitions) {
    const key = JSON.stringify([source, target]);
    const group = groups.get(key) ?? { source, target, labels: [] };
    group.labels.push(label);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Groups whose target is on the path of a depth-first walk from the initial state (then from every state not reached). */
function backEdges(graph: MachineGraph, groups: Group[]): Set<Group> {
  const back = new Set<Group>();
  const visited = new Set<string>();
  const onPath = new Set<string>();
  const walk = (state: string) => {
    visited.add(state);
    onPath.add(state);
    for (const group of groups.filter((g) => g.source === state)) {
      if (onPath.has(group.target)) back.add(group);
      else if (!visited.has(group.target)) walk(group.target);
    }
    onPath.delete(state);
  };
  walk(graph.initial);
  for (const { path } of graph.states) if (!visited.has(path)) walk(path);
  return back;
}

/** The column's order: a topological order of the forward edges, the initial state first, ties in definition order. */
export function stateOrder(graph: MachineGraph): string[] {
  const groups = groupTransitions(graph);
  const back = backEdges(graph, groups);
  const forward = groups.filter((group) => !back.has(group));
  const names = graph.states.map((state) => state.path);
  const rank = (state: string) => (state === graph.initial ? -1 : names.indexOf(state));
  const order: string[] = [];
  const remaining = new Set(names);
  while (remaining.size > 0) {
    const ready = [...remaining].filter((state) => !forward.some((g) => g.target === state && remaining.has(g.source)));
    const next = ready.sort((a, b) => rank(a) - rank(b))[0]!;
    order.push(next);
    remaining.delete(next);
  }
  return order;
}

const labelWidth = (labels: readonly string[]) => Math.max(0, ...labels.map((label) => label.length)) * M.labelCharWidth;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

interface Placed {
  group: Group;
  side: EdgeSide;
  from: number;
  to: number;
  /** Rows the edge's lane covers, top and bottom (equal for a state's transition to itself). */
  low: number;
  high: number;
  loop: boolean;
  laneX: number;
}

/** A lane's labels stand beside it, so lanes that share rows must not share x. A loop blocks its own row. */
const sharesRows = (a: Placed, b: Placed) =>
  a.side === b.side && (a.loop || b.loop ? a.low <= b.high && b.low <= a.high : a.low < b.high && b.low < a.high);

/** Loops leave and enter closer to the middle, so the arrows of other lanes pass above and below them. */
const portOf = (p: Placed) => (p.loop ? M.portOffset / 2 : M.portOffset);

/** The space below each row: room for the labels of the arrow straight down it, and for the lanes' labels. */
function rowGaps(rows: number, placed: Placed[]): number[] {
  const gaps = Array.from({ length: rows - 1 }, (_, gap) => {
    const lines = sum(placed.filter((p) => p.side === 'middle' && p.from === gap).map((p) => p.group.labels.length));
    return Math.max(M.minRowGap, lines * M.lineHeight + 2 * M.labelGap);
  });
  for (const p of placed.filter((p) => p.side !== 'middle')) {
    const labelsHeight = p.group.labels.length * M.lineHeight + 2 * M.labelGap;
    if (p.loop) {
      // A loop's labels hang below its lower port, into the gap under its row.
      const short = portOf(p) + labelsHeight - M.nodeHeight / 2 - (gaps[p.low] ?? Infinity);
      if (short > 0) gaps[p.low]! += short;
      continue;
    }
    const short = labelsHeight - ((p.high - p.low) * M.nodeHeight + sum(gaps.slice(p.low, p.high)) - 2 * portOf(p));
    if (short > 0) gaps[p.low]! += short;
  }
  return gaps;
}

/** Lanes, shortest first, each clear of the middle labels it passes and of the lanes (with their labels) it shares rows with. */
function placeLanes(placed: Placed[], half: number): void {
  const middleLabelsWidth = (gap: number) =>
    Math.max(0, ...placed.filter((p) => p.side === 'middle' && p.from === gap).map((p) => labelWidth(p.group.labels)));
  const lanes = placed.filter((p) => p.side !== 'middle').sort((a, b) => a.high - a.low - (b.high - b.low) || a.low - b.low);
  const done: Placed[] = [];
  for (const lane of lanes) {
    const shared = done.filter((p) => sharesRows(p, lane));
    if (lane.side === 'right') {
      const passed = Array.from({ length: lane.high - lane.low }, (_, i) => M.labelGap + middleLabelsWidth(lane.low + i));
      lane.laneX = Math.max(half, ...passed, ...shared.map((p) => p.laneX + M.labelGap + labelWidth(p.group.labels))) + M.laneGap;
    } else {
      lane.laneX = Math.min(-half, ...shared.map((p) => p.laneX - M.labelGap - labelWidth(p.group.labels))) - M.laneGap;
    }
    done.push(lane);
  }
}

/** The arrow's corners and label lines, in the unshifted frame (the column's middle at x = 0). */
function route(p: Placed, rowY: readonly number[], half: number): EdgeRoute {
  const { source, target, labels } = p.group;
  const column = (x: number, firstY: number): LabelLine[] => labels.map((text, i) => ({ x, y: firstY + i * M.lineHeight, text }));
  const centred = (yFrom: number, yTo: number) => (yFrom + yTo) / 2 - ((labels.length - 1) * M.lineHeight) / 2 + M.lineHeight / 3;
  if (p.side === 'middle') {
    const y1 = rowY[p.from]! + M.nodeHeight;
    const y2 = rowY[p.to]!;
    return { source, target, side: p.side, points: [[0, y1], [0, y2]], labels: column(M.labelGap, centred(y1, y2)), anchor: 'start' };
  }
  const sign = p.side === 'right' ? 1 : -1;
  const y1 = rowY[p.from]! + M.nodeHeight / 2 + sign * portOf(p);
  const y2 = rowY[p.to]! + M.nodeHeight / 2 - sign * portOf(p);
  const points: Point[] = [[sign * half, y1], [p.laneX, y1], [p.laneX, y2], [sign * half, y2]];
  const firstY = p.loop ? Math.max(y1, y2) + M.labelGap + M.lineHeight * 0.7 : centred(y1, y2);
  return { source, target, side: p.side, points, labels: column(p.laneX + sign * M.labelGap, firstY), anchor: p.side === 'right' ? 'start' : 'end' };
}

export function layoutDiagram(graph: MachineGraph): DiagramLayout {
  const order = stateOrder(graph);
  const row = new Map(order.map((state, index) => [state, index]));
  const placed = groupTransitions(graph).map((group): Placed => {
    const from = row.get(group.source)!;
    const to = row.get(group.target)!;
    const side: EdgeSide = to === from + 1 ? 'middle' : to > from ? 'right' : 'left';
    return { group, side, from, to, low: Math.min(from, to), high: Math.max(from, to), loop: from === to, laneX: 0 };
  });
  const gaps = rowGaps(order.length, placed);
  const top = M.margin + M.startHeight;
  const rowY = order.map((_, index) => top + index * M.nodeHeight + sum(gaps.slice(0, index)));
  const nodeWidth = Math.max(M.nodeMinWidth, ...order.map((state) => state.length * M.nodeCharWidth + M.nodePadding));
  const half = nodeWidth / 2;
  placeLanes(placed, half);
  const edges = placed.map((p) => route(p, rowY, half));

  // Shift everything right so that the leftmost label starts at the margin.
  const extent = (e: EdgeRoute, l: LabelLine) => (e.anchor === 'end' ? -1 : 1) * l.text.length * M.labelCharWidth;
  const xs = edges.flatMap((e) => e.labels.flatMap((l) => [l.x, l.x + extent(e, l)]));
  const leftmost = Math.min(-half, ...xs);
  const rightmost = Math.max(half, ...xs);
  const bottom = Math.max(rowY[order.length - 1]! + M.nodeHeight, ...edges.flatMap((e) => e.labels.map((l) => l.y + M.lineHeight / 3)));
  const shift = (x: number) => round(x + M.margin - leftmost);
  const finals = new Set(graph.states.filter((state) => state.type === 'final').map((state) => state.path));
  const startY = M.margin + 5;
  return {
    width: round(rightmost - leftmost + 2 * M.margin),
    height: round(bottom + M.margin),
    nodes: order.map((state, index) => ({
      state,
      x: shift(-half),
      y: round(rowY[index]!),
      width: nodeWidth,
      height: M.nodeHeight,
      initial: state === graph.initial,
      final: finals.has(state),
    })),
    edges: edges.map((edge) => ({
      ...edge,
      points: edge.points.map(([x, y]): Point => [shift(x), round(y)]),
      labels: edge.labels.map((line) => ({ ...line, x: shift(line.x), y: round(line.y) })),
    })),
    start: { cx: shift(0), cy: startY, r: 5, points: [[shift(0), startY + 5], [shift(0), round(rowY[order.indexOf(graph.initial)]!)]] },
  };
}

/** SVG path data through the points (straight segments). */
export const pathData = (points: readonly Point[]): string => points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'} ${x} ${y}`).join(' ');

const round = (n: number) => Math.round(n * 10) / 10;
