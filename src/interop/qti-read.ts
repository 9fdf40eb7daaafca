import path from 'node:path';
import type { Choice, ClozeBlank, ClozeChoiceBlank, ClozeItemBlank, ItemFeedback, ItemProvenance, Labelled } from '../bank/item-types.js';
import { defaultRubric, draft } from './drafts.js';
import { mathmlElementToLatex } from './mathml-latex.js';
import {
  decodeText,
  escapeHtml,
  formatNumber,
  ids,
  isId,
  ItemProblem,
  messageOf,
  parseNumber,
  readMetaTags,
  UnreadableFile,
  type ItemDraft,
  type PackageAudio,
  type ParsedEntry,
  type ParsedStimulus,
  type ParseOptions,
  type ParseResult,
  type ReadMeta,
} from './model.js';
import { feedbackUses } from './qti-feedback.js';
import { asQti3, isQti2Root } from './qti-v2.js';
import { attr, child, decodeEntities, elements, findAll, innerXml, outerXml, parseXml, textOf, type XElement } from './xml.js';
import { isZip, safeUnzip } from './zip.js';

/**
 * Reads QTI 3.0 and QTI 2.1/2.2 (renamed into a 3.0 tree by qti-v2.ts):
 * single item documents, or content packages (zip with `imsmanifest.xml`).
 *
 * choice (max-choices 1) → single_choice, or true_false when its two choices
 * are `true`/`false`; choice (more) → multiple_choice (a `qti-mapping` means
 * partial credit); order → ordering; match → matching, or
 * true_false_cluster when the second set is `true`/`false`; associate →
 * matching (the first choice of each right pair becomes a premise); one
 * text-entry → numeric (float/integer, tolerance from `qti-equal`) or
 * short_text (string: correct values and mapping keys); several text-entry →
 * cloze; extended-text → essay (rubric from a scorer rubric block);
 * inline-choice (alone, several, or beside text-entry gaps) → cloze whose
 * inline choices are choice blanks (options in order, shuffle kept). An end-attempt
 * interaction (a hint or solution button) beside the real one is left out.
 * MathML becomes `\( … \)` LaTeX; package images become data: URLs, which the
 * bank moves into the media library. Shared stimuli (QTI 3
 * `qti-assessment-stimulus-ref`, QTI 2.2 `<object type="text/html">`) become
 * passages the items refer to. Rubric blocks for staff become the item's
 * staff notes; feedback becomes its feedback where response processing makes
 * its use clear (qti-feedback.ts); the item's identifier and title its
 * provenance. Whatever is not stored (feedback of other uses, media that
 * cannot be shown) is a warning of the
 * item naming it; items whose values are generated (templates) or whose
 * scoring depends on earlier attempts (adaptive) are refused rather than
 * misread.
 */

const ITEM_RESOURCE = /^imsqti_item_xmlv(3p0|2p[12])/i;

// ------------------------------------------------------------- responses

interface ResponseDecl {
  cardinality: string;
  baseType: string;
  correct: string[];
  mapping: { key: string; value: number; caseSensitive: boolean }[] | null;
}

function responses(root: XElement): Map<string, ResponseDecl> {
  const out = new Map<string, ResponseDecl>();
  for (const d of elements(root, 'qti-response-declaration')) {
    const mapping = child(d, 'qti-mapping');
    out.set(attr(d, 'identifier') ?? '', {
      cardinality: attr(d, 'cardinality') ?? 'single',
      baseType: attr(d, 'base-type') ?? 'identifier',
      correct: elements(child(d, 'qti-correct-response'), 'qti-value').map((v) => textOf(v).trim()),
      mapping: mapping
        ? elements(mapping, 'qti-map-entry').map((e) => ({
            key: attr(e, 'map-key') ?? '',
            value: parseNumber(attr(e, 'mapped-value') ?? '0') || 0,
            caseSensitive: attr(e, 'case-sensitive') !== 'false',
          }))
        : null,
    });
  }
  return out;
}

function outcomeDefault(root: XElement, identifier: string): number | undefined {
  const d = elements(root, 'qti-outcome-declaration').find((o) => attr(o, 'identifier') === identifier);
  const v = elements(child(d, 'qti-default-value'), 'qti-value')[0];
  if (!v) return undefined;
  const n = parseNumber(textOf(v));
  return Number.isNaN(n) ? undefined : n;
}

