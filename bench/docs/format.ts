/**
 * How the generated tables write numbers. Every percentile they show was computed by nearest
 * rank (test/helpers/stats.ts) when the bench wrote its results file; a renderer only formats
 * it, or recomputes it from the `values` a results file keeps with the same function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** n, median, p95 (null below 20 values) and maximum, as results files keep them. */
export interface Stat {
  n: number;
  median: number | null;
  p95: number | null;
  max: number | null;
  values?: number[];
}

export const RESULTS_DIR = join(__dirname, '..', 'results');

/** A results file of bench/results/ (a path relative to it), parsed. */
export function results<T>(file: string): T {
  return JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as T;
}

/** A markdown table: header cells, then one array of cells per row. */
export function table(header: string[], rows: Array<Array<string | number>>, align = '---'): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map(() => align).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The same table with spaced separators (`| --- |`), as some existing tables are written. */
export function spacedTable(header: string[], rows: Array<Array<string | number>>): string {
  return table(header, rows, ' --- ');
}

/**
 * `value` rounded half up to `decimals` as written in decimal (1.295 -> 1.30), not as stored in
 * binary (where 1.295 is 1.29499...): shifting through the exponent of its decimal string.
 */
function roundDecimal(value: number, decimals: number): number {
  return Number(`${Math.round(Number(`${value}e${decimals}`))}e-${decimals}`);
}

/** A number rounded to `decimals`, trailing zeros dropped (12.50 -> 12.5). */
export function num(value: number, decimals = 1): string {
  return String(roundDecimal(value, decimals));
}

/** A number with exactly `decimals` decimals (12.5 -> 12.50). */
export function fixed(value: number, decimals: number): string {
  return roundDecimal(value, decimals).toFixed(decimals);
}

/** A share as a percentage: 0.9967 -> 99.7%. */
export function percent(value: number | null, decimals = 1): string {
  return value === null ? '-' : `${num(value * 100, decimals)}%`;
}

/** "median / p95 / max" with `show` formatting each; a missing p95 is "-". */
export function medianP95Max(s: Stat, show: (value: number) => string = (v) => String(v)): string {
  const cell = (value: number | null) => (value === null ? '-' : show(value));
  return `${cell(s.median)} / ${cell(s.p95)} / ${cell(s.max)}`;
}

/** "median / p95"; a missing p95 is "-". */
export function medianP95(s: Stat, show: (value: number) => string = (v) => String(v)): string {
  const cell = (value: number | null) => (value === null ? '-' : show(value));
  return `${cell(s.median)} / ${cell(s.p95)}`;
}

/** 1985 -> "1,985". */
export function thousands(value: number): string {
  return value.toLocaleString('en-US');
}
