import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClozeBlank, ItemContent, ItemType, Labelled } from '../bank/item-types.js';
import { defaultRubric, draft } from './drafts.js';
import {
  decodeText,
  escapeHtml,
  flagTags,
  formatNumber,
  ids,
  isId,
  ItemProblem,
  messageOf,
  metaTags,
  parseNumber,
  readMetaTags,
  UnreadableFile,
  writeChunk,
  type ExportItem,
  type FormatModule,
  type ItemDraft,
  type ItemSource,
  type ParsedEntry,
  type ParseResult,
  type ReadMeta,
} from './model.js';
import { choiceBlankQti } from './qti-choice-blank.js';
import { attr, child, elements, escapeXml, findAll, innerXml, outerXml, parseXml, textOf, type XElement } from './xml.js';
import { isZip, safeUnzip, ZipWriter } from './zip.js';

/**
 * QTI 3.0 (1EdTech Question and Test Interoperability, ASI 3.0): single
 * `qti-assessment-item` documents, or content packages (zip with
 * `imsmanifest.xml`, resources of type `imsqti_item_xmlv3p0`).
 *
 * choice (max-choices 1) → single_choice, or true_false when its two choices
 * are `true`/`false`; choice (more) → multiple_choice (a `qti-mapping` means
 * partial credit); order → ordering; match → matching, or
 * true_false_cluster when the second set is `true`/`false`; associate →
 * matching (the first choice of each right pair becomes a premise); one
 * text-entry → numeric (float/integer, tolerance from `qti-equal`) or
 * short_text (string: correct values and mapping keys); several text-entry →
 * cloze; extended-text → essay (rubric from a scorer `qti-rubric-block`);
 * inline-choice → single_choice with `_____` in the stem. Any other
 * interaction is reported by its element name.
 *
 * Exports write `MAXSCORE` (points), `xml:lang` (language), `shuffle` and
 * `fixed`, and the classification as LOM keywords in the manifest.
 */

export const QTI_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'];

export const QTI_NS = 'http://www.imsglobal.org/xsd/imsqtiasi_v3p0';
const RP = 'https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/';
const ITEM_RESOURCE = /^imsqti_item_xmlv3p0/i;

// ------------------------------------------------------------------- read

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
      warnings.push(`Relative tolerance ${t}% is turned into the absolute tolerance ${formatNumber(Math.abs((value * t) / 100))}`);
      return Math.abs((value * t) / 100);
    }
    return 0;
  }
  return 0;
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A QTI identifier for one of our ids (identifiers cannot start with a digit or '-'). */
export function qtiId(id: string): string {
  return NCNAME.test(id) ? id : `ID_${id}`;
}

/** Our ids for a list of QTI identifiers: kept when valid, else the conventional ids for the whole list. */
function idMap(identifiers: string[], conventional: (i: number) => string): Map<string, string> {
  const mine = identifiers.map((q) => (q.startsWith('ID_') && isId(q.slice(3)) && !NCNAME.test(q.slice(3)) ? q.slice(3) : q));
  const keep = mine.every(isId) && new Set(mine).size === mine.length;
  return new Map(identifiers.map((q, i) => [q, keep ? mine[i]! : conventional(i)]));
}

interface Context {
  root: XElement;
  body: XElement;
  decls: Map<string, ResponseDecl>;
  common: ReadMeta['common'];
  warnings: string[];
  /** Images of the package as data: URLs, by path. */
  image: (src: string) => string | undefined;
  foreign: boolean;
}

function hasClass(e: XElement, name: string): boolean {
  return (attr(e, 'class') ?? '').split(/\s+/).includes(name);
}

const isInteraction = (e: XElement) => e.name.endsWith('-interaction');