/** Absolute tolerance of the `qti-equal` that compares this response, if response processing has one. */
function tolerance(root: XElement, responseId: string, value: number, warnings: string[]): number {
  const rp = child(root, 'qti-response-processing');
  if (!rp) return 0;
  for (const eq of findAll(rp, (e) => e.name === 'qti-equal')) {
    if (!findAll(eq, (e) => e.name === 'qti-variable' && attr(e, 'identifier') === responseId).length) continue;
    const t = parseNumber((attr(eq, 'tolerance') ?? '0').trim().split(/\s+/)[0]!);
    if (Number.isNaN(t)) return 0;
    const mode = attr(eq, 'tolerance-mode') ?? 'exact';
    if (mode === 'absolute') return Math.abs(t);
    if (mode === 'relative') {
      const absolute = Number(Math.abs((value * t) / 100).toPrecision(12));
      warnings.push(`Relative tolerance ${t}% is turned into the absolute tolerance ${formatNumber(absolute)}`);
      return absolute;
    }
    return 0;
  }
  return 0;
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Our ids for a list of QTI identifiers: kept when valid, else the conventional ids for the whole list. */
function idMap(identifiers: string[], conventional: (i: number) => string): Map<string, string> {
  const mine = identifiers.map((q) => (q.startsWith('ID_') && isId(q.slice(3)) && !NCNAME.test(q.slice(3)) ? q.slice(3) : q));
  const keep = mine.every(isId) && new Set(mine).size === mine.length;
  return new Map(identifiers.map((q, i) => [q, keep ? mine[i]! : conventional(i)]));
}

// ------------------------------------------------------------- content

/** What a document can fetch from its package: pictures as data: URLs, and passages. */
export interface Resources {
  /** A picture at `src` (relative to the document) as a data: URL, or undefined when the package has no such raster image. */
  image(src: string): string | undefined;
  /** The passage's ref for a stimulus reference, or undefined when the package does not hold it. */
  stimulus(ref: { identifier?: string; href: string; title?: string; html?: boolean }): string | undefined;
  /** The bytes of the package's file at `src` (relative to the document), or undefined when it has none. */
  file?(src: string): Uint8Array | undefined;
  /** The media type of a file, read from its content (ParseOptions.mediaType). */
  mediaType?(bytes: Uint8Array): string | null;
}

const NO_RESOURCES: Resources = { image: () => undefined, stimulus: () => undefined };

interface Context {
  root: XElement;
  body: XElement;
  decls: Map<string, ResponseDecl>;
  common: ReadMeta['common'];
  warnings: string[];
  resources: Resources;
  foreign: boolean;
  /** Rubric blocks the item stores elsewhere (an essay's marking scheme), left out of its text. */
  used: Set<XElement>;
}

function hasClass(e: XElement, name: string): boolean {
  return (attr(e, 'class') ?? '').split(/\s+/).includes(name);
}

const isInteraction = (e: XElement) => e.name.endsWith('-interaction');
const isFeedback = (e: XElement) => e.name === 'qti-feedback-block' || e.name === 'qti-feedback-inline' || e.name === 'qti-modal-feedback';
const isImageType = (type: string | undefined) => /^image\//i.test(type ?? '');
/** A rubric block the candidate reads as part of the question. */
const forCandidate = (e: XElement) => (attr(e, 'view') ?? 'candidate').split(/\s+/).includes('candidate');

function excerpt(e: XElement): string {
  const text = textOf(e).replace(/\s+/g, ' ').trim();
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** LaTeX of a MathML element, delimited as the bank stores maths. */
function mathHtml(e: XElement): string {
  const latex = mathmlElementToLatex(e);
  if (latex === '') return '';
  return escapeHtml(attr(e, 'display') === 'block' ? `\\[${latex}\\]` : `\\(${latex}\\)`);
}

/** HTML of content: images resolved, maths as LaTeX, feedback and non-candidate rubric blocks dropped, interactions replaced as asked. */
function html(ctx: Context, nodes: XElement, replace: (e: XElement) => string | undefined, inner = true): string {
  const swap = (e: XElement): string | undefined => {
    const r = replace(e);
    if (r !== undefined) return r;
    if (e.name === 'qti-rubric-block') {
      if (ctx.used.has(e) || !forCandidate(e)) return '';
      const content = child(e, 'qti-content-body') ?? e;
      return innerXml(content, swap);
    }
    if (isFeedback(e) || e.name === 'qti-template-block' || e.name === 'qti-template-inline' || e.name === 'qti-stylesheet' || e.name === 'qti-catalog-info') return '';
    if (e.name === 'qti-assessment-stimulus-ref' || e.name === 'include') return '';
    if (e.name === 'math') return mathHtml(e);
    if (e.name === 'img') {
      const url = ctx.resources.image(attr(e, 'src') ?? '');
      return url ? outerXml({ ...e, attrs: { src: url, ...pick(e.attrs, ['alt', 'width', 'height']) } }) : '';
    }
    if (e.name === 'object') {
      const data = attr(e, 'data') ?? '';
      const url = isImageType(attr(e, 'type')) ? ctx.resources.image(data) : undefined;
      if (url) return outerXml({ name: 'img', attrs: { src: url, ...pick(e.attrs, ['width', 'height']) }, children: [] });
      // What a browser shows when it cannot show the object: its fallback content.
      return innerXml(e, swap);
    }
    if (e.name === 'audio' || e.name === 'video' || e.name === 'qti-printed-variable') return '';
    return undefined;
  };
  const s = inner ? innerXml(nodes, swap) : outerXml(nodes, swap);
  return ctx.foreign ? s.replace(/\s*\n\s*/g, ' ').trim() : s;
}

function pick(attrs: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => attrs[k] !== undefined).map((k) => [k, attrs[k]!]));
}

/**
 * Names everything in the item that the bank will not store: feedback,
 * rubric blocks for other readers, pictures and media that cannot be shown.
 */
function dropped(ctx: Context): void {
  const w = ctx.warnings;
  for (const f of findAll(ctx.root, isFeedback)) {
    if (ctx.used.has(f)) continue;
    const kind = f.name === 'qti-modal-feedback' ? 'Modal feedback' : f.name === 'qti-feedback-inline' ? 'Inline feedback' : 'Feedback block';
    w.push(`${kind} "${attr(f, 'identifier') ?? ''}" is not stored: ${excerpt(f)}`);
  }
  for (const t of findAll(ctx.body, (e) => e.name === 'qti-template-block' || e.name === 'qti-template-inline')) {
    w.push(`Template content "${attr(t, 'identifier') ?? ''}" is not stored: ${excerpt(t)}`);
  }
  for (const img of findAll(ctx.body, (e) => e.name === 'img')) {
    const src = attr(img, 'src') ?? '';
    if (!ctx.resources.image(src)) w.push(`Image ${src || '(no source)'} is not stored: the file does not carry it as a PNG, JPEG, GIF or WebP picture`);
  }
  for (const o of findAll(ctx.body, (e) => e.name === 'object')) {
    const data = attr(o, 'data') ?? '';
    const type = attr(o, 'type') ?? '';
    if (/^text\/html/i.test(type)) continue;
    if (isImageType(type) && ctx.resources.image(data)) continue;
    const fallback = textOf(o).trim() !== '' ? '; its fallback content is kept' : '';
    w.push(`Object ${data} (${type || 'no type'}) is not stored: the file does not carry it as a PNG, JPEG, GIF or WebP picture${fallback}`);
  }
  const companion = child(ctx.root, 'qti-companion-materials-info');
  if (companion) {
    const tools = [...new Set(elements(companion).map((e) => e.name.replace(/^qti-/, '')).filter((n) => !n.startsWith('dep-')))];
    w.push(`Companion materials (${tools.join(', ') || 'tools'}) are not stored`);
  }
  for (const c of findAll(ctx.root, (e) => e.name === 'qti-catalog-info')) {
    const supports = [...new Set(findAll(c, (e) => e.name === 'qti-card').map((card) => attr(card, 'support') ?? ''))].filter(Boolean);
    w.push(`Accessibility catalog (${supports.join(', ') || 'cards'}) is not stored`);
  }
  for (const a of findAll(ctx.body, (e) => e.name === 'a' && attr(e, 'href') !== undefined)) {
    w.push(`Link ${attr(a, 'href')} is not stored; its text is`);
  }
  for (const m of findAll(ctx.body, (e) => e.name === 'audio' || e.name === 'video')) {
    if (ctx.used.has(m)) continue;
    const src = attr(m, 'src') ?? attr(findAll(m, (e) => e.name === 'source')[0] ?? m, 'src') ?? '';
    w.push(`${m.name === 'audio' ? 'Audio' : 'Video'} ${src} is not stored`);
  }
}

function mediaSrc(m: XElement): string {
  return attr(m, 'src') ?? attr(findAll(m, (e) => e.name === 'source')[0] ?? m, 'src') ?? '';
}

/**
 * The item's recording: the first `<audio>` of the body whose source is an
 * MP3, Ogg or M4A file of the package (read from its content). Its
 * `data-max-plays` (1–10) is the play limit. Any other audio is named.
 */
function recordingOf(ctx: Context): PackageAudio | undefined {
  let found: PackageAudio | undefined;
  for (const m of findAll(ctx.body, (e) => e.name === 'audio')) {
    ctx.used.add(m);
    const src = mediaSrc(m);
    const named = src || '(no source)';
    if (found) {
      ctx.warnings.push(`Audio ${named} is not stored: an item keeps one recording, and ${found.src} is it`);
      continue;
    }
    const data = src === '' || /^[a-z]+:/i.test(src) ? undefined : ctx.resources.file?.(src);
    if (!data) {
      ctx.warnings.push(`Audio ${named} is not stored: the package does not hold the file`);
      continue;
    }
    const type = ctx.resources.mediaType?.(data) ?? null;
    if (!type?.startsWith('audio/')) {
      ctx.warnings.push(`Audio ${named} is not stored: the file is not an MP3, Ogg or M4A recording`);
      continue;
    }
    const plays = Number(attr(m, 'data-max-plays'));
    found = { src, data, ...(Number.isInteger(plays) && plays >= 1 && plays <= 10 ? { maxPlays: plays } : {}) };
  }
  return found;
}

