import type { Writable } from 'node:stream';
import type { ItemContent, ItemType } from '../bank/item-types.js';
import { defaultRubric, draft, labelled, matchingFromRows, matchingRows } from './drafts.js';
import {
  decodeText,
  escapeHtml,
  flagTags,
  formatNumber,
  ids,
  ItemProblem,
  messageOf,
  metaTags,
  parseNumber,
  readMetaTags,
  writeChunk,
  type ExportItem,
  type FormatModule,
  type ItemDraft,
  type ParsedEntry,
  type ParseResult,
  type ReadMeta,
  type ItemSource,
} from './model.js';

/**
 * GIFT, Moodle's plain-text question format (docs.moodle.org/en/GIFT_format).
 *
 * Read: multiple choice with one right answer (`=`) → single_choice; with
 * weights only (`~%50%`) → multiple_choice (right = positive weight);
 * `{T}`/`{F}` → true_false; all `=` → short_text; `=a -> b` → matching;
 * `{#…}` → numeric (`v:t`, `min..max`, several answers: the full-credit one);
 * `{}` → essay. An answer block inside the sentence is Moodle's "missing
 * word" form: the stem gets `_____` where the block was. Text without an
 * answer block (a description) is reported, not imported.
 *
 * Written: the same, stems in `[html]`, classification as Moodle tags in
 * the comment above each question (`// [tag:subject:toan] [tag:grade:12]`),
 * which Moodle 3.6+ reads as tags and this reader as metadata.
 */

export const GIFT_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false', 'short_text', 'numeric', 'matching', 'essay'];

// Escaped special characters become private-use code points while the structure is read.
const ESCAPES: Record<string, string> = { '\\': '\uE000', '~': '\uE001', '=': '\uE002', '#': '\uE003', '{': '\uE004', '}': '\uE005', ':': '\uE006' };
const UNESCAPE = new Map(Object.entries(ESCAPES).map(([ch, pua]) => [pua, ch]));