/** HTML of content: images resolved, rubric blocks and feedback dropped, interactions replaced as asked. */
function html(ctx: Context, nodes: XElement, replace: (e: XElement) => string | undefined, inner = true): string {
  const swap = (e: XElement): string | undefined => {
    const r = replace(e);
    if (r !== undefined) return r;
    if (e.name === 'qti-rubric-block' || e.name.startsWith('qti-feedback') || e.name === 'qti-template-block') return '';
    if (e.name === 'img') {
      const src = attr(e, 'src');
      const url = src ? ctx.image(src) : undefined;
      if (url) return outerXml({ ...e, attrs: { ...e.attrs, src: url } });
    }
    return undefined;
  };
  const s = inner ? innerXml(nodes, swap) : outerXml(nodes, swap);
  return ctx.foreign ? s.replace(/\s*\n\s*/g, ' ').trim() : s;
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

function textEntryBlank(ctx: Context, inter: XElement, blankId: string): ClozeBlank {
  const { id, decl } = declFor(ctx, inter);
  if (decl.baseType === 'float' || decl.baseType === 'integer') {
    const value = parseNumber(decl.correct[0] ?? '');
    if (Number.isNaN(value)) throw new ItemProblem(`QTI response ${id} has no numeric correct value`);
    return { id: blankId, value, tolerance: tolerance(ctx.root, id, value, ctx.warnings) };
  }
  const accepted = [...new Set([...decl.correct, ...(decl.mapping ?? []).filter((m) => m.value > 0).map((m) => m.key)])].filter((a) => a !== '');
  if (accepted.length === 0) throw new ItemProblem(`QTI response ${id} has no correct value`);
  // Without a mapping, QTI compares strings exactly.
  const caseSensitive = decl.mapping ? decl.mapping.some((m) => m.caseSensitive) : true;
  return { id: blankId, accepted, ...(caseSensitive ? { caseSensitive } : {}) };
}

function blankIdOf(responseId: string, i: number): string {
  const bare = responseId.startsWith('RESPONSE_') ? responseId.slice('RESPONSE_'.length) : responseId;
  return isId(bare) ? bare : ids.blank(i);
}

function cloze(ctx: Context, entries: XElement[]): ItemDraft {
  const blanks: ClozeBlank[] = [];
  const marker = new Map<XElement, string>();
  entries.forEach((e, i) => {
    const blank = textEntryBlank(ctx, e, blankIdOf(attr(e, 'response-identifier') ?? '', i));
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
  if (stem === '') stem = escapeHtml(attr(ctx.root, 'title') ?? '');
  if (stem === '') throw new ItemProblem('QTI cloze item has no text besides its gaps to use as a stem');
  return draft('cloze', stem, ctx.common, { text, blanks });
}

function readRubric(ctx: Context): { criterion: string; maxPoints: number }[] | null {
  for (const block of findAll(ctx.body, (e) => e.name === 'qti-rubric-block')) {
    const table = findAll(block, (e) => e.name === 'table')[0];
    if (!table) continue;
    const rows = findAll(table, (e) => e.name === 'tr').map((tr) => {
      const cells = elements(tr).filter((c) => c.name === 'td' || c.name === 'th');
      return { criterion: cells[0] ? html({ ...ctx, foreign: false }, cells[0], () => undefined) : '', maxPoints: parseNumber(textOf(cells[1])) };
    });
    const good = rows.filter((r) => r.criterion !== '' && !Number.isNaN(r.maxPoints));
    if (good.length) return good;
  }
  return null;
}

function parseItem(root: XElement, meta: ReadMeta, image: (src: string) => string | undefined, warnings: string[]): ItemDraft {
  if (root.name === 'assessmentItem') throw new ItemProblem('QTI 2.x assessmentItem is not supported; export QTI 3.0 (qti-assessment-item)');
  if (root.name !== 'qti-assessment-item') throw new ItemProblem(`<${root.name}> is not a QTI 3.0 qti-assessment-item`);
  const body = child(root, 'qti-item-body');
  if (!body) throw new ItemProblem('QTI item has no qti-item-body');
  const common: ReadMeta['common'] = { ...meta.common };
  const lang = (attr(root, 'lang') ?? '').toLowerCase();
  if (common.language === undefined && (lang.startsWith('vi') || lang.startsWith('en'))) common.language = lang.startsWith('vi') ? 'vi' : 'en';
  const maxScore = outcomeDefault(root, 'MAXSCORE');
  if (maxScore !== undefined && maxScore > 0) common.points = maxScore;
  const foreign = findAll(body, (e) => e.name === 'div' && hasClass(e, 'exam-stem')).length === 0;
  const ctx: Context = { root, body, decls: responses(root), common, warnings, image, foreign };

  const interactions = findAll(body, isInteraction);
  if (interactions.length === 0) throw new ItemProblem('QTI item has no interaction');
  if (interactions.every((i) => i.name === 'qti-text-entry-interaction')) {
    const marked = findAll(body, (e) => e.name === 'div' && hasClass(e, 'exam-cloze')).length > 0;
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
    case 'qti-choice-interaction':
    case 'qti-inline-choice-interaction': {
      const inline = inter.name === 'qti-inline-choice-interaction';
      const choices = elements(inter, inline ? 'qti-inline-choice' : 'qti-simple-choice');
      const qids = choices.map((c) => attr(c, 'identifier') ?? '');
      const stem = stemOf(ctx, inter, inline);
      const max = inline ? 1 : Number(attr(inter, 'max-choices') ?? '1');
      if (max === 1 && qids.length === 2 && new Set(qids.map((q) => q.toLowerCase())).has('true') && new Set(qids.map((q) => q.toLowerCase())).has('false')) {
        if (decl.correct.length !== 1) throw new ItemProblem('QTI true/false choice has no single correct value');
        return draft('true_false', stem, common, { value: decl.correct[0]!.toLowerCase() === 'true' });
      }
      const map = idMap(qids, ids.option);
      const options = choices.map((c, i) => ({ id: map.get(qids[i]!)!, text: choiceText(ctx, c), ...(attr(c, 'fixed') === 'true' ? { fixed: true } : {}) }));
      const correct = decl.correct.map((v) => map.get(v) ?? v);
      const withShuffle = shuffleOf(inter, common);
      if (max === 1) return draft('single_choice', stem, withShuffle, { options, correct });
      return draft('multiple_choice', stem, withShuffle, { options, correct, scoring: decl.mapping ? 'partial' : 'all_or_nothing' });
    }
    case 'qti-order-interaction': {
      const choices = elements(inter, 'qti-simple-choice');
      const qids = choices.map((c) => attr(c, 'identifier') ?? '');
      const map = idMap(qids, ids.element);
      const els: Labelled[] = choices.map((c, i) => ({ id: map.get(qids[i]!)!, text: choiceText(ctx, c) }));
      if (decl.correct.length === 0) throw new ItemProblem('QTI order interaction has no correct order');
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
      const pairs = decl.correct.map((v) => v.split(/\s+/) as [string, string]);
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
      return draft('matching', stem, shuffleOf(inter, common), {
        premises: sources.map((c, i) => ({ id: pmap.get(sids[i]!)!, text: choiceText(ctx, c) })),
        choices: targets.map((c, i) => ({ id: cmap.get(tids[i]!)!, text: choiceText(ctx, c) })),
        pairs: out,
      });
    }
    case 'qti-associate-interaction': {
      const choices = elements(inter, 'qti-simple-associable-choice');
      const byId = new Map(choices.map((c) => [attr(c, 'identifier') ?? '', c]));
      const pairs = decl.correct.map((v) => v.split(/\s+/) as [string, string]);
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
      return draft('essay', stemOf(ctx, inter), common, {
        rubric: readRubric(ctx) ?? defaultRubric(common.points, common.language),
        ...(Number.isInteger(maxWords) && maxWords > 0 ? { maxWords } : {}),
      });
    }
    default:
      throw new ItemProblem(`QTI ${inter.name} is not supported`);
  }
}

function keywordsOf(resource: XElement): string[] {
  const lom = findAll(resource, (e) => e.name === 'keyword');
  return lom.flatMap((k) => {
    const strings = findAll(k, (e) => e.name === 'string' || e.name === 'langstring');
    return strings.length ? strings.map((s) => textOf(s).trim()) : [textOf(k).trim()];
  });
}

const IMAGE_MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

function resolvePath(base: string, href: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(base), decodeURIComponent(href))).replace(/^\.\//, '');
}

function parseEntry(index: number, xml: string, meta: ReadMeta, image: (src: string) => string | undefined, where?: string): ParsedEntry {
  const warnings: string[] = [];
  try {
    const item = parseItem(parseXml(xml, where ?? 'The QTI item'), meta, image, warnings);
    return { index, item, ...(warnings.length ? { warnings } : {}) };
  } catch (err) {
    return { index, error: where ? `${where}: ${messageOf(err)}` : messageOf(err) };
  }
}

function parsePackage(input: Buffer): ParseResult {
  const files = safeUnzip(input, 'The QTI package');
  const manifestName = [...files.keys()].find((n) => n.toLowerCase() === 'imsmanifest.xml');
  if (!manifestName) throw new UnreadableFile('The QTI package has no imsmanifest.xml at its root');
  const manifest = parseXml(decodeText(Buffer.from(files.get(manifestName)!)), 'imsmanifest.xml');
  const items: ParsedEntry[] = [];
  for (const resource of findAll(manifest, (e) => e.name === 'resource')) {
    const type = attr(resource, 'type') ?? '';
    const file0 = child(resource, 'file');
    const href = attr(resource, 'href') ?? (file0 ? attr(file0, 'href') : undefined) ?? '';
    if (!ITEM_RESOURCE.test(type)) {
      if (/^imsqti_item/i.test(type)) items.push({ index: items.length, error: `${href}: QTI resource type ${type} is not supported; QTI 3.0 items only` });
      continue;
    }
    const file = resolvePath(manifestName, href);
    const data = files.get(file);
    if (!data) {
      items.push({ index: items.length, error: `${href}: listed in imsmanifest.xml but missing from the package` });
      continue;
    }
    const image = (src: string) => {
      if (/^[a-z]+:/i.test(src)) return undefined;
      const bytes = files.get(resolvePath(file, src));
      const mime = IMAGE_MIME[src.split('.').pop()?.toLowerCase() ?? ''];
      return bytes && mime ? `data:${mime};base64,${Buffer.from(bytes).toString('base64')}` : undefined;
    };
    items.push(parseEntry(items.length, decodeText(Buffer.from(data)), readMetaTags(keywordsOf(resource)), image, href));
  }
  return { items };
}

export function parse(input: Buffer): ParseResult {
  if (isZip(input)) return parsePackage(input);
  const text = decodeText(input);
  const root = parseXml(text, 'The QTI item');
  if (root.name === 'manifest') throw new UnreadableFile('An imsmanifest.xml alone has no items; send the whole content package as a zip');
  if (root.name !== 'qti-assessment-item' && root.name !== 'assessmentItem') throw new UnreadableFile(`The QTI file's root element is <${root.name}>, not <qti-assessment-item>`);
  return { items: [parseEntry(0, text, readMetaTags([]), () => undefined)] };
}

// ------------------------------------------------------------------ write

/** Bank HTML as XML content: the sanitiser writes well-formed markup; stray ampersands are escaped. */
function xmlHtml(s: string): string {
  return s.replace(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g, '&amp;');
}

const v = (s: string | number) => `<qti-value>${escapeXml(String(s))}</qti-value>`;

function responseDecl(id: string, cardinality: string, baseType: string, correct: (string | number)[], mapping = ''): string {
  const correctXml = correct.length ? `<qti-correct-response>${correct.map(v).join('')}</qti-correct-response>` : '';
  return `  <qti-response-declaration identifier="${id}" cardinality="${cardinality}" base-type="${baseType}">${correctXml}${mapping}</qti-response-declaration>\n`;
}

function outcomes(points: number): string {
  return (
    `  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"><qti-default-value>${v(0)}</qti-default-value></qti-outcome-declaration>\n` +
    `  <qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float"><qti-default-value>${v(points)}</qti-default-value></qti-outcome-declaration>\n`
  );
}

function template(name: 'match_correct' | 'map_response'): string {
  return `  <qti-response-processing template="${RP}${name}.xml"/>\n`;
}

function stringMapping(accepted: string[], caseSensitive: boolean, points: number): string {
  return `<qti-mapping default-value="0" upper-bound="${points}">${accepted.map((a) => `<qti-map-entry map-key="${escapeXml(a)}" mapped-value="${points}" case-sensitive="${caseSensitive}"/>`).join('')}</qti-mapping>`;
}

function numericCheck(responseId: string, tol: number, points: number): string {
  return (
    `    <qti-response-condition><qti-response-if>` +
    `<qti-equal tolerance-mode="absolute" tolerance="${formatNumber(tol)} ${formatNumber(tol)}"><qti-variable identifier="${responseId}"/><qti-correct identifier="${responseId}"/></qti-equal>` +
    `<qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-base-value base-type="float">${points}</qti-base-value></qti-sum></qti-set-outcome-value>` +
    `</qti-response-if></qti-response-condition>\n`
  );
}

function textEntry(responseId: string, blank: ClozeBlank): { decl: string; check: string } {
  if ('value' in blank) {
    return { decl: responseDecl(responseId, 'single', 'float', [formatNumber(blank.value)]), check: numericCheck(responseId, blank.tolerance ?? 0, 1) };
  }
  const cs = blank.caseSensitive === true;
  return {
    decl: responseDecl(responseId, 'single', 'string', [blank.accepted[0]!], stringMapping(blank.accepted, cs, 1)),
    check: `    <qti-response-condition><qti-response-if><qti-not><qti-is-null><qti-variable identifier="${responseId}"/></qti-is-null></qti-not><qti-set-outcome-value identifier="SCORE"><qti-sum><qti-variable identifier="SCORE"/><qti-map-response identifier="${responseId}"/></qti-sum></qti-set-outcome-value></qti-response-if></qti-response-condition>\n`,
  };
}

const stemDiv = (stem: string) => `    <div class="exam-stem">${xmlHtml(stem)}</div>\n`;
const choice = (tag: string, c: Labelled & { fixed?: boolean }, extra = '') => `      <${tag} identifier="${qtiId(c.id)}"${c.fixed ? ' fixed="true"' : ''}${extra}>${xmlHtml(c.text)}</${tag}>\n`;
const shuffleAttr = (item: ItemContent) => `shuffle="${item.shuffleOptions === false ? 'false' : 'true'}"`;

/** One `qti-assessment-item` document. */
export function serializeItem(item: ExportItem | ItemContent): string {
  const points = item.points ?? 1;
  const lang = item.language ?? 'vi';
  let decls = '';
  let bodyXml = '';
  let processing = template('match_correct');
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const multiple = item.type === 'multiple_choice';
      const partial = multiple && item.scoring === 'partial';
      const share = points / item.correct.length;
      const mapping = partial
        ? `<qti-mapping lower-bound="0" upper-bound="${points}" default-value="0">${item.options.map((o) => `<qti-map-entry map-key="${qtiId(o.id)}" mapped-value="${formatNumber(item.correct.includes(o.id) ? share : -share)}"/>`).join('')}</qti-mapping>`
        : '';
      decls = responseDecl('RESPONSE', multiple ? 'multiple' : 'single', 'identifier', item.correct.map(qtiId), mapping);
      bodyXml = `${stemDiv(item.stem)}    <qti-choice-interaction response-identifier="RESPONSE" ${shuffleAttr(item)} max-choices="${multiple ? 0 : 1}">\n${item.options.map((o) => choice('qti-simple-choice', o)).join('')}    </qti-choice-interaction>\n`;
      if (partial) processing = template('map_response');
      break;
    }
    case 'true_false': {
      const [yes, no] = lang === 'en' ? ['True', 'False'] : ['Đúng', 'Sai'];
      decls = responseDecl('RESPONSE', 'single', 'identifier', [item.value ? 'true' : 'false']);
      bodyXml = `${stemDiv(item.stem)}    <qti-choice-interaction response-identifier="RESPONSE" shuffle="false" max-choices="1">\n      <qti-simple-choice identifier="true">${yes}</qti-simple-choice>\n      <qti-simple-choice identifier="false">${no}</qti-simple-choice>\n    </qti-choice-interaction>\n`;
      break;
    }
    case 'true_false_cluster': {
      const [yes, no] = lang === 'en' ? ['True', 'False'] : ['Đúng', 'Sai'];
      const n = item.statements.length;
      decls = responseDecl('RESPONSE', 'multiple', 'directedPair', item.statements.map((s) => `${qtiId(s.id)} ${item.values[s.id] ? 'true' : 'false'}`));
      const ladder = item.ladder && item.ladder.join(' ') !== '0 0.1 0.25 0.5 1' ? ` data-ladder="${item.ladder.join(' ')}"` : '';
      bodyXml =
        `${stemDiv(item.stem)}    <qti-match-interaction response-identifier="RESPONSE" shuffle="false" max-associations="${n}" class="qti-match-tabular"${ladder}>\n` +
        `     <qti-simple-match-set>\n${item.statements.map((s) => choice('qti-simple-associable-choice', s, ' match-max="1"')).join('')}     </qti-simple-match-set>\n` +
        `     <qti-simple-match-set>\n      <qti-simple-associable-choice identifier="true" match-max="${n}">${yes}</qti-simple-associable-choice>\n      <qti-simple-associable-choice identifier="false" match-max="${n}">${no}</qti-simple-associable-choice>\n     </qti-simple-match-set>\n` +
        `    </qti-match-interaction>\n`;
      break;
    }
    case 'numeric': {
      const t = textEntry('RESPONSE', { id: 'x', value: item.value, tolerance: item.tolerance ?? 0 });
      decls = t.decl;
      bodyXml = `${stemDiv(item.stem)}    <p><qti-text-entry-interaction response-identifier="RESPONSE" expected-length="10"/></p>\n`;
      processing = `  <qti-response-processing>\n${numericCheck('RESPONSE', item.tolerance ?? 0, points)}  </qti-response-processing>\n`;
      break;
    }
    case 'short_text': {
      decls = responseDecl('RESPONSE', 'single', 'string', [item.accepted[0]!], stringMapping(item.accepted, item.caseSensitive === true, points));
      bodyXml = `${stemDiv(item.stem)}    <p><qti-text-entry-interaction response-identifier="RESPONSE" expected-length="20"/></p>\n`;
      processing = template('map_response');
      break;
    }
    case 'matching': {
      decls = responseDecl('RESPONSE', 'multiple', 'directedPair', item.premises.map((p) => `${qtiId(p.id)} ${qtiId(item.pairs[p.id] ?? '')}`));
      bodyXml =
        `${stemDiv(item.stem)}    <qti-match-interaction response-identifier="RESPONSE" ${shuffleAttr(item)} max-associations="${item.premises.length}">\n` +
        `     <qti-simple-match-set>\n${item.premises.map((p) => choice('qti-simple-associable-choice', p, ' match-max="1"')).join('')}     </qti-simple-match-set>\n` +
        `     <qti-simple-match-set>\n${item.choices.map((c) => choice('qti-simple-associable-choice', c, ` match-max="${item.premises.length}"`)).join('')}     </qti-simple-match-set>\n` +
        `    </qti-match-interaction>\n`;
      break;
    }
    case 'ordering': {
      decls = responseDecl('RESPONSE', 'ordered', 'identifier', item.order.map(qtiId));
      bodyXml = `${stemDiv(item.stem)}    <qti-order-interaction response-identifier="RESPONSE" ${shuffleAttr(item)}>\n${item.elements.map((e) => choice('qti-simple-choice', e)).join('')}    </qti-order-interaction>\n`;
      break;
    }
    case 'cloze': {
      const checks: string[] = [];
      const byId = new Map<string, string>();
      for (const b of item.blanks) {
        const rid = `RESPONSE_${b.id}`;
        const inline = 'options' in b ? choiceBlankQti(rid, b, qtiId, xmlHtml) : null;
        const t = inline ?? textEntry(rid, b as ClozeBlank);
        decls += t.decl;
        checks.push(t.check);
        byId.set(b.id, inline ? inline.interaction : `<qti-text-entry-interaction response-identifier="${rid}" expected-length="${'value' in b ? 10 : 20}"/>`);
      }
      const text = xmlHtml(item.text).replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, id: string) => byId.get(id) ?? whole);
      bodyXml = `${stemDiv(item.stem)}    <div class="exam-cloze">${text}</div>\n`;
      processing = `  <qti-response-processing>\n${checks.join('')}  </qti-response-processing>\n`;
      break;
    }
    case 'essay': {
      decls = responseDecl('RESPONSE', 'single', 'string', []);
      const rubric = item.rubric.map((r) => `<tr><td>${xmlHtml(r.criterion)}</td><td>${formatNumber(r.maxPoints)}</td></tr>`).join('');
      bodyXml =
        `${stemDiv(item.stem)}    <qti-extended-text-interaction response-identifier="RESPONSE"${item.maxWords ? ` data-max-words="${item.maxWords}"` : ''}/>\n` +
        `    <qti-rubric-block use="scoring" view="scorer"><qti-content-body><table class="exam-rubric">${rubric}</table></qti-content-body></qti-rubric-block>\n`;
      processing = '';
      break;
    }
    default:
      throw new Error('unknown item type');
  }
  const identifier = 'id' in item ? `item-${item.id}` : 'item';
  const title = escapeXml(
    item.stem
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80),
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<qti-assessment-item xmlns="${QTI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `xsi:schemaLocation="${QTI_NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd" ` +
    `identifier="${identifier}" title="${title}" adaptive="false" time-dependent="false" xml:lang="${lang}">\n` +
    decls +
    outcomes(points) +
    `  <qti-item-body>\n${bodyXml}  </qti-item-body>\n` +
    processing +
    '</qti-assessment-item>\n'
  );
}