function stemOf(ctx: Context, interaction: XElement | null, gap = false): string {
  const marked = findAll(ctx.body, (e) => e.name === 'div' && hasClass(e, 'exam-stem'))[0];
  if (marked) return html({ ...ctx, foreign: false }, marked, () => undefined);
  return html(ctx, ctx.body, (e) => {
    if (e !== interaction) return isInteraction(e) ? '' : undefined;
    if (gap) return '_____';
    const prompt = child(e, 'qti-prompt');
    return prompt ? `<p>${html(ctx, prompt, () => undefined)}</p>` : '';
  });
}

function choiceText(ctx: Context, e: XElement): string {
  return html(ctx, e, (x) => (x.name === 'qti-prompt' ? '' : undefined));
}

function shuffleOf(inter: XElement, common: ReadMeta['common']): ReadMeta['common'] {
  const s = attr(inter, 'shuffle');
  return s === undefined ? common : { ...common, shuffleOptions: s === 'true' };
}

function declFor(ctx: Context, inter: XElement): { id: string; decl: ResponseDecl } {
  const id = attr(inter, 'response-identifier') ?? '';
  const decl = ctx.decls.get(id);
  if (!decl) throw new ItemProblem(`QTI interaction names response "${id}", which is not declared`);
  return { id, decl };
}

/**
 * The value a custom response processing scores: the `qti-base-value` that a
 * `qti-equal`, `qti-match` or `qti-string-match` compares the response with,
 * in a branch that sets SCORE to a positive number. Used when the
 * declaration has no correct response.
 */
function scoredValue(root: XElement, responseId: string): string | undefined {
  return scoredValues(root, responseId)[0];
}

/** Every value {@link scoredValue} finds, in the order of the branches. */
function scoredValues(root: XElement, responseId: string): string[] {
  const out: string[] = [];
  const rp = child(root, 'qti-response-processing');
  if (!rp) return out;
  for (const branch of findAll(rp, (e) => e.name === 'qti-response-if' || e.name === 'qti-response-else-if')) {
    const test = elements(branch)[0];
    if (!test || !['qti-equal', 'qti-match', 'qti-string-match'].includes(test.name)) continue;
    const operands = elements(test);
    if (operands.length !== 2 || !operands.some((o) => o.name === 'qti-variable' && attr(o, 'identifier') === responseId)) continue;
    const value = operands.find((o) => o.name === 'qti-base-value');
    const sets = elements(branch, 'qti-set-outcome-value').find((o) => attr(o, 'identifier') === 'SCORE');
    const score = sets ? elements(sets) : [];
    if (value && score.length === 1 && score[0]!.name === 'qti-base-value' && parseNumber(textOf(score[0])) > 0) out.push(textOf(value).trim());
  }
  return [...new Set(out)];
}

function textEntryBlank(ctx: Context, inter: XElement, blankId: string): ClozeBlank {
  const { id, decl } = declFor(ctx, inter);
  if (decl.correct.length === 0) {
    const scored = scoredValue(ctx.root, id);
    if (scored !== undefined) decl.correct = [scored];
  }
  if (decl.baseType === 'float' || decl.baseType === 'integer') {
    const value = parseNumber(decl.correct[0] ?? '');
    if (Number.isNaN(value)) throw new ItemProblem(`QTI response ${id} has no numeric correct value`);
    return { id: blankId, value, tolerance: tolerance(ctx.root, id, value, ctx.warnings) };
  }
  const mapped = (decl.mapping ?? []).filter((m) => m.value > 0);
  const accepted = [...new Set([...decl.correct, ...mapped.map((m) => m.key)])].filter((a) => a !== '');
  if (accepted.length === 0) throw new ItemProblem(`QTI response ${id} has no correct value`);
  const top = Math.max(0, ...mapped.map((m) => m.value));
  const partial = mapped.filter((m) => m.value < top);
  if (partial.length) ctx.warnings.push(`Partial credit of response ${id} is not stored: ${partial.map((m) => `"${m.key}" (${formatNumber(m.value)} of ${formatNumber(top)})`).join(', ')} now earns full credit`);
  // Without a mapping, QTI compares strings exactly.
  const caseSensitive = decl.mapping ? decl.mapping.some((m) => m.caseSensitive) : true;
  return { id: blankId, accepted, ...(caseSensitive ? { caseSensitive } : {}) };
}

/**
 * An inline choice as a cloze choice blank: its choices in order, `shuffle`
 * as the interaction says, right from the correct response (or, without one,
 * the choices a mapping scores). A `multiple` response is a pick-several blank.
 */
function choiceBlank(ctx: Context, inter: XElement, blankId: string): ClozeChoiceBlank {
  const { id, decl } = declFor(ctx, inter);
  const choices = elements(inter, 'qti-inline-choice');
  const qids = choices.map((c) => attr(c, 'identifier') ?? '');
  const map = idMap(qids, ids.option);
  let correct = decl.correct;
  if (correct.length === 0) {
    const scored = scoredValues(ctx.root, id);
    correct = scored.length ? scored : (decl.mapping ?? []).filter((m) => m.value > 0).map((m) => m.key);
  }
  if (correct.length === 0) throw new ItemProblem(`QTI inline choice ${id} has no correct response (a survey or a response scored by rules only)`);
  const unknown = correct.filter((v) => !qids.includes(v));
  if (unknown.length) throw new ItemProblem(`QTI correct response of ${id} names ${unknown.join(', ')}, which is not a choice of the inline choice`);
  const multiple = decl.cardinality === 'multiple';
  if (!multiple && correct.length === qids.length) throw new ItemProblem(`QTI inline choice ${id} counts every choice right; a dropdown blank needs a wrong one`);
  const top = Math.max(0, ...(decl.mapping ?? []).map((m) => m.value));
  const partial = (decl.mapping ?? []).filter((m) => m.value > 0 && m.value < top);
  if (partial.length) ctx.warnings.push(`Partial credit of response ${id} is not stored: ${partial.map((m) => `"${m.key}" (${formatNumber(m.value)} of ${formatNumber(top)})`).join(', ')} now earns full credit`);
  const shuffle = attr(inter, 'shuffle') === 'true';
  const fixed = choices.filter((c) => attr(c, 'fixed') === 'true').map((c) => attr(c, 'identifier') ?? '');
  if (shuffle && fixed.length) ctx.warnings.push(`Fixed positions of inline choices ${fixed.join(', ')} of ${id} are not stored: a dropdown blank shuffles all its options or none`);
  return {
    id: blankId,
    options: choices.map((c, i) => ({ id: map.get(qids[i]!)!, text: choiceText(ctx, c) })),
    correct: correct.map((v) => map.get(v) ?? v),
    ...(multiple ? { multiple: true } : {}),
    ...(shuffle ? { shuffle: true } : {}),
  };
}