function protect(s: string): string {
  return s.replace(/\\([\\~=#{}:n])/g, (_, ch: string) => (ch === 'n' ? '\n' : ESCAPES[ch]!));
}

function restore(s: string): string {
  return s.replace(/[\uE000-\uE006]/g, (c) => UNESCAPE.get(c)!);
}

/** Escapes text for GIFT: the special characters, backslashes and newlines. */
export function escapeGift(s: string): string {
  return s.replace(/[\\~=#{}:]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

interface Block {
  start: number;
  lines: string[];
  comments: string[];
}

/** Questions are separated by blank lines; `//` lines are comments (tags live there). */
function blocks(text: string): Block[] {
  const out: Block[] = [];
  let current: Block | null = null;
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '') {
      if (current?.lines.length) out.push(current);
      current = null;
      return;
    }
    current ??= { start: i + 1, lines: [], comments: [] };
    if (trimmed.startsWith('//')) current.comments.push(trimmed.slice(2));
    else {
      if (current.lines.length === 0) current.start = i + 1;
      current.lines.push(line);
    }
  });
  const last = current as Block | null;
  if (last?.lines.length) out.push(last);
  return out;
}

interface Answer {
  mark: '=' | '~';
  weight?: number;
  text: string;
}

function splitAnswers(body: string): Answer[] {
  const parts = body.split(/(?=[=~])/);
  const out: Answer[] = [];
  for (const [i, raw] of parts.entries()) {
    if (i === 0 && raw.trim() === '') continue;
    const mark = raw[0];
    if (mark !== '=' && mark !== '~') throw new ItemProblem(`GIFT answer "${restore(raw.trim()).slice(0, 40)}" must start with = or ~`);
    let rest = raw.slice(1);
    let weight: number | undefined;
    const w = /^\s*%(-?\d+(?:\.\d+)?)%/.exec(rest);
    if (w) {
      weight = Number(w[1]);
      rest = rest.slice(w[0].length);
    }
    const hash = rest.indexOf('#');
    const text = (hash === -1 ? rest : rest.slice(0, hash)).trim();
    out.push({ mark, ...(weight !== undefined ? { weight } : {}), text });
  }
  return out;
}

function readNumber(text: string): { value: number; tolerance: number } {
  const t = restore(text).trim();
  const range = /^(.+?)\.\.(.+)$/.exec(t);
  if (range) {
    const lo = parseNumber(range[1]!);
    const hi = parseNumber(range[2]!);
    if (Number.isNaN(lo) || Number.isNaN(hi) || hi < lo) throw new ItemProblem(`GIFT numeric range "${t}" is not min..max`);
    return { value: (lo + hi) / 2, tolerance: (hi - lo) / 2 };
  }
  const colon = t.indexOf(':');
  const value = parseNumber(colon === -1 ? t : t.slice(0, colon));
  const tolerance = colon === -1 ? 0 : parseNumber(t.slice(colon + 1));
  if (Number.isNaN(value) || Number.isNaN(tolerance)) throw new ItemProblem(`GIFT numeric answer "${t}" is not a number`);
  return { value, tolerance: Math.abs(tolerance) };
}

function commentMeta(comments: string[]): ReadMeta {
  const tags: string[] = [];
  for (const c of comments) for (const m of c.matchAll(/\[tag:([^\]]+)\]/g)) tags.push(m[1]!.trim());
  return readMetaTags(tags);
}

function parseBlock(block: Block, warnings: string[]): ItemDraft {
  const meta = commentMeta(block.comments);
  let text = protect(block.lines.join('\n'));
  const title = /^\s*::([\s\S]*?)::/.exec(text);
  if (title) text = text.slice(title[0].length);
  let format = 'moodle';
  const fmt = /^\s*\[(html|moodle|plain|markdown)\]/i.exec(text);
  if (fmt) {
    format = fmt[1]!.toLowerCase();
    text = text.slice(fmt[0].length);
  }
  if (format === 'markdown') warnings.push('Markdown is kept as written, not converted to HTML');
  const html = (s: string) => (format === 'plain' ? escapeHtml(restore(s)) : restore(s));

  const open = text.indexOf('{');
  if (open === -1) throw new ItemProblem('GIFT description (text without an answer block) is not a question; not imported');
  const close = text.lastIndexOf('}');
  if (close < open) throw new ItemProblem('GIFT answer block has no closing }');
  const before = text.slice(0, open);
  const after = text.slice(close + 1);
  const stem = html(after.trim() === '' ? before.trim() : `${before}_____${after}`.trim());
  if (stem === '') throw new ItemProblem('GIFT question has no text');
  let body = text.slice(open + 1, close);
  const general = body.indexOf('####');
  if (general !== -1) body = body.slice(0, general);
  const answers = body.trim();
  const { common, flags } = meta;

  if (answers === '') return draft('essay', stem, common, { rubric: defaultRubric(common.points, common.language) });

  if (answers.startsWith('#')) {
    const inner = answers.slice(1);
    const options = /[=~]/.test(inner) ? splitAnswers(inner) : [{ mark: '=' as const, text: inner.split('#')[0]!.trim() }];
    const full = options.filter((a) => a.mark === '=' && (a.weight === undefined || a.weight === 100));
    if (full.length !== 1) throw new ItemProblem(`GIFT numeric question has ${full.length} full-credit answers; a numeric item has exactly one`);
    for (const a of options) if (a !== full[0] && (a.weight ?? 0) > 0) warnings.push(`Partial credit (${a.weight}%) for answer ${restore(a.text)} is dropped`);
    const { value, tolerance } = readNumber(full[0]!.text);
    return draft('numeric', stem, common, { value, tolerance });
  }

  const tf = /^(T|F|TRUE|FALSE)\s*(#[\s\S]*)?$/i.exec(answers);
  if (tf) return draft('true_false', stem, common, { value: tf[1]!.toUpperCase().startsWith('T') });

  const parts = splitAnswers(answers);
  if (parts.length === 0) throw new ItemProblem('GIFT answer block has no answers');
  const allRight = parts.every((p) => p.mark === '=');

  if (allRight && parts.some((p) => p.text.includes('->'))) {
    const rows = parts.map((p) => {
      const arrow = p.text.indexOf('->');
      if (arrow === -1) throw new ItemProblem(`GIFT matching answer "${restore(p.text)}" has no ->`);
      return { premise: html(p.text.slice(0, arrow).trim()), choice: html(p.text.slice(arrow + 2).trim()) };
    });
    return draft('matching', stem, common, matchingFromRows(rows));
  }

  if (allRight) {
    for (const p of parts) if (p.weight !== undefined && p.weight !== 100) warnings.push(`Partial credit (${p.weight}%) for answer ${restore(p.text)} is dropped`);
    const accepted = parts.filter((p) => p.weight === undefined || p.weight === 100).map((p) => restore(p.text));
    return draft('short_text', stem, common, {
      accepted,
      ...(flags.case === 'true' ? { caseSensitive: true } : {}),
      ...(flags.diacritics === 'ignore' ? { ignoreDiacritics: true } : {}),
    });
  }

  const options = labelled(parts.map((p) => html(p.text)), ids.option);
  if (parts.some((p) => p.mark === '=')) {
    const right = parts.flatMap((p, i) => (p.mark === '=' ? [options[i]!.id] : []));
    if (right.length !== 1) throw new ItemProblem(`GIFT multiple choice has ${right.length} answers marked =; a single-answer question has one (use ~%weight% for several)`);
    parts.forEach((p, i) => {
      if (p.mark === '~' && (p.weight ?? 0) > 0) warnings.push(`Partial credit (${p.weight}%) for option ${options[i]!.id} is dropped; it counts as wrong`);
    });
    return draft('single_choice', stem, common, { options, correct: right });
  }
  const correct = parts.flatMap((p, i) => ((p.weight ?? 0) > 0 ? [options[i]!.id] : []));
  if (correct.length === 0) throw new ItemProblem('GIFT multiple-answer question has no answer with a positive weight');
  const weights = new Set(parts.filter((p) => (p.weight ?? 0) > 0).map((p) => p.weight));
  if (weights.size > 1) warnings.push('Unequal weights of the right answers are replaced by equal shares');
  return draft('multiple_choice', stem, common, { options, correct, scoring: flags.scoring === 'all_or_nothing' ? 'all_or_nothing' : 'partial' });
}

export function parse(input: Buffer | string): ParseResult {
  const items: ParsedEntry[] = [];
  for (const block of blocks(decodeText(input))) {
    const first = block.lines[0]!.trim();
    if (/^\$CATEGORY:/i.test(first)) continue;
    const index = items.length;
    const warnings: string[] = [];
    try {
      const item = parseBlock(block, warnings);
      items.push({ index, line: block.start, item, ...(warnings.length ? { warnings } : {}) });
    } catch (err) {
      items.push({ index, line: block.start, error: messageOf(err) });
    }
  }
  return { items };
}

// ------------------------------------------------------------------ write

function weightText(w: number): string {
  return formatNumber(Math.round(w * 100000) / 100000);
}

/** One question in GIFT, with its tag comment and a trailing blank line. */
export function serializeItem(item: ExportItem | ItemContent): string {
  const flags: Record<string, string> = {};
  if (item.type === 'multiple_choice' && item.scoring === 'all_or_nothing') flags.scoring = 'all_or_nothing';
  if (item.type === 'short_text' && item.caseSensitive) flags.case = 'true';
  if (item.type === 'short_text' && item.ignoreDiacritics) flags.diacritics = 'ignore';
  const tags = [...metaTags(item), ...flagTags(flags)];
  const head = tags.length ? `// ${tags.map((t) => `[tag:${t.replace(/]/g, ')')}]`).join(' ')}\n` : '';
  const title = 'id' in item ? `::${escapeGift(item.id)}::` : '';
  const stem = `${title}[html]${escapeGift(item.stem)}`;
  const lines = (list: string[]) => `{\n${list.map((l) => `\t${l}`).join('\n')}\n}`;
  let answers: string;
  switch (item.type) {
    case 'single_choice':
      answers = lines(item.options.map((o) => `${item.correct.includes(o.id) ? '=' : '~'}${escapeGift(o.text)}`));
      break;
    case 'multiple_choice': {
      const share = 100 / item.correct.length;
      const wrong = item.scoring === 'all_or_nothing' ? -100 : -share;
      answers = lines(item.options.map((o) => `~%${weightText(item.correct.includes(o.id) ? share : wrong)}%${escapeGift(o.text)}`));
      break;
    }
    case 'true_false':
      answers = `{${item.value ? 'TRUE' : 'FALSE'}}`;
      break;
    case 'short_text':
      answers = lines(item.accepted.map((a) => `=${escapeGift(a)}`));
      break;
    case 'numeric':
      answers = `{#${formatNumber(item.value)}:${formatNumber(item.tolerance ?? 0)}}`;
      break;
    case 'matching':
      answers = lines(matchingRows(item).map((r) => `=${escapeGift(r.premise)} -> ${escapeGift(r.choice)}`));
      break;
    case 'essay':
      answers = '{}';
      break;
    default:
      throw new Error(`GIFT cannot carry ${item.type} items`);
  }
  return `${head}${stem}${answers}\n\n`;
}

export async function write(source: ItemSource, out: Writable): Promise<void> {
  await writeChunk(out, '// Exported from the exam engine question bank (GIFT, UTF-8)\n\n');
  for await (const item of source.all()) await writeChunk(out, serializeItem(item));
}

export const gift: FormatModule = {
  name: 'gift',
  types: GIFT_TYPES,
  contentType: 'text/plain; charset=utf-8',
  extension: 'gift.txt',
  parse,
  write,
};
