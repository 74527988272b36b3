/**
 * A line chart as a hand-written SVG file (no dependency): axes with ticks, one polyline per
 * series, a legend. The x axis is categorical (the measured K values, evenly spaced, so that
 * K = 1 and K = 200 are both readable); the y axis is linear from 0 to a rounded maximum.
 * A point may be drawn hollow (e.g. a maximum standing in for a p95 with too few samples);
 * a missing point (null) breaks the line.
 */

export interface Point {
  x: number;
  y: number | null;
  /** Drawn as an open circle: a value of another kind, explained by `hollowNote`. */
  hollow?: boolean;
}

export interface Series {
  name: string;
  points: Point[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Format of the y tick labels (default: the number as it is). */
  yFormat?: (value: number) => string;
  /** The legend line explaining hollow points, shown when any point is hollow. */
  hollowNote?: string;
  /** The y axis reaches at least this (e.g. 1 for a share). */
  yMinTop?: number;
  /** A logarithmic y axis (ticks at powers of ten), for values spanning orders of magnitude; values must be > 0. */
  yLog?: boolean;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 70, right: 170, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (value: number): string => String(Math.round(value * 10) / 10);

/** A "nice" step (1, 2 or 5 times a power of ten) that divides [0, top] into about 5 ticks. */
function niceStep(top: number): number {
  const raw = top / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!;
}

export function lineChart(spec: ChartSpec): string {
  const xs = [...new Set(spec.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = spec.series.flatMap((s) => s.points.flatMap((p) => (p.y === null ? [] : [p.y])));
  const highest = Math.max(spec.yMinTop ?? 0, ...ys, 0);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xAt = (x: number) => MARGIN.left + (xs.length === 1 ? plotW / 2 : (xs.indexOf(x) / (xs.length - 1)) * plotW);
  let ticks: number[];
  let yAt: (y: number) => number;
  if (spec.yLog) {
    const low = Math.floor(Math.log10(Math.min(...ys.filter((y) => y > 0), highest || 1)));
    const high = Math.max(low + 1, Math.ceil(Math.log10(highest || 1)));
    ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
    yAt = (y: number) => MARGIN.top + plotH - ((Math.log10(Math.max(y, 10 ** low)) - low) / (high - low)) * plotH;
  } else {
    const step = highest > 0 ? niceStep(highest) : 1;
    const top = Math.max(step, Math.ceil(highest / step) * step);
    ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
    yAt = (y: number) => MARGIN.top + plotH - (y / top) * plotH;
  }
  const format = spec.yFormat ?? ((v: number) => String(Math.round(v * 1e6) / 1e6));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  // y ticks and grid lines
  for (const value of ticks) {
    const y = fixed(yAt(value));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${MARGIN.left - 5}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="black"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escape(format(value))}</text>`);
  }
  // x ticks
  for (const x of xs) {
    const px = fixed(xAt(x));
    out.push(`<line x1="${px}" y1="${MARGIN.top + plotH}" x2="${px}" y2="${MARGIN.top + plotH + 5}" stroke="black"/>`);
    out.push(`<text x="${px}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${x}</text>`);
  }
  // axes and their labels
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escape(spec.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">${escape(spec.yLabel)}</text>`,
  );
  // one polyline per run of defined points, markers, legend
  spec.series.forEach((series, index) => {
    const colour = COLOURS[index % COLOURS.length]!;
    const dash = DASHES[index % DASHES.length]!;
    const runs: Point[][] = [[]];
    for (const point of [...series.points].sort((a, b) => a.x - b.x)) {
      if (point.y === null) runs.push([]);
      else runs[runs.length - 1]!.push(point);
    }
    for (const run of runs.filter((r) => r.length > 1)) {
      const coords = run.map((p) => `${fixed(xAt(p.x))},${fixed(yAt(p.y!))}`).join(' ');
      out.push(`<polyline points="${coords}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    for (const point of series.points.filter((p) => p.y !== null)) {
      const fill = point.hollow ? 'white' : colour;
      out.push(`<circle cx="${fixed(xAt(point.x))}" cy="${fixed(yAt(point.y!))}" r="3.5" fill="${fill}" stroke="${colour}" stroke-width="1.5"/>`);
    }
    const ly = MARGIN.top + 10 + index * 20;
    const lx = MARGIN.left + plotW + 15;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escape(series.name)}</text>`);
  });
  if (spec.hollowNote && spec.series.some((s) => s.points.some((p) => p.hollow && p.y !== null))) {
    const ly = MARGIN.top + 10 + spec.series.length * 20 + 6;
    const lx = MARGIN.left + plotW + 15;
    out.push(`<circle cx="${lx + 12}" cy="${ly}" r="3.5" fill="white" stroke="black" stroke-width="1.5"/>`);
    spec.hollowNote.split('\n').forEach((line, i) => out.push(`<text x="${lx + 30}" y="${ly + i * 14}" dominant-baseline="middle" font-size="11">${escape(line)}</text>`));
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
