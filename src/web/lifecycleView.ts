/// <reference lib="dom" />
/**
 * The session's lifecycle on the page: the machine's diagram (drawn from GET /page/machine.json,
 * which the server generates from the machine definition) with the current state lit, and the
 * timeline of the states the session entered beside it. SVG is built by DOM calls, so the
 * page's Content-Security-Policy (no inline style or script) holds.
 */
import type { MachineGraph } from '../../machines/diagram';
import { layoutDiagram, pathData, type DiagramLayout } from './diagramLayout';
import type { SessionView, TimelineEntry } from '../protocol';

const SVG = 'http://www.w3.org/2000/svg';
const ARROW_ID = 'lifecycle-arrow';

export interface TimelineRow {
  state: string;
  /** Milliseconds after the first entry. */
  offsetMs: number;
  text: string;
}

/** The timeline as shown: each state with its time after the first entry, e.g. "+1234 ms". */
export function timelineRows(timeline: readonly TimelineEntry[]): TimelineRow[] {
  const first = timeline[0]?.at ?? 0;
  return timeline.map(({ state, at }) => ({ state, offsetMs: at - first, text: `+${at - first} ms` }));
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function text(x: number, y: number, content: string, className: string, anchor = 'start'): SVGTextElement {
  const node = svg('text', { x, y, class: className, 'text-anchor': anchor });
  node.textContent = content;
  return node;
}

function arrowMarker(): SVGDefsElement {
  const defs = svg('defs');
  const marker = svg('marker', { id: ARROW_ID, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }));
  defs.append(marker);
  return defs;
}

/** Draws the layout into `target` (replacing what it held): one `g.state-node[data-state]` per state. */
export function drawDiagram(target: SVGSVGElement, layout: DiagramLayout): void {
  target.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
  target.setAttribute('width', String(layout.width));
  target.setAttribute('height', String(layout.height));
  const { start } = layout;
  const edges = layout.edges.map((edge) => {
    const group = svg('g', { class: `transition ${edge.side}` });
    group.dataset.source = edge.source;
    group.dataset.target = edge.target;
    group.append(svg('path', { d: pathData(edge.points), 'marker-end': `url(#${ARROW_ID})` }));
    for (const line of edge.labels) group.append(text(line.x, line.y, line.text, 'transition-label', edge.anchor));
    return group;
  });
  const nodes = layout.nodes.map((node) => {
    const group = svg('g', { class: `state-node${node.final ? ' final' : ''}` });
    group.dataset.state = node.state;
    group.append(svg('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: 8 }));
    if (node.final) group.append(svg('rect', { x: node.x + 3, y: node.y + 3, width: node.width - 6, height: node.height - 6, rx: 6, class: 'inner' }));
    group.append(text(node.x + node.width / 2, node.y + node.height / 2 + 4.5, node.state, 'state-name', 'middle'));
    return group;
  });
  const startMarker = svg('g', { class: 'start' });
  startMarker.append(svg('circle', { cx: start.cx, cy: start.cy, r: start.r }), svg('path', { d: pathData(start.points), 'marker-end': `url(#${ARROW_ID})` }));
  target.replaceChildren(arrowMarker(), startMarker, ...edges, ...nodes);
}

/** Lights the current state (class `lit`, `aria-current`) and marks the states the session went through. */
export function lightState(target: SVGSVGElement, current: string, visited: ReadonlySet<string>): void {
  for (const node of target.querySelectorAll<SVGGElement>('g.state-node')) {
    const state = node.dataset.state ?? '';
    node.classList.toggle('lit', state === current);
    node.classList.toggle('visited', visited.has(state) && state !== current);
    if (state === current) node.setAttribute('aria-current', 'step');
    else node.removeAttribute('aria-current');
  }
  target.dataset.litState = current;
}

export function renderTimeline(list: HTMLElement, timeline: readonly TimelineEntry[]): void {
  list.replaceChildren(
    ...timelineRows(timeline).map((row, index, rows) => {
      const item = document.createElement('li');
      if (index === rows.length - 1) item.className = 'current';
      item.dataset.state = row.state;
      item.dataset.offsetMs = String(row.offsetMs);
      const name = document.createElement('span');
      name.className = 'state';
      name.textContent = row.state;
      const time = document.createElement('time');
      time.textContent = row.text;
      item.append(name, ' ', time);
      return item;
    }),
  );
}

export interface LifecycleView {
  /** Shows a session record: its state lit, its timeline beside the diagram. */
  show(record: SessionView): void;
}

/**
 * Fetches the machine's graph and draws it into #lifecycle-diagram, the timeline going to
 * #timeline; records shown before the graph arrives are applied once it is drawn. `onError`
 * hears a graph that could not be loaded.
 */
export function loadLifecycleView(onError: (message: string) => void): LifecycleView {
  const diagram = document.querySelector<SVGSVGElement>('svg#lifecycle-diagram');
  const timeline = document.getElementById('timeline');
  if (!diagram || !timeline) throw new Error('the page has no #lifecycle-diagram or #timeline');
  let drawn = false;
  let latest: SessionView | null = null;
  const apply = () => {
    if (!latest) return;
    renderTimeline(timeline, latest.timeline);
    if (drawn) lightState(diagram, latest.state, new Set(latest.timeline.map((entry) => entry.state)));
  };
  void fetch('/page/machine.json', { cache: 'no-store' })
    .then(async (response) => {
      if (!response.ok) throw new Error(`GET /page/machine.json answered ${response.status}`);
      drawDiagram(diagram, layoutDiagram((await response.json()) as MachineGraph));
      drawn = true;
      apply();
    })
    .catch((error: unknown) => onError(`the lifecycle diagram could not be drawn: ${(error as Error).message}`));
  return {
    show(record) {
      latest = record;
      apply();
    },
  };
}
