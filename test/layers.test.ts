import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cycles, folderGraph, relativeImports, sourceFiles } from './helpers/importGraph';

const ROOT = path.resolve(__dirname, '..');
const graph = () => folderGraph(path.join(ROOT, 'src'), { [path.join(ROOT, 'machines')]: 'machines' });

/**
 * The data flow, top to bottom; a folder imports only folders below it. Each root module of
 * src/ (config, logger, metrics, server, main) is a node of its own.
 */
const FLOW = ['http', 'sessions', 'summaries', 'cluster', 'mediaWorkers', 'peer', 'media', 'webrtc'];
const BELOW_ALL = ['counters', 'protocol', 'limits'];

describe('layers', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const withCycle = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(withCycle)).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set()]]))).toEqual([]);
  });

  it('no folder of src/ (nor machines/) imports, through any path, a folder that imports it', () => {
    expect(cycles(graph())).toEqual([]);
  });

  it(`the flow ${FLOW.join(' -> ')} imports downwards only, and ${BELOW_ALL.join(' and ')} import none of it`, () => {
    const upward: string[] = [];
    for (const [from, targets] of graph()) {
      for (const to of targets) {
        const [i, j] = [FLOW.indexOf(from), FLOW.indexOf(to)];
        if (i >= 0 && j >= 0 && j < i) upward.push(`${from} -> ${to}`);
        if (BELOW_ALL.includes(from) && FLOW.includes(to)) upward.push(`${from} -> ${to}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('the server (src/ and machines/) imports nothing from the CLI client (client/), which it ships without', () => {
    const client = path.join(ROOT, 'client');
    const intoClient = [path.join(ROOT, 'src'), path.join(ROOT, 'machines')]
      .flatMap(sourceFiles)
      .flatMap((file) => relativeImports(file).filter((target) => !path.relative(client, target).startsWith('..')).map((target) => `${path.relative(ROOT, file)} -> ${path.relative(ROOT, target)}`));
    expect(intoClient).toEqual([]);
  });

  it('each folder of src/ opens with a README.md saying which thread runs it, and imports only what its "May import" line allows', () => {
    const folders = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const problems: string[] = [];
    for (const folder of folders) {
      const readme = path.join(ROOT, 'src', folder, 'README.md');
      if (!existsSync(readme)) {
        problems.push(`src/${folder}/ has no README.md`);
        continue;
      }
      const text = readFileSync(readme, 'utf8');
      if (!/^\*\*Runs on:\*\* \S/m.test(text)) problems.push(`src/${folder}/README.md says not which thread runs it (**Runs on:**)`);
      const line = /^\*\*May import:\*\* (.+)$/m.exec(text)?.[1];
      if (line === undefined) {
        problems.push(`src/${folder}/README.md has no **May import:** line`);
        continue;
      }
      const allowed = new Set(line === 'nothing.' ? [] : line.replace(/\.$/, '').split(',').map((name) => name.trim()));
      for (const target of graph().get(folder) ?? []) {
        if (!allowed.has(target)) problems.push(`src/${folder}/ imports ${target}, which its README.md does not allow`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the configuration (src/config/) imports nothing from media/, through any path, not even a type', () => {
    const resolve = (target: string) => [`${target}.ts`, path.join(target, 'index.ts')].find((file) => existsSync(file)) ?? target;
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file) || !existsSync(file)) return;
      reached.add(file);
      relativeImports(file).map(resolve).forEach(visit);
    };
    visit(path.join(ROOT, 'src', 'config', 'index.ts'));
    const files = [...reached].map((file) => path.relative(ROOT, file));
    expect(files).toContain('src/config/analysisSettings.ts');
    expect(files.filter((file) => file.startsWith('src/media/'))).toEqual([]);
  });

  it('the machine imports nothing from src/ but the wire types', () => {
    expect([...(graph().get('machines') ?? [])]).toEqual(['protocol']);
  });
});
