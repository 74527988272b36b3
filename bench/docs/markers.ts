/**
 * The generated tables' places in the docs: a table named NAME sits between a line
 * `<!-- table:NAME -->` and a line `<!-- /table -->`. Everything between the two lines is
 * replaced by what the generator renders, so a hand edit there does not survive (and the test
 * in test/docs/benchmarkTables.test.ts fails until the generator is run).
 */

const OPEN = /^<!-- table:([a-z0-9-]+) -->$/;
const CLOSE = '<!-- /table -->';

export interface Block {
  name: string;
  /** The text between the marker lines, without the lines' breaks at either end. */
  body: string;
}

/** The generated blocks of a markdown text, in order; throws on a marker left open or nested. */
export function blocks(text: string): Block[] {
  const found: Block[] = [];
  const lines = text.split('\n');
  let open: { name: string; start: number } | null = null;
  lines.forEach((line, index) => {
    const opening = OPEN.exec(line);
    if (opening) {
      if (open) throw new Error(`table:${opening[1]} opens inside table:${open.name} (line ${index + 1})`);
      open = { name: opening[1]!, start: index + 1 };
    } else if (line === CLOSE) {
      if (!open) throw new Error(`${CLOSE} without an opening marker (line ${index + 1})`);
      found.push({ name: open.name, body: lines.slice(open.start, index).join('\n') });
      open = null;
    }
  });
  if (open) throw new Error(`table:${(open as { name: string }).name} is never closed`);
  return found;
}

/** The text with every block's body replaced by render(name); throws on a name render does not know. */
export function rewrite(text: string, render: (name: string) => string): string {
  blocks(text); // refuse a malformed file before changing anything
  const lines = text.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const opening = OPEN.exec(line);
    if (opening) {
      out.push(line, render(opening[1]!));
      skipping = true;
    } else if (line === CLOSE) {
      out.push(line);
      skipping = false;
    } else if (!skipping) {
      out.push(line);
    }
  }
  return out.join('\n');
}