function blankIdOf(responseId: string, i: number): string {
  const bare = responseId.startsWith('RESPONSE_') ? responseId.slice('RESPONSE_'.length) : responseId;
  return isId(bare) ? bare : ids.blank(i);
}

function cloze(ctx: Context, entries: XElement[]): ItemDraft {
  const gapIds = new Set(entries.map((e) => attr(e, 'response-identifier') ?? ''));
  const rp = child(ctx.root, 'qti-response-processing');
  const crossed = rp
    ? findAll(rp, (e) => e.name === 'qti-string-match' || e.name === 'qti-match').some((m) => elements(m, 'qti-variable').filter((v) => gapIds.has(attr(v, 'identifier') ?? '')).length >= 2)
    : false;
  // Scoring that compares gaps with each other (each city once) is not a cloze, whose gaps score on their own.
  if (crossed) throw new ItemProblem('QTI response processing compares the gaps with each other (answers that must differ); a cloze item scores each gap on its own');
  const blanks: ClozeItemBlank[] = [];
  const marker = new Map<XElement, string>();
  entries.forEach((e, i) => {
    const blankId = blankIdOf(attr(e, 'response-identifier') ?? '', i);
    const blank = e.name === 'qti-inline-choice-interaction' ? choiceBlank(ctx, e, blankId) : textEntryBlank(ctx, e, blankId);
    blanks.push(blank);
    marker.set(e, `{{${blank.id}}}`);
  });
  if (new Set(blanks.map((b) => b.id)).size !== blanks.length) {
    // Two gaps answering the same response: fall back to b1, b2, ….
    blanks.forEach((b, i) => {
      b.id = ids.blank(i);
      marker.set(entries[i]!, `{{${b.id}}}`);
    });
  }
  const replace = (e: XElement) => marker.get(e);
  const container = findAll(ctx.body, (e) => e.name === 'div' && hasClass(e, 'exam-cloze'))[0];
  let text: string;
  let stem: string;
  if (container) {
    text = html({ ...ctx, foreign: false }, container, replace);
    stem = stemOf(ctx, null);
  } else {
    const blocks = elements(ctx.body);
    const withEntry = blocks.filter((b) => findAll(b, isInteraction).length > 0);
    const rest = blocks.filter((b) => !withEntry.includes(b));
    text = withEntry.map((b) => html(ctx, b, replace, false)).join(' ');
    stem = rest.map((b) => html(ctx, b, () => undefined, false)).join(' ').trim();
  }
  if (!hasContent(stem)) stem = escapeHtml(attr(ctx.root, 'title') ?? '');
  if (stem === '') throw new ItemProblem('QTI cloze item has no text besides its gaps to use as a stem');
  return draft('cloze', stem, ctx.common, { text, blanks });
}

const POINTS = /(\d+(?:[.,]\d+)?)\s*(?:points?|pts?|marks?|điểm)\b/i;

/**
 * An essay's marking scheme from the rubric block for scorers: a table of
 * criterion and points; list entries that each say their points; otherwise
 * the whole scheme as one criterion worth the item's points.
 */
function readRubric(ctx: Context): { criterion: string; maxPoints: number }[] | null {
  const plain = { ...ctx, foreign: false };
  const blocks = findAll(ctx.body, (e) => e.name === 'qti-rubric-block' && (attr(e, 'view') ?? '').split(/\s+/).includes('scorer') && textOf(e).trim() !== '');
  const aspects = aspectRubric(ctx, blocks);
  if (aspects) return aspects;
  for (const block of blocks) {
    const table = findAll(block, (e) => e.name === 'table')[0];
    if (table) {
      const rows = findAll(table, (e) => e.name === 'tr').map((tr) => {
        const cells = elements(tr).filter((c) => c.name === 'td' || c.name === 'th');
        return { criterion: cells[0] ? html(plain, cells[0], () => undefined) : '', maxPoints: parseNumber(textOf(cells[1])) };
      });
      const good = rows.filter((r) => r.criterion !== '' && !Number.isNaN(r.maxPoints) && r.maxPoints > 0);
      if (good.length) {
        ctx.used.add(block);
        return good.slice(0, 20);
      }
    }
    const entries = findAll(block, (e) => e.name === 'li');
    const scored = entries.map((li) => ({ li, m: POINTS.exec(textOf(li)) }));
    if (entries.length > 0 && entries.length <= 20 && scored.every((s) => s.m && parseNumber(s.m[1]!.replace(',', '.')) > 0)) {
      ctx.used.add(block);
      return scored.map((s) => ({ criterion: html(plain, s.li, () => undefined).trim(), maxPoints: parseNumber(s.m![1]!.replace(',', '.')) }));
    }
    const content = child(block, 'qti-content-body') ?? block;
    const criterion = html(ctx, content, () => undefined).trim();
    if (criterion === '') continue;
    const stated = POINTS.exec(textOf(block));
    const points = ctx.common.points ?? (stated ? parseNumber(stated[1]!.replace(',', '.')) : Number.NaN);
    ctx.used.add(block);
    return [{ criterion, maxPoints: Number.isFinite(points) && points > 0 ? Math.min(points, 100) : 1 }];
  }
  return null;
}

/**
 * Marking by aspects (as Cito writes it): one scorer rubric block per aspect,
 * each naming with `data-outcome-idref` the outcome that holds its maximum
 * (`normal-maximum`), and titled by `data-dep-caption`.
 */
function aspectRubric(ctx: Context, blocks: XElement[]): { criterion: string; maxPoints: number }[] | null {
  const linked = blocks.filter((b) => attr(b, 'data-outcome-idref') !== undefined);
  if (linked.length === 0 || linked.length > 20) return null;
  const criteria = linked.map((b) => {
    const outcome = elements(ctx.root, 'qti-outcome-declaration').find((o) => attr(o, 'identifier') === attr(b, 'data-outcome-idref'));
    const max = parseNumber(attr(outcome ?? b, 'normal-maximum') ?? '');
    const caption = attr(b, 'data-dep-caption');
    const content = html(ctx, child(b, 'qti-content-body') ?? b, () => undefined).trim();
    return { criterion: caption ? `<b>${escapeHtml(caption)}</b>: ${content}` : content, maxPoints: max };
  });
  if (criteria.some((c) => !(c.maxPoints > 0) || c.maxPoints > 100)) return null;
  for (const b of linked) ctx.used.add(b);
  return criteria;
}

