import type { Writable } from 'node:stream';
import type { ItemContent, ItemType, SingleChoiceItem } from '../bank/item-types.js';
import { draft } from './drafts.js';
import { htmlToText, textToHtml } from './plain-text.js';
import { decodeText, ids, writeChunk, type FormatModule, type ItemSource, type ParsedEntry, type ParseResult } from './model.js';

/**
 * Aiken (docs.moodle.org/en/Aiken_format): single-answer multiple choice
 * only, in plain text. A question line, options `A.` or `A)` (a space after
 * the label is optional, as in Moodle's importer), then `ANSWER: X`. Text is
 * plain: `<`, `>` and `&` are escaped into the stored HTML. Options are
 * lettered A, B, C… in order, which is how Moodle maps the answer letter;
 * other labels are an error, not a guess. Stems spread over several lines
 * (Moodle wants one) are accepted and joined with `<br />`. Written as
 * plain text: tags dropped, entities decoded, one line per text. Aiken
 * carries no points, tags or classification: the import's defaults supply
 * them.
 */

export const AIKEN_TYPES: readonly ItemType[] = ['single_choice'];

const OPTION = /^([A-Z])[.)][ \t]*(.*)$/;
const ANSWER = /^ANSWER:(.*)$/i;
/** The key: one letter, perhaps followed by its label punctuation or the option's text. */
const KEY = /^([A-Za-z])(?:$|[.)]|\s+[^A-Za-z,;&]|\s*$)/;

interface Pending {
  line: number;
  stem: string[];
  options: { label: string; text: string }[];
}

function item(q: Pending, key: string): ParsedEntry['item'] | string {
  if (q.options.length < 2) return `Aiken question has ${q.options.length} option${q.options.length === 1 ? '' : 's'}; it needs at least two (lines "A. …")`;
  const labels = q.options.map((o) => o.label).join('');
  const expected = q.options.map((_, i) => ids.option(i)).join('');
  if (labels !== expected) return `Aiken options are labelled ${labels.split('').join(', ')}; they must run A, B, C… in order (the answer letter counts positions)`;
  const empty = q.options.findIndex((o) => o.text === '');
  if (empty !== -1) return `Aiken option ${ids.option(empty)} is empty`;
  const m = KEY.exec(key);
  if (!m) return `Aiken answer "${key}" is not one option letter`;
  const letter = m[1]!.toUpperCase();
  if (!q.options.some((o) => o.label === letter)) return `Aiken answer "${key}" names no option (${labels.split('').join(', ')})`;
  const options = q.options.map((o) => ({ id: o.label, text: textToHtml(o.text) }));
  return draft('single_choice', q.stem.map(textToHtml).join('<br />'), {}, { options, correct: [letter] });
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
        const got = item(q, answer[1]!.trim());
        if (typeof got === 'string') fail(q, got);
        else if (got) items.push({ index: items.length, line: q.line, item: got });
        q = null;
        return;
      }
      const option = OPTION.exec(line);
      if (q && option && q.stem.length) {
        q.options.push({ label: option[1]!, text: option[2]!.trim() });
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


/** One Aiken question in plain text, options lettered by position. */
export function serializeItem(item: SingleChoiceItem | ItemContent): string {
  if (item.type !== 'single_choice') throw new Error(`Aiken cannot carry ${item.type} items`);
  const right = item.options.findIndex((o) => o.id === item.correct[0]);
  return `${htmlToText(item.stem)}\n${item.options.map((o, i) => `${ids.option(i)}. ${htmlToText(o.text)}`).join('\n')}\nANSWER: ${ids.option(right)}\n\n`;
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