/** Types whose interaction carries `shuffle`; the others keep shuffleOptions as a keyword. */
const SHUFFLE_ATTR = new Set<ItemType>(['single_choice', 'multiple_choice', 'matching', 'ordering']);

const MANIFEST_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM" ' +
  `identifier="exam-engine-export">\n  <metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>\n  <organizations/>\n  <resources>\n`;
const MANIFEST_TAIL = '  </resources>\n</manifest>\n';

function resourceXml(identifier: string, href: string, keywords: string[]): string {
  const lom = keywords.length
    ? `<metadata><imsmd:lom><imsmd:general>${keywords.map((k) => `<imsmd:keyword><imsmd:string>${escapeXml(k)}</imsmd:string></imsmd:keyword>`).join('')}</imsmd:general></imsmd:lom></metadata>`
    : '';
  return `    <resource identifier="${identifier}" type="imsqti_item_xmlv3p0" href="${href}">${lom}<file href="${href}"/></resource>\n`;
}

/**
 * A content package: one file per item under items/, and imsmanifest.xml
 * last. The manifest grows in a temporary file while items stream out, so
 * memory holds one page of items, not the whole export.
 */
export async function write(source: ItemSource, out: Writable): Promise<void> {
  const zip = new ZipWriter(out);
  const dir = await mkdtemp(path.join(tmpdir(), 'qti-export-'));
  const manifestPath = path.join(dir, 'imsmanifest.xml');
  const manifest = createWriteStream(manifestPath);
  try {
    await writeChunk(manifest, MANIFEST_HEAD);
    for await (const item of source.all()) {
      const identifier = `item-${item.id}`;
      const href = `items/${identifier}.xml`;
      await zip.add(href, serializeItem(item));
      const flags: Record<string, string> = {};
      if (item.type === 'ordering' && item.scoring === 'partial') flags.scoring = 'partial';
      if (item.type === 'short_text' && item.ignoreDiacritics) flags.diacritics = 'ignore';
      const keywords = [...metaTags(item, { points: true, language: true, shuffle: SHUFFLE_ATTR.has(item.type) }), ...flagTags(flags)];
      await writeChunk(manifest, resourceXml(identifier, href, keywords));
    }
    manifest.end(MANIFEST_TAIL);
    await finished(manifest);
    await zip.addFile('imsmanifest.xml', manifestPath);
    await zip.finish();
  } finally {
    manifest.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

export const qti: FormatModule = {
  name: 'qti',
  types: QTI_TYPES,
  contentType: 'application/zip',
  extension: 'qti.zip',
  parse,
  write,
};