/** Stimulus references of the item, as the package resolves them; warnings for those it cannot. */
function stimulusOf(ctx: Context): string | undefined {
  const refs: string[] = [];
  for (const r of elements(ctx.root, 'qti-assessment-stimulus-ref')) {
    const href = attr(r, 'href') ?? '';
    const ref = ctx.resources.stimulus({ identifier: attr(r, 'identifier'), href, title: attr(r, 'title') });
    if (ref) refs.push(ref);
    else ctx.warnings.push(`Shared stimulus ${attr(r, 'identifier') ?? ''} (${href}) is not in the file or cannot be read; the item is stored without its passage`);
  }
  for (const o of findAll(ctx.body, (e) => e.name === 'object' && /^text\/html/i.test(attr(e, 'type') ?? ''))) {
    const href = attr(o, 'data') ?? '';
    if (/^([a-z]+:)?\/\//i.test(href)) {
      ctx.warnings.push(`Embedded page ${href} is not stored`);
      continue;
    }
    const ref = ctx.resources.stimulus({ href, html: true });
    if (ref) refs.push(ref);
    else ctx.warnings.push(`Shared passage ${href} is not in the file or cannot be read; the item is stored without its passage`);
  }
  // XInclude (QTI 2.2's way to share content between items): the included file is the passage.
  for (const inc of findAll(ctx.body, (e) => e.name === 'include' && attr(e, 'href') !== undefined)) {
    const href = attr(inc, 'href') ?? '';
    const ref = /^([a-z]+:)?\/\//i.test(href) ? undefined : ctx.resources.stimulus({ href, html: !/\.xml$/i.test(href) });
    if (ref) refs.push(ref);
    else ctx.warnings.push(`Included content ${href} is not in the file or cannot be read; the item is stored without it`);
  }
  const distinct = [...new Set(refs)];
  if (distinct.length > 1) ctx.warnings.push(`The item refers to ${distinct.length} shared stimuli; it is linked to the first (${distinct[0]}) only`);
  return distinct[0];
}

function parseItem(source: XElement, meta: ReadMeta, resources: Resources, warnings: string[], found?: { audio?: PackageAudio }): ItemDraft {
  const root = asQti3(source);
  if (root.name !== 'qti-assessment-item') throw new ItemProblem(`<${source.name}> is not a QTI item (qti-assessment-item, or assessmentItem of QTI 2.1/2.2)`);
  const body = child(root, 'qti-item-body');
  if (!body) throw new ItemProblem('QTI item has no item body');
  if (attr(root, 'adaptive') === 'true') throw new ItemProblem('QTI adaptive item (scored over several attempts) cannot become one item');
  if (child(root, 'qti-template-declaration') || child(root, 'qti-template-processing') || findAll(body, (e) => e.name === 'qti-printed-variable').length) {
    throw new ItemProblem('QTI template item (values generated for each candidate) cannot become one item');
  }
  const common: ReadMeta['common'] = { ...meta.common };
  const lang = (attr(root, 'lang') ?? '').toLowerCase();
  if (common.language === undefined && (lang.startsWith('vi') || lang.startsWith('en'))) common.language = lang.startsWith('vi') ? 'vi' : 'en';
  const scoreDecl = elements(root, 'qti-outcome-declaration').find((o) => attr(o, 'identifier') === 'SCORE');
  const maxScore = outcomeDefault(root, 'MAXSCORE') ?? (scoreDecl ? parseNumber(attr(scoreDecl, 'normal-maximum') ?? '') : undefined);
  if (maxScore !== undefined && maxScore > 0 && maxScore <= 100) common.points = maxScore;
  const foreign = findAll(body, (e) => e.name === 'div' && hasClass(e, 'exam-stem')).length === 0;
  const ctx: Context = { root, body, decls: responses(root), common, warnings, resources, foreign, used: new Set() };

  const all = findAll(body, isInteraction);
  if (all.length === 0) throw new ItemProblem('QTI item has no interaction');
  const ends = all.filter((i) => i.name === 'qti-end-attempt-interaction');
  const interactions = all.filter((i) => !ends.includes(i));
  if (interactions.length === 0) throw new ItemProblem('QTI item has only an end-attempt interaction');
  const read = readInteractions(ctx, interactions, meta);
  const notes = staffNotesOf(ctx);
  const item = withFeedback(ctx, notes ? ({ ...read, staffNotes: notes } as ItemDraft) : read, interactions, ends);
  // A hint button whose hints the item keeps is no loss; any other end-attempt button is named.
  if (!item.hints?.length) {
    for (const e of ends) warnings.unshift(`End-attempt button "${attr(e, 'title') ?? attr(e, 'response-identifier') ?? ''}" (hint or solution) is left out`);
  }
  const stimulusId = stimulusOf(ctx);
  const recording = recordingOf(ctx);
  if (recording && found) found.audio = recording;
  dropped(ctx);
  emptyParts(item, warnings);
  const provenance = provenanceOf(root, item);
  return { ...item, ...(stimulusId ? { stimulusId } : {}), ...(provenance ? { provenance } : {}) } as ItemDraft;
}

/**
 * Rubric blocks for staff (views tutor, scorer, author, proctor,
 * testConstructor) that the item does not use otherwise (an essay's marking
 * scheme): the item's staff notes. Several are each headed by their view.
 */
function staffNotesOf(ctx: Context): string | undefined {
  const blocks = findAll(ctx.body, (e) => e.name === 'qti-rubric-block' && !forCandidate(e) && !ctx.used.has(e) && (textOf(e).trim() !== '' || findAll(e, (x) => x.name === 'img').length > 0));
  const parts = blocks.map((b) => ({ view: attr(b, 'view') ?? '', html: html(ctx, child(b, 'qti-content-body') ?? b, () => undefined).trim() })).filter((p) => hasContent(p.html));
  for (const b of blocks) ctx.used.add(b);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0]!.html;
  return parts.map((p) => `<p><b>${escapeHtml(p.view)}</b></p>${p.html}`).join('');
}

