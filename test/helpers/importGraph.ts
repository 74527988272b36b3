import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Module specifiers of `import ... from`, `export ... from`, `import('...')` and `require('...')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Every source file under `dir` (TypeScript and JavaScript, not declarations). */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Relative imports of each file, resolved to paths without extension. */
export function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((match) => match[1]!)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.resolve(path.dirname(file), specifier));
}

/**
 * The folder-level import graph of a tree: a file in `root/<folder>/...` belongs to `<folder>`,
 * a file directly in `root` is a node of its own (`config`, `server`); `extra` maps other
 * directories (e.g. machines/) to a node name.
 */
export function folderGraph(root: string, extra: Record<string, string> = {}): Map<string, Set<string>> {
  const nodeOf = (file: string): string | null => {
    for (const [dir, name] of Object.entries(extra)) if (!path.relative(dir, file).startsWith('..')) return name;
    const relative = path.relative(root, file);
    if (relative.startsWith('..')) return null;
    const [first, ...rest] = relative.split(path.sep);
    return rest.length > 0 ? first! : path.basename(first!).replace(/\.[^.]+$/, '');
  };
  const graph = new Map<string, Set<string>>();
  for (const file of [root, ...Object.keys(extra)].flatMap(sourceFiles)) {
    const from = nodeOf(file)!;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const target of relativeImports(file)) {
      const to = nodeOf(target);
      if (to !== null && to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle of the graph, one per strongly connected component of two or more nodes (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) !== indices.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}
