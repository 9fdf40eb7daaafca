import type { Writable } from 'node:stream';
import type { ItemContent, ItemType } from '../bank/item-types.js';
import { defaultRubric, draft, labelled, matchingFromRows, matchingRows } from './drafts.js';
import { categorySegments } from './categories.js';
import { htmlToText, textToHtml } from './plain-text.js';
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
 * GIFT, Moodle's plain-text question format (docs.moodle.org/en/GIFT_format),
 * read the way Moodle's own importer reads it.
 *
 * Read: `=` and `~` answers → single_choice (one full-credit answer) or,
 * with weights only (`~%50%`), multiple_choice (right = positive weight);
 * `{T}`/`{TRUE}`/`{F}`/`{FALSE}` → true_false; `=` answers only →
 * short_text; `=a -> b` → matching; `{#…}` → numeric (`v`, `v:margin`,
 * `min..max`, several `=%w%` answers: the full-credit one); `{}` → essay.
 * An answer block inside the sentence is Moodle's "missing word" form: the
 * stem gets `_____` where the block was. Texts in `[plain]` are escaped,
 * `[markdown]` is rendered, `[html]` and `[moodle]` are HTML (the bank
 * sanitises them). Titles, the first `[id:…]` and the `$CATEGORY:` path
 * are the item's provenance (the category gives the topic,
 * src/interop/categories.ts); general feedback, true/false's two feedbacks,
 * the right answer's feedback and each option's feedback are its feedback.
 * What an item cannot keep — other answers' feedback, partial credit — is a
 * warning on that question; what cannot be
 * read (a description, a second answer block, several full-credit answers
 * of a single-answer question) is that question's error.
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

/**
 * An answer's text for GIFT. GIFT has no escape for a leading `%50%` (a
 * weight) or `[plain]` (a format): such a text gets an explicit `[html]`,
 * which Moodle and this reader take off before the text, after the weight.
 */