/** The plain text of a stem as a title: what an exporter (this one included) makes up when an item has none. */
export function stemTitle(stem: string): string {
  return decodeEntities(stem.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
}

/**
 * The item's `identifier` (or the `data-external-id` an export writes for an
 * id that is no XML name) as its external id, and its `title` unless the
 * title is only the start of the question text.
 */
function provenanceOf(root: XElement, item: ItemDraft): ItemProvenance | undefined {
  const externalId = (attr(root, 'data-external-id') ?? attr(root, 'identifier') ?? '').normalize('NFC').trim();
  const title = (attr(root, 'title') ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
  const out: ItemProvenance = {
    ...(title && title !== stemTitle(item.stem) ? { title: [...title].slice(0, 300).join('') } : {}),
    ...(externalId ? { externalId: [...externalId].slice(0, 200).join('') } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

/** The item's feedback, from the feedback elements whose use response processing makes clear (qti-feedback.ts). */
function withFeedback(ctx: Context, item: ItemDraft, interactions: XElement[], ends: XElement[]): ItemDraft {
  const feedbacks = findAll(ctx.root, isFeedback);
  if (feedbacks.length === 0) return item;
  const single = interactions.length === 1 ? interactions[0]! : undefined;
  const choiceIds = single ? elements(single).filter((c) => c.name === 'qti-simple-choice' || c.name === 'qti-inline-choice').map((c) => attr(c, 'identifier') ?? '') : [];
  const uses = feedbackUses(
    { root: ctx.root, item, responses: interactions.map((i) => attr(i, 'response-identifier') ?? ''), choiceIds, hintResponses: ends.map((e) => attr(e, 'response-identifier') ?? '') },
    feedbacks,
  );
  if (uses.size === 0) return item;
  const optionIds = idMap(choiceIds, ids.option);
  const feedback: ItemFeedback = { ...item.feedback };
  const byOption = new Map<string, string>();
  const hints: string[] = [];
  for (const [f, list] of uses) {
    ctx.used.add(f);
    const title = f.name === 'qti-modal-feedback' ? (attr(f, 'title') ?? '').trim() : '';
    const body = html({ ...ctx, foreign: true }, child(f, 'qti-content-body') ?? f, () => undefined);
    if (!hasContent(body) && title === '') continue;
    const text = `${title ? `<p><b>${escapeHtml(title)}</b></p>` : ''}${body}`;
    for (const use of list) {
      if ('hint' in use) hints.push(text);
      else if ('slot' in use) feedback[use.slot] = (feedback[use.slot] ?? '') + text;
      else {
        const id = optionIds.get(use.option) ?? use.option;
        byOption.set(id, (byOption.get(id) ?? '') + text);
      }
    }
  }
  const out = { ...item } as ItemDraft & { options?: Choice[] };
  if (Object.keys(feedback).length) out.feedback = feedback;
  if (hints.length) {
    const all = [...(item.hints ?? []), ...hints];
    if (all.length > 10) ctx.warnings.push(`${all.length - 10} hints after the tenth are not stored (an item keeps 10)`);
    out.hints = all.slice(0, 10);
  }
  if (byOption.size && out.options) out.options = out.options.map((o) => (byOption.has(o.id) ? { ...o, feedback: byOption.get(o.id)! } : o));
  return out;
}

const hasContent = (html: string) => /<img\b/i.test(html) || decodeEntities(html.replace(/<[^>]*>/g, '')).trim() !== '';

/** A question or answers whose only content was media the item cannot hold would be blank: the item is refused, saying what was left out. */
function emptyParts(item: ItemDraft, warnings: string[]): void {
  const media = warnings.filter((w) => /^(Image|Object|Audio|Video|Embedded page|Shared)/.test(w));
  const why = media.length ? ` (${media.join('; ')})` : '';
  if (!hasContent(item.stem)) throw new ItemProblem(`QTI item has no question text left once what it cannot hold is left out${why}`);
  const record = item as unknown as Record<string, unknown>;
  for (const key of ['options', 'premises', 'choices', 'elements', 'statements']) {
    const list = record[key];
    if (!Array.isArray(list)) continue;
    for (const part of list as Labelled[]) {
      if (hasContent(part.text)) continue;
      throw new ItemProblem(`QTI choice ${part.id} has no content left once what it cannot hold is left out${why}`);
    }
  }
}

function readInteractions(ctx: Context, interactions: XElement[], meta: ReadMeta): ItemDraft {
  const { common } = ctx;
  // Inline choices (with or without typed gaps) sit in the text: a cloze whose choice blanks are dropdowns.
  if (interactions.some((i) => i.name === 'qti-inline-choice-interaction') && interactions.every((i) => i.name === 'qti-inline-choice-interaction' || i.name === 'qti-text-entry-interaction')) {
    return cloze(ctx, interactions);
  }
  if (interactions.every((i) => i.name === 'qti-text-entry-interaction')) {
    const marked = findAll(ctx.body, (e) => e.name === 'div' && hasClass(e, 'exam-cloze')).length > 0;
    if (interactions.length > 1 || marked) return cloze(ctx, interactions);
    const blank = textEntryBlank(ctx, interactions[0]!, 'x');
    const stem = stemOf(ctx, interactions[0]!, true);
    if ('value' in blank) return draft('numeric', stem, common, { value: blank.value, tolerance: blank.tolerance ?? 0 });
    return draft('short_text', stem, common, { accepted: blank.accepted, caseSensitive: blank.caseSensitive === true, ...(meta.flags.diacritics === 'ignore' ? { ignoreDiacritics: true } : {}) });
  }
  if (interactions.length > 1) throw new ItemProblem(`QTI item with several interactions (${[...new Set(interactions.map((i) => i.name))].join(', ')}) cannot become one item`);
  const inter = interactions[0]!;
  const { decl } = declFor(ctx, inter);

  switch (inter.name) {
    case 'qti-choice-interaction': {
      const choices = elements(inter, 'qti-simple-choice');
      const qids = choices.map((c) => attr(c, 'identifier') ?? '');
      const stem = stemOf(ctx, inter);
      const max = Number(attr(inter, 'max-choices') ?? '1');
      const unknown = decl.correct.filter((v) => !qids.includes(v));
      if (unknown.length) throw new ItemProblem(`QTI correct response names ${unknown.join(', ')}, which is not a choice of the interaction`);
      if (max === 1 && qids.length === 2 && new Set(qids.map((q) => q.toLowerCase())).has('true') && new Set(qids.map((q) => q.toLowerCase())).has('false')) {
        if (decl.correct.length !== 1) throw new ItemProblem('QTI true/false choice has no single correct value');
        return draft('true_false', stem, common, { value: decl.correct[0]!.toLowerCase() === 'true' });
      }
      if (decl.correct.length === 0) throw new ItemProblem('QTI choice interaction has no correct response (a survey or a response scored by rules only)');
      const map = idMap(qids, ids.option);
      const options = choices.map((c, i) => ({ id: map.get(qids[i]!)!, text: choiceText(ctx, c), ...(attr(c, 'fixed') === 'true' ? { fixed: true } : {}) }));
      const correct = decl.correct.map((v) => map.get(v) ?? v);
      const withShuffle = shuffleOf(inter, common);
      if (max === 1) {
        if (correct.length > 1) throw new ItemProblem('QTI single-choice interaction has several correct values');
        return draft('single_choice', stem, withShuffle, { options, correct });
      }
      return draft('multiple_choice', stem, withShuffle, { options, correct, scoring: decl.mapping ? 'partial' : 'all_or_nothing' });
    }
    case 'qti-order-interaction': {
      const choices = elements(inter, 'qti-simple-choice');
      const qids = choices.map((c) => attr(c, 'identifier') ?? '');
      const map = idMap(qids, ids.element);
      const els: Labelled[] = choices.map((c, i) => ({ id: map.get(qids[i]!)!, text: choiceText(ctx, c) }));
      if (decl.correct.length === 0) throw new ItemProblem('QTI order interaction has no correct order');
      if (decl.correct.length !== qids.length || !qids.every((q) => decl.correct.includes(q))) {
        throw new ItemProblem(`QTI order interaction's correct order names ${decl.correct.length} of its ${qids.length} choices; an ordering item orders them all`);
      }
      // QTI's templates have no partial ordering score; the manifest keyword `scoring:partial` carries ours.
      const scoring = meta.flags.scoring === 'partial' ? 'partial' : 'all_or_nothing';
      return draft('ordering', stemOf(ctx, inter), shuffleOf(inter, common), { elements: els, order: decl.correct.map((v) => map.get(v) ?? v), scoring });
    }
    case 'qti-match-interaction': {
      const sets = elements(inter, 'qti-simple-match-set');
      if (sets.length !== 2) throw new ItemProblem('QTI match interaction needs two qti-simple-match-set elements');
      const [sources, targets] = sets.map((s) => elements(s, 'qti-simple-associable-choice')) as [XElement[], XElement[]];
      const sids = sources.map((c) => attr(c, 'identifier') ?? '');
      const tids = targets.map((c) => attr(c, 'identifier') ?? '');
      const pairs = decl.correct.map((v) => v.trim().split(/\s+/) as [string, string]);
      if (pairs.length === 0) throw new ItemProblem('QTI match interaction has no correct pairs');
      if (pairs.some(([s, t]) => !sids.includes(s) || !tids.includes(t))) throw new ItemProblem('QTI match pairs name choices that are not in their sets');
      const stem = stemOf(ctx, inter);
      if (tids.length === 2 && new Set(tids.map((t) => t.toLowerCase())).has('true') && new Set(tids.map((t) => t.toLowerCase())).has('false')) {
        const map = idMap(sids, ids.statement);
        const values: Record<string, boolean> = {};
        for (const [s, t] of pairs) values[map.get(s) ?? s] = t.toLowerCase() === 'true';
        const ladder = attr(inter, 'data-ladder');
        return draft('true_false_cluster', stem, common, {
          statements: sources.map((c, i) => ({ id: map.get(sids[i]!)!, text: choiceText(ctx, c) })),
          values,
          ...(ladder ? { ladder: ladder.trim().split(/\s+/).map(Number) } : {}),
        });
      }
      const pmap = idMap(sids, ids.premise);
      const cmap = idMap(tids, ids.choice);
      const out: Record<string, string> = {};
      for (const [s, t] of pairs) {
        const p = pmap.get(s) ?? s;
        if (out[p] !== undefined) throw new ItemProblem(`QTI match pairs premise ${s} with several choices; a matching item pairs each premise once`);
        out[p] = cmap.get(t) ?? t;
      }
      const unpaired = sids.filter((s) => out[pmap.get(s)!] === undefined);
      if (unpaired.length) throw new ItemProblem(`QTI match leaves ${unpaired.join(', ')} without a correct pair; a matching item pairs every premise`);
      return draft('matching', stem, shuffleOf(inter, common), {
        premises: sources.map((c, i) => ({ id: pmap.get(sids[i]!)!, text: choiceText(ctx, c) })),
        choices: targets.map((c, i) => ({ id: cmap.get(tids[i]!)!, text: choiceText(ctx, c) })),
        pairs: out,
      });
    }
    case 'qti-associate-interaction': {
      const choices = elements(inter, 'qti-simple-associable-choice');
      const byId = new Map(choices.map((c) => [attr(c, 'identifier') ?? '', c]));
      const pairs = decl.correct.map((v) => v.trim().split(/\s+/) as [string, string]);
      if (pairs.length === 0) throw new ItemProblem('QTI associate interaction has no correct pairs');
      if (pairs.some(([a, b]) => !byId.has(a) || !byId.has(b))) throw new ItemProblem('QTI associate pairs name choices that are not in the interaction');
      const first = [...new Set(pairs.map((p) => p[0]))];
      if (pairs.some((p) => first.includes(p[1]))) throw new ItemProblem('QTI associate pairs chain through a choice; only pairs of distinct premises and answers can become a matching item');
      const premiseIds = first;
      const choiceIds = [...byId.keys()].filter((k) => !premiseIds.includes(k));
      const pmap = idMap(premiseIds, ids.premise);
      const cmap = idMap(choiceIds, ids.choice);
      const out: Record<string, string> = {};
      for (const [a, b] of pairs) {
        const p = pmap.get(a)!;
        if (out[p] !== undefined) throw new ItemProblem(`QTI associate pairs ${a} with several choices; a matching item pairs each premise once`);
        out[p] = cmap.get(b) ?? b;
      }
      return draft('matching', stemOf(ctx, inter), shuffleOf(inter, common), {
        premises: premiseIds.map((q) => ({ id: pmap.get(q)!, text: choiceText(ctx, byId.get(q)!) })),
        choices: choiceIds.map((q) => ({ id: cmap.get(q)!, text: choiceText(ctx, byId.get(q)!) })),
        pairs: out,
      });
    }
    case 'qti-extended-text-interaction': {
      const maxWords = Number(attr(inter, 'data-max-words') ?? Number.NaN);
      const rubric = readRubric(ctx);
      if (!rubric) ctx.warnings.push('The essay has no marking scheme (no rubric block for scorers); it gets the default rubric');
      return draft('essay', stemOf(ctx, inter), common, {
        rubric: rubric ?? defaultRubric(common.points, common.language),
        ...(Number.isInteger(maxWords) && maxWords > 0 ? { maxWords } : {}),
      });
    }
    default:
      throw new ItemProblem(`QTI ${inter.name} is not supported`);
  }
}

// ------------------------------------------------------------- packages

function keywordsOf(resource: XElement): string[] {
  const lom = findAll(resource, (e) => e.name === 'keyword');
  return lom.flatMap((k) => {
    const strings = findAll(k, (e) => e.name === 'string' || e.name === 'langstring');
    return strings.length ? strings.map((s) => textOf(s).trim()) : [textOf(k).trim()];
  });
}

const IMAGE_MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

function resolvePath(base: string, href: string): string {
  let decoded = href;
  try {
    decoded = decodeURIComponent(href);
  } catch {
    // A stray '%' is part of the name.
  }
  return path.posix.normalize(path.posix.join(path.posix.dirname(base), decoded)).replace(/^\.\//, '');
}

function parseEntry(index: number, xml: string, meta: ReadMeta, resources: Resources, where?: string): ParsedEntry {
  const warnings: string[] = [];
  const found: { audio?: PackageAudio } = {};
  try {
    const item = parseItem(parseXml(xml, where ?? 'The QTI item'), meta, resources, warnings, found);
    return { index, item, ...(found.audio ? { audio: found.audio } : {}), ...(warnings.length ? { warnings } : {}) };
  } catch (err) {
    return { index, error: where ? `${where}: ${messageOf(err)}` : messageOf(err) };
  }
}

/** The package's passages, read once each however many items refer to them. */
class Passages {
  readonly list: ParsedStimulus[] = [];
  private readonly byPath = new Map<string, string | null>();
  readonly counts = new Map<string, number>();

  constructor(
    private readonly files: Map<string, Uint8Array>,
    /** Manifest keywords of the package's stimulus resources, by file. */
    private readonly keywords: Map<string, string[]> = new Map(),
  ) {}

  /** Ref of the passage at `file`, reading it the first time; null when it cannot be read. */
  get(file: string, ref: { identifier?: string; title?: string; html?: boolean }, fallbackTitle: string): string | undefined {
    if (this.byPath.has(file)) return this.byPath.get(file) ?? undefined;
    const data = this.files.get(file);
    let stimulus: ParsedStimulus | null = null;
    if (data) {
      try {
        stimulus = ref.html ? this.fromHtml(file, decodeText(Buffer.from(data)), fallbackTitle) : this.fromXml(file, decodeText(Buffer.from(data)), ref, fallbackTitle);
      } catch {
        stimulus = null;
      }
    }
    if (stimulus && this.list.some((s) => s.ref === stimulus!.ref)) stimulus = { ...stimulus, ref: file };
    const meta = readMetaTags(this.keywords.get(file) ?? []).common;
    if (stimulus) {
      const { subject, grade, topic, tags } = meta;
      stimulus = { ...stimulus, ...(subject ? { subject } : {}), ...(grade !== undefined ? { grade } : {}), ...(topic ? { topic } : {}), ...(tags?.length ? { tags } : {}) };
    }
    this.byPath.set(file, stimulus ? stimulus.ref : null);
    if (stimulus) this.list.push(stimulus);
    return stimulus?.ref;
  }

  private fromXml(file: string, xml: string, ref: { identifier?: string; title?: string }, fallbackTitle: string): ParsedStimulus | null {
    const source = parseXml(xml, file);
    const root = asQti3(source);
    // An included XHTML fragment rather than a stimulus document is the passage as it is.
    const body = root.name === 'qti-assessment-stimulus' ? child(root, 'qti-stimulus-body') : { name: 'div', attrs: {}, children: [root] };
    if (!body) return null;
    const ctx: Context = {
      root,
      body,
      decls: new Map(),
      common: {},
      warnings: [],
      resources: { image: imageResolver(this.files, file), stimulus: () => undefined },
      foreign: true,
      used: new Set(),
    };
    const content = html(ctx, body, () => undefined);
    const title = attr(root, 'title') ?? ref.title ?? fallbackTitle;
    const lang = (attr(root, 'lang') ?? '').toLowerCase();
    return { ref: attr(root, 'identifier') ?? ref.identifier ?? file, title: title.slice(0, 500), content, ...(lang.startsWith('vi') ? { language: 'vi' } : lang.startsWith('en') ? { language: 'en' } : {}) };
  }

  private fromHtml(file: string, text: string, fallbackTitle: string): ParsedStimulus | null {
    const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(text)?.[1] ?? text;
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1]?.trim() || fallbackTitle;
    const content = body.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '').trim();
    if (content === '') return null;
    return { ref: file, title: title.slice(0, 500), content };
  }

  /** Position of the next item of passage `ref`. */
  next(ref: string): number {
    const n = this.counts.get(ref) ?? 0;
    this.counts.set(ref, n + 1);
    return n;
  }
}

function imageResolver(files: Map<string, Uint8Array>, file: string): (src: string) => string | undefined {
  return (src: string) => {
    if (src === '' || /^[a-z]+:/i.test(src)) return undefined;
    const bytes = files.get(resolvePath(file, src));
    const mime = IMAGE_MIME[src.split(/[?#]/)[0]!.split('.').pop()?.toLowerCase() ?? ''];
    return bytes && mime ? `data:${mime};base64,${Buffer.from(bytes).toString('base64')}` : undefined;
  };
}

function parsePackage(input: Buffer, mediaType?: ParseOptions['mediaType']): ParseResult {
  const files = safeUnzip(input, 'The QTI package');
  const manifestName = [...files.keys()].find((n) => n.toLowerCase() === 'imsmanifest.xml');
  if (!manifestName) throw new UnreadableFile('The QTI package has no imsmanifest.xml at its root');
  const manifest = parseXml(decodeText(Buffer.from(files.get(manifestName)!)), 'imsmanifest.xml');
  const items: ParsedEntry[] = [];
  const resources = findAll(manifest, (e) => e.name === 'resource');
  const stimulusKeywords = new Map(
    resources.filter((r) => /^imsqti_stimulus/i.test(attr(r, 'type') ?? '')).map((r) => [resolvePath(manifestName, attr(r, 'href') ?? ''), keywordsOf(r)] as const),
  );
  const passages = new Passages(files, stimulusKeywords);
  const listed = new Set<string>();
  const queue: { href: string; file: string; keywords: string[] }[] = [];
  for (const resource of resources) {
    const type = attr(resource, 'type') ?? '';
    const file0 = child(resource, 'file');
    const href = attr(resource, 'href') ?? (file0 ? attr(file0, 'href') : undefined) ?? '';
    if (!ITEM_RESOURCE.test(type)) {
      if (/^imsqti_item/i.test(type)) items.push({ index: items.length, error: `${href}: QTI resource type ${type} is not supported; QTI 3.0, 2.2 and 2.1 items only` });
      continue;
    }
    const file = resolvePath(manifestName, href);
    listed.add(file);
    queue.push({ href, file, keywords: keywordsOf(resource) });
  }
  // Some packages list only their tests; their items are found through the tests' item references.
  for (const resource of resources) {
    if (!/^imsqti_test_xmlv(3p0|2p[12])/i.test(attr(resource, 'type') ?? '')) continue;
    const testFile = resolvePath(manifestName, attr(resource, 'href') ?? '');
    const data = files.get(testFile);
    if (!data) continue;
    let test: XElement;
    try {
      test = parseXml(decodeText(Buffer.from(data)), testFile);
    } catch {
      continue;
    }
    for (const ref of findAll(test, (e) => e.name === 'qti-assessment-item-ref' || e.name === 'assessmentItemRef')) {
      const href = attr(ref, 'href') ?? '';
      const file = resolvePath(testFile, href);
      if (listed.has(file)) continue;
      listed.add(file);
      queue.push({ href: file, file, keywords: [] });
    }
  }
  for (const { href, file, keywords } of queue) {
    const data = files.get(file);
    if (!data) {
      items.push({ index: items.length, error: `${href}: listed in imsmanifest.xml but missing from the package` });
      continue;
    }
    const found: Resources = {
      image: imageResolver(files, file),
      file: (src) => files.get(resolvePath(file, src)),
      ...(mediaType ? { mediaType } : {}),
      stimulus: (ref) => passages.get(resolvePath(file, ref.href), ref, href),
    };
    const entry = parseEntry(items.length, decodeText(Buffer.from(data)), readMetaTags(keywords), found, href);
    const ref = entry.item?.stimulusId;
    if (ref !== undefined) entry.stimulusOrder = passages.next(ref);
    items.push(entry);
  }
  return { items, ...(passages.list.length ? { stimuli: passages.list } : {}) };
}

export function parse(input: Buffer, options: ParseOptions = {}): ParseResult {
  if (isZip(input)) return parsePackage(input, options.mediaType);
  const text = decodeText(input);
  const root = parseXml(text, 'The QTI item');
  if (root.name === 'manifest') throw new UnreadableFile('An imsmanifest.xml alone has no items; send the whole content package as a zip');
  if (root.name !== 'qti-assessment-item' && !isQti2Root(root)) throw new UnreadableFile(`The QTI file's root element is <${root.name}>, not <qti-assessment-item> or <assessmentItem>`);
  return { items: [parseEntry(0, text, readMetaTags([]), NO_RESOURCES)] };
}
