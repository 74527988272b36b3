/**
 * The benchmark tables of the docs are generated from bench/results/*.json
 * (bench/docsTables.ts, `npm run docs:tables`). A results file changed without regenerating, or a
 * number edited by hand inside a generated table, fails here.
 */
import { renderDocuments } from '../../bench/docsTables';
import { blocks, rewrite } from '../../bench/docs/markers';
import { TABLES } from '../../bench/docs/tables';

describe('generated benchmark tables', () => {
  const documents = renderDocuments();

  it.each(documents.map((d) => [d.file.replace(/^.*\/(?=README|docs)/, ''), d] as const))('%s holds the tables its results give', (_name, d) => {
    const current = blocks(d.current);
    const rendered = blocks(d.rendered);
    expect(current.map((b) => b.name)).toEqual(rendered.map((b) => b.name));
    current.forEach((block, index) => expect(`${block.name}:\n${block.body}`).toBe(`${block.name}:\n${rendered[index]!.body}`));
  });

  it('places every table it can render, once', () => {
    const placed = documents.flatMap((d) => blocks(d.current).map((b) => b.name));
    expect([...placed].sort()).toEqual(Object.keys(TABLES).sort());
  });

  it('sees a hand edit inside a table and leaves the text around it alone', () => {
    const text = ['before', '<!-- table:t -->', '| a |', '|---|', '| 1.5 |', '<!-- /table -->', 'after'].join('\n');
    const fixedText = rewrite(text, () => '| a |\n|---|\n| 1.4 |');
    expect(fixedText).not.toBe(text);
    expect(fixedText).toBe(['before', '<!-- table:t -->', '| a |', '|---|', '| 1.4 |', '<!-- /table -->', 'after'].join('\n'));
    expect(() => blocks('<!-- table:t -->\n| a |')).toThrow(/never closed/);
  });
});