function answerText(s: string): string {
  const escaped = escapeGift(s);
  return /^\s*(%|\[)/.test(s) ? `[html]${escaped}` : escaped;
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

type TextFormat = 'moodle' | 'html' | 'plain' | 'markdown';
const TEXT_FORMATS: readonly string[] = ['moodle', 'html', 'plain', 'markdown'];
/** Where the missing-word blank goes, kept out of the way of format conversion. */
const BLANK = '\uE010';

/** A text with its format: a leading `[html]`, `[moodle]`, `[plain]` or `[markdown]`, else the default (Moodle's reading). */
function withFormat(raw: string, fallback: TextFormat): { format: TextFormat; text: string } {
  let format = fallback;
  let text = raw.trim();
  const end = text.indexOf(']');
  if (text.startsWith('[') && end !== -1 && TEXT_FORMATS.includes(text.slice(1, end))) {
    format = text.slice(1, end) as TextFormat;
    text = text.slice(end + 1);
  }
  return { format, text: restore(text).trim() };
}

/**
 * Markdown as the bank's HTML, for what GIFT texts use of it: code spans,
 * bold, italics, links (as text) and paragraphs. HTML written inside is kept, as Markdown
 * allows; the bank sanitises it like any stem.
 */
function markdownToHtml(md: string): string {
  const inline = (s: string) =>
    s
      .split(/(`[^`]+`)/)
      .map((part) =>
        part.startsWith('`') && part.endsWith('`') && part.length > 1
          ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
          : part
              .replace(/\*\*(?=\S)([^*]+?)\*\*/g, '<b>$1</b>')
              .replace(/\*(?=\S)([^*]+?)\*/g, '<i>$1</i>')
              .replace(/(^|[^\w])_(?=[^\s_])([^_]+?)_(?!\w)/g, '$1<i>$2</i>')
              // The bank keeps no links: the address stays readable beside its label.
              .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '$1 ($2)')
              .replace(/ {2,}\n/g, '<br />')
              .replace(/\n/g, ' '),
      )
      .join('');
  const paragraphs = md.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  return paragraphs.length > 1 ? paragraphs.map((p) => `<p>${inline(p)}</p>`).join('') : inline(paragraphs[0] ?? '');
}

/** A GIFT text as the bank's HTML: `[html]` as written, `[moodle]` with its line breaks, `[plain]` escaped, `[markdown]` rendered. */
function toHtml({ format, text }: { format: TextFormat; text: string }): string {
  switch (format) {
    case 'html':
      return text;
    case 'moodle':
      return text.replace(/\n/g, '<br />');
    case 'plain':
      return textToHtml(text);
    case 'markdown':
      return markdownToHtml(text);
  }
}

/** `answer # feedback` split at the first `#`. */
function commented(raw: string): { answer: string; feedback: string } {
  const hash = raw.indexOf('#');
  return hash === -1 ? { answer: raw.trim(), feedback: '' } : { answer: raw.slice(0, hash).trim(), feedback: withFormat(raw.slice(hash + 1), 'moodle').text };
}

/** A leading `%50%` weight as a fraction (Moodle's reading), and the text after it. */
function weighted(raw: string, fallback: number): { weight: number; rest: string } {
  const m = /^%(-?\d{1,3}(?:\.\d*)?)%/.exec(raw);
  return m ? { weight: Number(m[1]) / 100, rest: raw.slice(m[0].length) } : { weight: fallback, rest: raw };
}

/** Splits at `sep`, dropping an empty first part, as Moodle does. */
function split(body: string, sep: string): string[] {
  const parts = body.split(sep);
  if (parts[0]!.trim() === '') parts.shift();
  return parts.map((p) => p.trim());
}

const quote = (s: string) => `"${s.length > 60 ? `${s.slice(0, 57)}…` : s}"`;
const percent = (w: number) => `${Math.round(w * 100000) / 1000}%`;

function readNumber(text: string): { value: number; tolerance: number } {
  const range = text.indexOf('..');
  if (range > 0) {
    const lo = parseNumber(text.slice(0, range));
    const hi = parseNumber(text.slice(range + 2));
    if (Number.isNaN(lo) || Number.isNaN(hi) || hi < lo) throw new ItemProblem(`GIFT numeric range ${quote(text)} is not min..max`);
    // Rounded to what the file wrote: 3.141..3.142 is 3.1415 ± 0.0005, not 3.1414999999999997.
    return { value: Number(((lo + hi) / 2).toPrecision(12)), tolerance: Number(((hi - lo) / 2).toPrecision(12)) };
  }
  const colon = text.indexOf(':');
  const value = parseNumber(colon > 0 ? text.slice(0, colon) : text);
  const tolerance = colon > 0 ? parseNumber(text.slice(colon + 1)) : 0;
  if (Number.isNaN(value) || Number.isNaN(tolerance)) throw new ItemProblem(`GIFT numeric answer ${quote(text)} is not a number (value, value:margin or min..max)`);
  return { value, tolerance: Math.abs(tolerance) };
}

function commentMeta(comments: string[]): ReadMeta {
  const tags: string[] = [];
  for (const c of comments) for (const m of c.matchAll(/\[tag:([^\]]+)\]/g)) tags.push(m[1]!.trim());
  return readMetaTags(tags);
}

/** What the file says about a question beside its content: kept on the item (provenance, feedback) or named in its warnings. */
interface Context {
  category?: string;
  /** The question's `::title::`: its provenance title, and named in its error. */
  title?: string;
  /** Moodle's `// [id:…]`: its provenance external id. */
  externalId?: string;
  /** General and outcome feedback (`####…`, true/false's `#…#…`, the right answer's `#…`). */
  feedback: { general?: string; correct?: string; incorrect?: string };
  warnings: string[];
}

/** A feedback text of the file as the HTML the item keeps; '' when it shows nothing (only empty markup). */
function feedbackHtml(text: string): string {
  const html = toHtml({ format: 'moodle', text: text.trim() });
  return /<img\b/i.test(html) || htmlToText(html).trim() !== '' ? html : '';
}

/**
 * One question, read the way Moodle's GIFT importer reads it: title, then
 * the first `{…}` is the answer block (text after it continues the stem, a
 * missing word leaves `_____`), `####` starts general feedback, and the
 * block's shape gives the type — empty: essay; `#…`: numerical; any `~`:
 * multiple choice; `=` with `->`: matching; `T`/`TRUE`/`F`/`FALSE`:
 * true/false; otherwise short answer.
 */
function parseBlock(block: Block, ctx: Context): ItemDraft {
  const { warnings } = ctx;
  const meta = commentMeta(block.comments);
  let text = protect(block.lines.join('\n')).trim();
  if (text.startsWith('::')) {
    const end = text.indexOf('::', 2);
    if (end === -1) text = text.slice(2);
    else {
      const title = restore(text.slice(2, end)).trim();
      text = text.slice(end + 2).trim();
      if (title) ctx.title = title;
    }
  }
  for (const c of block.comments) {
    // Moodle 3.6+ writes a question's idnumber as `// [id:…]` beside its tags.
    for (const m of c.matchAll(/\[id:((?:\\\]|[^\]])*)\]/g)) {
      const id = m[1]!.replace(/\\]/g, ']').trim();
      if (!id) continue;
      if (ctx.externalId === undefined) ctx.externalId = id;
      else warnings.push(`Moodle id number ${quote(id)} is not kept: the question's first id number, ${quote(ctx.externalId)}, is`);
    }
  }

  const open = text.indexOf('{');
  const close = text.indexOf('}');
  if (open === -1 && close === -1) throw new ItemProblem('GIFT description (text without an answer block) is not a question; not imported');
  if (open === -1 || close === -1 || close < open) throw new ItemProblem('GIFT answer block is not closed: a { needs its }, and braces meant as text are written \\{ \\}');
  const after = text.slice(close + 1);
  if (/[{}]/.test(after)) {
    throw new ItemProblem('GIFT question has more than one answer block; Moodle reads only the first and leaves the others in the text. Write one question per answer block, or escape braces meant as text as \\{ \\}');
  }
  let body = text.slice(open + 1, close).trim();
  const stemSource = after.trim() === '' ? text.slice(0, open) : `${text.slice(0, open)}${BLANK}${after}`;
  const stemText = withFormat(stemSource, 'moodle');
  const format = stemText.format;
  const stem = toHtml(stemText).split(BLANK).join('_____').trim();
  if (stem === '') throw new ItemProblem('GIFT question has no text');
  for (const m of text.matchAll(/@@PLUGINFILE@@\/([^"'\s>)]+)/g)) {
    warnings.push(`Moodle file ${quote(restore(m[1]!))} is not in a GIFT file: the reference is kept but shows nothing`);
  }

  const general = body.lastIndexOf('####');
  if (general !== -1) {
    const feedback = withFormat(body.slice(general + 4), 'moodle').text;
    ctx.feedback.general = feedbackHtml(feedback);
    body = body.slice(0, general).trim();
  }
  const dropFeedback = (what: string, feedback: string) => {
    if (feedback) warnings.push(`Feedback ${quote(feedback)} on ${what} is dropped: the item keeps no feedback for it`);
  };
  const { common, flags } = meta;

  if (body === '') return draft('essay', stem, common, { rubric: defaultRubric(common.points, common.language) });
  if (body.startsWith('#')) return numeric(body.slice(1), stem, common, format, ctx, dropFeedback);
  if (body.includes('~')) return choice(body, stem, common, flags, format, ctx, dropFeedback);
  if (body.includes('=') && body.includes('->')) return matching(body, stem, common, format);

  const hash = body.indexOf('#');
  const tfWord = hash > 0 ? body.slice(0, hash).trim() : body;
  if (['T', 'TRUE', 'F', 'FALSE'].includes(tfWord)) {
    // `{T#feedback for a wrong answer#feedback for the right one}`
    const bits = body.split('#');
    const wrong = withFormat(bits[1] ?? '', 'moodle').text.trim();
    const right = withFormat(bits.slice(2).join('#'), 'moodle').text.trim();
    ctx.feedback.incorrect = feedbackHtml(wrong);
    ctx.feedback.correct = feedbackHtml(right);
    return draft('true_false', stem, common, { value: tfWord.startsWith('T') });
  }
  return shortAnswer(body, stem, common, flags, format, ctx, dropFeedback);
}

type Common = ReadMeta['common'];
type Flags = ReadMeta['flags'];
type Drop = (what: string, feedback: string) => void;

function numeric(body: string, stem: string, common: Common, format: TextFormat, ctx: Context, drop: Drop): ItemDraft {
  let answers = body;
  const tilde = answers.indexOf('~');
  if (tilde !== -1) {
    // `~#text`: feedback for any other answer.
    const other = (commented(answers.slice(tilde + 1)).feedback || withFormat(answers.slice(tilde + 1), 'moodle').text).trim();
    // Feedback for any other answer is what a wrong answer gets.
    ctx.feedback.incorrect = feedbackHtml(other);
    answers = answers.slice(0, tilde);
  }
  const parts = split(answers, '=').filter((p) => p !== '');
  if (parts.length === 0) throw new ItemProblem('GIFT numerical question has no answer');
  const read = parts.map((p) => {
    const { weight, rest } = weighted(p, 1);
    const { answer, feedback } = commented(rest);
    const text = withFormat(answer, format).text;
    return { weight, text, feedback, ...readNumber(text) };
  });
  const full = read.filter((a) => a.weight === 1);
  if (full.length !== 1) throw new ItemProblem(`GIFT numerical question has ${full.length} full-credit answers; a numeric item has exactly one`);
  for (const a of read) {
    if (a !== full[0]) {
      ctx.warnings.push(`Answer ${a.text} (${percent(a.weight)}) is dropped: a numeric item has one answer`);
      drop(`answer ${a.text}`, a.feedback);
    } else ctx.feedback.correct = feedbackHtml(a.feedback);
  }
  return draft('numeric', stem, common, { value: full[0]!.value, tolerance: full[0]!.tolerance });
}

function choice(body: string, stem: string, common: Common, flags: Flags, format: TextFormat, ctx: Context, drop: Drop): ItemDraft {
  const single = body.includes('=');
  // Moodle's reading: every `=` starts a right answer, every `~` a wrong or weighted one; empty ones (`~=`) are nothing.
  const read = split(body.replace(/=/g, '~='), '~').flatMap((raw) => {
    if (raw === '') return [];
    const { weight, rest } = raw.startsWith('=') ? { weight: 1, rest: raw.slice(1) } : weighted(raw, 0);
    const { answer, feedback } = commented(rest);
    const html = toHtml(withFormat(answer, format));
    if (html === '') {
      drop('an empty answer', feedback);
      return [];
    }
    return [{ weight, html, feedback }];
  });
  if (read.length < 2) throw new ItemProblem(`GIFT multiple choice has ${read.length} answer${read.length === 1 ? '' : 's'}; it needs at least two`);
  const options = labelled(
    read.map((a) => a.html),
    ids.option,
  );
  // Each answer's feedback is its option's: shown to whoever picked it.
  read.forEach((a, i) => {
    const feedback = feedbackHtml(a.feedback);
    if (feedback) Object.assign(options[i]!, { feedback });
  });
  if (single) {
    const right = read.flatMap((a, i) => (a.weight >= 1 ? [options[i]!.id] : []));
    if (right.length !== 1) throw new ItemProblem(`GIFT multiple choice has ${right.length} full-credit answers; a single-answer item has one (use ~%weight% for several right answers)`);
    read.forEach((a, i) => {
      if (a.weight > 0 && a.weight < 1) ctx.warnings.push(`Partial credit (${percent(a.weight)}) for option ${options[i]!.id} is dropped; it counts as wrong`);
      if (a.weight < 0) ctx.warnings.push(`Penalty (${percent(a.weight)}) for option ${options[i]!.id} is dropped; a wrong answer scores 0`);
    });
    return draft('single_choice', stem, common, { options, correct: right });
  }
  const correct = read.flatMap((a, i) => (a.weight > 0 ? [options[i]!.id] : []));
  if (correct.length === 0) throw new ItemProblem('GIFT multiple-answer question has no answer with a positive weight');
  const weights = new Set(read.filter((a) => a.weight > 0).map((a) => a.weight));
  if (weights.size > 1) ctx.warnings.push('Unequal weights of the right answers are replaced by equal shares');
  const scoring = flags.scoring === 'all_or_nothing' ? 'all_or_nothing' : 'partial';
  if (scoring === 'partial') {
    // Partial scoring takes one right answer's share off per wrong pick; say where the file's penalties differ.
    const share = 1 / correct.length;
    const differ = read.flatMap((a, i) => (a.weight <= 0 && Math.abs(a.weight + share) > 1e-6 ? [`${options[i]!.id} ${percent(a.weight)}`] : []));
    if (differ.length) ctx.warnings.push(`Penalties of wrong options (${differ.join(', ')}) become -${percent(share)} each: a wrong pick costs one right answer's share`);
  }
  return draft('multiple_choice', stem, common, { options, correct, scoring });
}

function matching(body: string, stem: string, common: Common, format: TextFormat): ItemDraft {
  const parts = split(body, '=');
  if (parts.length < 2) throw new ItemProblem('GIFT matching question needs at least two pairs');
  const rows = parts.map((p) => {
    const arrow = p.indexOf('->');
    if (arrow === -1) throw new ItemProblem(`GIFT matching answer ${quote(restore(p))} has no ->`);
    // Moodle reads the left side in the question's format and the right side as plain text.
    return { premise: toHtml(withFormat(p.slice(0, arrow), format)), choice: textToHtml(restore(p.slice(arrow + 2)).trim()) };
  });
  return draft('matching', stem, common, matchingFromRows(rows));
}

function shortAnswer(body: string, stem: string, common: Common, flags: Flags, format: TextFormat, ctx: Context, drop: Drop): ItemDraft {
  const parts = split(body, '=');
  if (parts.length === 0) throw new ItemProblem('GIFT short answer has no answer');
  const read = parts.map((p) => {
    const { weight, rest } = weighted(p, 1);
    const { answer, feedback } = commented(rest);
    // Short answers are compared as text: the format marker goes, the text stays as written.
    return { weight, text: withFormat(answer, format).text, feedback };
  });
  const accepted: string[] = [];
  // The right answers' feedback is the correct outcome's when they agree.
  const rightFeedback = new Set(read.filter((a) => a.weight === 1 && a.feedback).map((a) => a.feedback.trim()));
  if (rightFeedback.size === 1) ctx.feedback.correct = feedbackHtml([...rightFeedback][0]!);
  for (const a of read) {
    if (a.weight !== 1) {
      drop(`answer ${quote(a.text)}`, a.feedback);
      ctx.warnings.push(`Answer ${quote(a.text)} (${percent(a.weight)}) is dropped: a short answer accepts full-credit answers only`);
      continue;
    }
    if (rightFeedback.size > 1) drop(`answer ${quote(a.text)}`, a.feedback);
    if (a.text === '') throw new ItemProblem('GIFT short answer has an empty answer');
    if (a.text.includes('*')) throw new ItemProblem(`GIFT short answer ${quote(a.text)} uses Moodle's * wildcard; the bank's short answers match whole texts`);
    accepted.push(a.text);
  }
  if (accepted.length === 0) throw new ItemProblem('GIFT short answer has no full-credit answer');
  return draft('short_text', stem, common, {
    accepted,
    ...(flags.case === 'true' ? { caseSensitive: true } : {}),
    ...(flags.diacritics === 'ignore' ? { ignoreDiacritics: true } : {}),
  });
}

/** Addresses of the links in an item's texts. */
function linkTargets(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(/<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((m) => m[1] ?? m[2]!);
  if (Array.isArray(value)) return value.flatMap(linkTargets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(linkTargets);
  return [];
}

/** The question's title, id number, category path and feedback on its item. */
function withProvenance(item: ItemDraft, ctx: Context): ItemDraft {
  const categoryPath = ctx.category !== undefined ? categorySegments(ctx.category) : [];
  const provenance = {
    ...(ctx.title ? { title: [...ctx.title].slice(0, 300).join('') } : {}),
    ...(ctx.externalId ? { externalId: [...ctx.externalId].slice(0, 200).join('') } : {}),
    ...(categoryPath.length ? { source: { categoryPath } } : {}),
  };
  const feedback = Object.fromEntries(Object.entries(ctx.feedback).filter(([, v]) => v));
  return {
    ...item,
    ...(Object.keys(provenance).length ? { provenance } : {}),
    ...(Object.keys(feedback).length ? { feedback } : {}),
  } as ItemDraft;
}

export function parse(input: Buffer | string): ParseResult {
  const items: ParsedEntry[] = [];
  let category: string | undefined;
  for (const block of blocks(decodeText(input))) {
    const first = block.lines[0]!.trim();
    if (first.startsWith('$CATEGORY:')) {
      // Moodle reads the whole block as the category path.
      category = block.lines.join('\n').trim().slice('$CATEGORY:'.length).trim();
      continue;
    }
    const index = items.length;
    const ctx: Context = { ...(category !== undefined ? { category } : {}), feedback: {}, warnings: [] };
    try {
      const item = withProvenance(parseBlock(block, ctx), ctx);
      // The bank keeps no links (src/bank/sanitize.ts): their text stays, their address would go unnoticed.
      for (const href of linkTargets(item)) ctx.warnings.push(`Link to ${quote(href)} is dropped: items keep the link's text, not links`);
      items.push({ index, line: block.start, item, ...(ctx.warnings.length ? { warnings: ctx.warnings } : {}) });
    } catch (err) {
      items.push({ index, line: block.start, error: ctx.title ? `${messageOf(err)} (question ${quote(ctx.title)})` : messageOf(err) });
    }
  }
  return { items };
}

// ------------------------------------------------------------------ write

function weightText(w: number): string {
  return formatNumber(Math.round(w * 100000) / 100000);
}

/** ` #feedback` after an answer, or nothing. */
function fb(html: string | undefined): string {
  return html ? `#[html]${escapeGift(html)}` : '';
}

/**
 * One question in GIFT, with its tag comment and a trailing blank line: the
 * provenance title as `::title::`, the external id (else the bank id) as
 * Moodle's `// [id:…]`, feedback where GIFT has a place for it (general
 * `####`, each option's, true/false's two, the right answer's of numeric and
 * short answers, numeric's "any other answer"). Hints and the partial outcome's
 * feedback have no GIFT form.
 */
export function serializeItem(item: ExportItem | ItemContent): string {
  const flags: Record<string, string> = {};
  if (item.type === 'multiple_choice' && item.scoring === 'all_or_nothing') flags.scoring = 'all_or_nothing';
  if (item.type === 'short_text' && item.caseSensitive) flags.case = 'true';
  if (item.type === 'short_text' && item.ignoreDiacritics) flags.diacritics = 'ignore';
  const tags = [...metaTags(item), ...flagTags(flags)];
  const externalId = item.provenance?.externalId ?? ('id' in item ? item.id : undefined);
  const comment = [...(externalId ? [`[id:${externalId.replace(/]/g, '\\]')}]`] : []), ...tags.map((t) => `[tag:${t.replace(/]/g, ')')}]`)];
  const head = comment.length ? `// ${comment.join(' ')}\n` : '';
  const title = item.provenance?.title ? `::${escapeGift(item.provenance.title)}::` : '';
  const stem = `${title}[html]${escapeGift(item.stem)}`;
  const feedback = item.feedback ?? {};
  const lines = (list: string[]) => `{\n${list.map((l) => `\t${l}`).join('\n')}\n}`;
  let answers: string;
  switch (item.type) {
    case 'single_choice':
      answers = lines(item.options.map((o) => `${item.correct.includes(o.id) ? '=' : '~'}${answerText(o.text)}${fb(o.feedback)}`));
      break;
    case 'multiple_choice': {
      const share = 100 / item.correct.length;
      const wrong = item.scoring === 'all_or_nothing' ? -100 : -share;
      answers = lines(item.options.map((o) => `~%${weightText(item.correct.includes(o.id) ? share : wrong)}%${answerText(o.text)}${fb(o.feedback)}`));
      break;
    }
    case 'true_false':
      // `{T#feedback for a wrong answer#feedback for the right one}`
      answers = `{${item.value ? 'TRUE' : 'FALSE'}${feedback.incorrect || feedback.correct ? `${fb(feedback.incorrect) || '#'}${fb(feedback.correct)}` : ''}}`;
      break;
    case 'short_text':
      answers = lines(item.accepted.map((a) => `=${answerText(a)}${fb(feedback.correct)}`));
      break;
    case 'numeric':
      answers = `{#${formatNumber(item.value)}:${formatNumber(item.tolerance ?? 0)}${fb(feedback.correct)}${feedback.incorrect ? ` ~${fb(feedback.incorrect)}` : ''}}`;
      break;
    case 'matching':
      // Moodle reads the right side of a pair as plain text.
      answers = lines(matchingRows(item).map((r) => `=${answerText(r.premise)} -> ${escapeGift(htmlToText(r.choice))}`));
      break;
    case 'essay':
      answers = '{}';
      break;
    default:
      throw new Error(`GIFT cannot carry ${item.type} items`);
  }
  if (feedback.general) answers = `${answers.slice(0, -1)}${answers.endsWith('\n}') ? '\t' : ''}####[html]${escapeGift(feedback.general)}${answers.endsWith('\n}') ? '\n' : ''}}`;
  return `${head}${stem}${answers}\n\n`;
}


export async function write(source: ItemSource, out: Writable): Promise<void> {
  await writeChunk(out, '// Exported from the exam engine question bank (GIFT, UTF-8)\n\n');
  let category = '';
  for await (const item of source.all()) {
    const path = item.provenance?.source?.categoryPath ?? [];
    const key = path.join('/');
    if (key !== category) {
      // Moodle's `//` escapes a `/` inside a category name; the top category alone clears it.
      await writeChunk(out, `$CATEGORY: $course$/top${path.map((c) => `/${c.replace(/\//g, '//')}`).join('')}\n\n`);
      category = key;
    }
    await writeChunk(out, serializeItem(item));
  }
}

export const gift: FormatModule = {
  name: 'gift',
  types: GIFT_TYPES,
  contentType: 'text/plain; charset=utf-8',
  extension: 'gift.txt',
  parse,
  write,
};
