import type { Writable } from 'node:stream';
import type { ItemContent, ItemType, SingleChoiceItem } from '../bank/item-types.js';
import { draft } from './drafts.js';
import { decodeText, ids, writeChunk, type FormatModule, type ItemSource, type ParsedEntry, type ParseResult } from './model.js';

/**
 * Aiken (docs.moodle.org/en/Aiken_format): single-answer multiple choice
 * only. A question line, options `A.` or `A)` with a space, then
 * `ANSWER: X`. Options keep their letters as ids. Stems spread over several
 * lines (Moodle wants one) are accepted and joined with `<br />`; on export
 * line breaks become spaces. Aiken carries no points, tags or classification:
 * the import's defaults supply them.
 */

export const AIKEN_TYPES: readonly ItemType[] = ['single_choice'];

const OPTION = /^([A-Z])[.)]\s+(.*)$/;
const ANSWER = /^ANSWER:\s*(.*)$/i;

interface Pending {
  line: number;
  stem: string[];
  options: { id: string; text: string }[];
}

export function parse(input: Buffer | string): ParseResult {
  const items: ParsedEntry[] = [];
  let q: Pending | null = null;
  const fail = (p: Pending, error: string) => items.push({ index: items.length, line: p.line, error });

  decodeText(input)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      const answer = ANSWER.exec(line);
      if (q && answer) {
        const letter = answer[1]!.trim().toUpperCase();
        if (q.options.length === 0) fail(q, 'Aiken question has no options (lines "A. …")');
        else if (!q.options.some((o) => o.id === letter)) fail(q, `Aiken answer "${answer[1]!.trim()}" names no option (${q.options.map((o) => o.id).join(', ')})`);
        else items.push({ index: items.length, line: q.line, item: draft('single_choice', q.stem.join('<br />'), {}, { options: q.options, correct: [letter] }) });
        q = null;
        return;
      }
      const option = OPTION.exec(line);
      if (q && option && q.stem.length) {
        q.options.push({ id: option[1]!, text: option[2]!.trim() });
        return;
      }
      if (q?.options.length) {
        // Text after options without an ANSWER line: the previous question is broken, this one starts.
        fail(q, 'Aiken question has no "ANSWER:" line');
        q = null;
      }
      if (answer) {
        items.push({ index: items.length, line: i + 1, error: 'Aiken "ANSWER:" line without a question before it' });
        return;
      }
      q ??= { line: i + 1, stem: [], options: [] };
      q.stem.push(line);
    });
  const last = q as Pending | null;
  if (last) fail(last, last.options.length ? 'Aiken question has no "ANSWER:" line' : 'Aiken question has no options (lines "A. …")');
  return { items };
}

function oneLine(html: string): string {
  return html.replace(/\s*\n\s*/g, ' ').trim();
}

/** One Aiken question, options lettered by position. */
export function serializeItem(item: SingleChoiceItem | ItemContent): string {
  if (item.type !== 'single_choice') throw new Error(`Aiken cannot carry ${item.type} items`);
  const right = item.options.findIndex((o) => o.id === item.correct[0]);
  return `${oneLine(item.stem)}\n${item.options.map((o, i) => `${ids.option(i)}. ${oneLine(o.text)}`).join('\n')}\nANSWER: ${ids.option(right)}\n\n`;
}

export async function write(source: ItemSource, out: Writable): Promise<void> {
  for await (const item of source.all()) await writeChunk(out, serializeItem(item));
}

export const aiken: FormatModule = {
  name: 'aiken',
  types: AIKEN_TYPES,
  contentType: 'text/plain; charset=utf-8',
  extension: 'aiken.txt',
  parse,
  write,
};
