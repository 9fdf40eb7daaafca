import type { Writable } from 'node:stream';
import type { ClozeItemBlank, ItemContent, ItemFeedback, ItemProvenance, ItemType } from '../bank/item-types.js';
import { categorySegments } from './categories.js';
import { clozeCode, readCloze } from './moodle-cloze.js';
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
  UnreadableFile,
  writeChunk,
  type ExportItem,
  type FlagKey,
  type FormatModule,
  type ItemDraft,
  type ItemSource,
  type ParsedEntry,
  type ParseResult,
} from './model.js';
import { attr, cdata, child, elements, escapeXml, parseXml, tagLines, textOf, type XElement } from './xml.js';

/**
 * Moodle XML (docs.moodle.org/en/Moodle_XML_format).
 *
 * multichoice single → single_choice; multichoice multiple → multiple_choice
 * (partial: Moodle's fractions, right = positive); multichoiceset (the
 * all-or-nothing plugin) → multiple_choice all_or_nothing; truefalse;
 * shortanswer (usecase → caseSensitive); numerical (answer ± tolerance);
 * matching (subquestions; one without text is a distractor); essay
 * (maxwordlimit, a rubric table in graderinfo); ordering (the qtype_ordering
 * plugin: ALL_OR_NOTHING / ABSOLUTE_POSITION); multianswer → cloze
 * (SHORTANSWER, SHORTANSWER_C and NUMERICAL sub-questions). Everything else
 * is reported by its Moodle name. Points are `defaultgrade`; classification
 * travels as tags (`subject:…`, `grade:…`, `topic:…`, `level:…`, `lang:…`).
 */

export const MOODLE_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false', 'short_text', 'numeric', 'matching', 'ordering', 'cloze', 'essay'];

/** Between a cloze item's stem and its text in `questiontext`; the bank never stores an `<hr>`, so it cannot be confused with content. */
const CLOZE_SPLIT = /<hr\b[^>]*>/i;

const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** Text of a `<…><text>` field as HTML: plain text escaped, embedded files turned into data: URLs. */
function richText(el: XElement | undefined, warnings: string[]): string {
  if (!el) return '';
  let html = textOf(child(el, 'text'));
  const format = attr(el, 'format') ?? 'html';
  if (format === 'plain_text') html = escapeHtml(html);
  if (format === 'markdown') warnings.push('Markdown is kept as written, not converted to HTML');
  for (const file of elements(el, 'file')) {
    const name = attr(file, 'name') ?? '';
    const mime = MIME[name.split('.').pop()?.toLowerCase() ?? ''];
    if (!mime || attr(file, 'encoding') !== 'base64') {
      warnings.push(`File ${name || '(unnamed)'} is not kept (only png, jpeg, gif and webp pictures are)`);
      continue;
    }
    const url = `data:${mime};base64,${textOf(file).replace(/\s+/g, '')}`;
    for (const ref of new Set([name, encodeURIComponent(name), encodeURI(name)])) html = html.split(`@@PLUGINFILE@@/${ref}`).join(url);
  }
  return html.trim();
}

/** A feedback or hint field as HTML, or undefined when it shows nothing. */
function shownText(el: XElement | undefined, warnings: string[]): string | undefined {
  const html = richText(el, warnings);
  return html.replace(/<[^>]*>|&nbsp;|\s/g, '') === '' && !/<img\b/i.test(html) ? undefined : html;
}

/** Moodle's combined feedback elements and the outcome each gives. */
const OUTCOME_FEEDBACK = [
  ['correctfeedback', 'correct'],
  ['partiallycorrectfeedback', 'partial'],
  ['incorrectfeedback', 'incorrect'],
] as const;

function num(el: XElement | undefined): number | undefined {
  if (!el) return undefined;
  const n = parseNumber(textOf(el));
  return Number.isNaN(n) ? undefined : n;
}

function bool(el: XElement | undefined): boolean | undefined {
  if (!el) return undefined;
  const s = textOf(el).trim().toLowerCase();
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : undefined;
}

function fraction(a: XElement): number {
  const n = parseNumber(attr(a, 'fraction') ?? '0');
  return Number.isNaN(n) ? 0 : n;
}

/** Rubric rows written by {@link serializeItem} into `graderinfo`; other grader notes give the default rubric. */
function readRubric(html: string): { criterion: string; maxPoints: number }[] | null {
  if (!/class="exam-rubric"/.test(html)) return null;
  const rows = [...html.matchAll(/<tr><td>([\s\S]*?)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => ({ criterion: m[1]!, maxPoints: parseNumber(m[2]!) }));
  return rows.length && rows.every((r) => !Number.isNaN(r.maxPoints)) ? rows : null;
}

/** Feedback of one `<answer>`, or undefined. */
function answerFeedback(a: XElement, warnings: string[]): string | undefined {
  return shownText(child(a, 'feedback'), warnings);
}

/**
 * Answer feedback of a type whose answers are not options (truefalse,
 * shortanswer, numerical): the feedback of the full-credit answers is what a
 * right response gets (`correct`), that of a `*` answer worth nothing is what
 * any other response gets (`incorrect`); any other answer's feedback has no
 * place and is named in a warning.
 */
function outcomeFromAnswers(answers: XElement[], warnings: string[], isRight: (a: XElement) => boolean, isCatchAll: (a: XElement) => boolean): { correct?: string; incorrect?: string } {
  const out: { correct?: string; incorrect?: string } = {};
  const right = new Set<string>();
  for (const a of answers) {
    const feedback = answerFeedback(a, warnings);
    if (feedback === undefined) continue;
    const label = textOf(child(a, 'text')).trim();
    if (isRight(a)) right.add(feedback);
    else if (isCatchAll(a) && out.incorrect === undefined) out.incorrect = feedback;
    else warnings.push(`Feedback of answer ${label} is not kept`);
  }
  if (right.size === 1) out.correct = [...right][0]!;
  else if (right.size > 1) warnings.push('The right answers have different feedback; none of it is kept');
  return out;
}

/** Moodle types whose question text holds the blanks: the stem is the text before an `<hr>` (what the export writes) or the name. */
const CLOZE_TYPES = new Set(['multianswer', 'cloze', 'gapselect', 'ddwtos']);

/** The types of a stock Moodle 4 that the bank cannot hold, each with why (the others are plugins'). */
const STOCK_TYPES = new Set(['calculated', 'calculatedsimple', 'calculatedmulti', 'ddimageortext', 'ddmarker', 'randomsamatch', 'random', 'description']);

/**
 * Why each stock type the bank does not hold is left out. Descriptions and
 * random placeholders are not questions; calculated questions draw numbers
 * from datasets into the text and compute the answer from a formula (the
 * bank has no generated values, and one numeric item per dataset row would
 * be several questions where the file has one); drag and drop onto an image
 * places answers on a picture, which no item type does.
 */
const OUT_OF_SCOPE: Record<string, string> = {
  description: 'Moodle description is text shown between questions, not a question; not imported',
  random: 'Moodle random question is a placeholder drawing a question from a category, not a question; not imported',
  randomsamatch: 'Moodle random short-answer matching draws its premises from other questions of the category when attempted; not a question of its own, not imported',
  calculated: 'Moodle calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported',
  calculatedsimple: 'Moodle simple calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported',
  calculatedmulti: 'Moodle calculated multichoice question draws values from datasets into its text and options; the bank has no generated values, so it is not imported',
  ddimageortext: 'Moodle drag and drop onto image places answers on a picture; no item type does, so it is not imported',
  ddmarker: 'Moodle drag and drop markers places markers on a picture; no item type does, so it is not imported',
};

/** Stem and blank-bearing text of a cloze-like question: split at an `<hr>`, else the name is the stem. */
function clozeParts(q: XElement, warnings: string[]): { stem: string; body: string } {
  const html = richText(child(q, 'questiontext'), warnings);
  const found = CLOZE_SPLIT.exec(html);
  // A rule above a gap or sub-question is the author's own, not the stem's end that the export writes.
  const split = found && !/\[\[\d+\]\]|\{\d*:[A-Za-z_]+:/.test(html.slice(0, found.index)) ? found : null;
  const name = textOf(child(child(q, 'name'), 'text')).trim();
  const stem = split ? html.slice(0, split.index).trim() : escapeHtml(name);
  const body = split ? html.slice(split.index + split[0].length).trim() : html;
  if (stem === '') throw new ItemProblem(`Moodle ${attr(q, 'type')} question has no name or text to use as its stem`);
  return { stem, body };
}

/** The most blanks and options per blank a cloze item holds (docs/item-types.md). */
const MAX_BLANKS = 50;
const MAX_OPTIONS = 20;

/**
 * Moodle's select missing words (gapselect) and drag and drop into text
 * (ddwtos): `[[n]]` in the text is a gap whose right answer is the n-th
 * choice; the gap offers every choice of that choice's group, in file
 * order. Each gap becomes a choice blank with those options, `correct` the
 * n-th choice; `shuffleanswers` shuffles every blank. Moodle grades the
 * share of gaps right, as the bank grades a cloze item.
 */
function readGaps(q: XElement, type: string, html: string, warnings: string[]): { text: string; blanks: ClozeItemBlank[] } {
  const choiceTag = type === 'ddwtos' ? 'dragbox' : 'selectoption';
  const choices = elements(q, choiceTag).map((c, i) => {
    const raw = textOf(child(c, 'text')).trim();
    // A select option is plain text in Moodle; a drag box may carry a little HTML (<sub>, <b>, …), which a list option cannot show.
    const plain = type === 'ddwtos' ? raw.replace(/<[^>]*>/g, '').trim() : raw;
    if (plain !== raw) warnings.push(`Formatting of choice ${i + 1} (${plain.slice(0, 60)}) is dropped; a choice is plain text`);
    return { text: plain, group: textOf(child(c, 'group')).trim() || '1', infinite: child(c, 'infinite') !== undefined };
  });
  const shuffle = bool(child(q, 'shuffleanswers')) === true;
  const blanks: ClozeItemBlank[] = [];
  const used = new Map<number, number>();
  const text = html.replace(/\[\[(\d+)\]\]/g, (_whole, digits: string) => {
    const n = Number(digits);
    const right = choices[n - 1];
    if (!right) throw new ItemProblem(`Moodle ${type} gap [[${n}]] names choice ${n}, which the question does not have (${choices.length} choices)`);
    const group = choices.map((c, i) => ({ ...c, n: i + 1 })).filter((c) => c.group === right.group);
    // Moodle lets a group hold one choice (a gap that is right whenever filled); a dropdown blank needs a wrong option.
    if (group.length < 2) throw new ItemProblem(`Moodle ${type} gap [[${n}]] offers one choice (its group has no other); a dropdown blank needs at least one wrong option`);
    if (group.length > MAX_OPTIONS) throw new ItemProblem(`Moodle ${type} gap [[${n}]] has ${group.length} choices in its group; a choice blank holds at most ${MAX_OPTIONS}`);
    const id = ids.blank(blanks.length);
    const options = group.map((c, k) => ({ id: ids.option(k), text: c.text }));
    const correct = options[group.findIndex((c) => c.n === n)]!.id;
    blanks.push({ id, options, correct: [correct], ...(shuffle ? { shuffle: true } : {}) });
    used.set(n, (used.get(n) ?? 0) + 1);
    return `{{${id}}}`;
  });
  if (blanks.length === 0) throw new ItemProblem(`Moodle ${type} question has no gaps ([[n]] in its text)`);
  if (blanks.length > MAX_BLANKS) throw new ItemProblem(`Moodle ${type} question has ${blanks.length} gaps; a cloze item holds at most ${MAX_BLANKS}`);
  if (type === 'ddwtos') {
    warnings.push('Drag and drop into text is shown as a dropdown list in each gap');
    for (const [n, times] of used) {
      if (times > 1 && !choices[n - 1]!.infinite) warnings.push(`Choice ${n} (${choices[n - 1]!.text.slice(0, 60)}) answers ${times} gaps but can be dragged once in Moodle; here each gap offers it`);
    }
  }
  return { text, blanks };
}

/** qtype_ordering's numeric grading codes and their names. */
const ORDERING_GRADING: Record<string, string> = {
  '-1': 'ALL_OR_NOTHING',
  '0': 'ABSOLUTE_POSITION',
  '1': 'RELATIVE_NEXT_EXCLUDE_LAST',
  '2': 'RELATIVE_NEXT_INCLUDE_LAST',
  '3': 'RELATIVE_ONE_PREVIOUS_AND_NEXT',
  '4': 'RELATIVE_ALL_PREVIOUS_AND_NEXT',
  '5': 'LONGEST_ORDERED_SUBSET',
  '6': 'LONGEST_CONTIGUOUS_SUBSET',
  '7': 'RELATIVE_TO_CORRECT',
};

function parseQuestion(q: XElement, type: string, warnings: string[]): ItemDraft {
  const tags = elements(child(q, 'tags'), 'tag').map((t) => textOf(child(t, 'text')));
  const { common, flags } = readMetaTags(tags);
  const grade = num(child(q, 'defaultgrade'));
  if (grade !== undefined && grade > 0) common.points = grade;
  const stem = richText(child(q, 'questiontext'), warnings);
  const shuffle = bool(child(q, 'shuffleanswers'));
  const withShuffle = shuffle === undefined ? common : { ...common, shuffleOptions: shuffle };
  const answers = elements(q, 'answer');
  if (stem === '' && !CLOZE_TYPES.has(type)) throw new ItemProblem('Moodle question has no question text');
  /** Outcome feedback the answers give (truefalse, shortanswer, numerical), merged under the combined feedback. */
  let answerOutcomes: { correct?: string; incorrect?: string } = {};

  const item = ((): ItemDraft => {
    switch (type) {
      case 'multichoice':
      case 'multichoiceset': {
        const options = answers.map((a, i) => {
          const feedback = answerFeedback(a, warnings);
          return { id: ids.option(i), text: richText(a, warnings), ...(feedback !== undefined ? { feedback } : {}) };
        });
        const fixed = new Set((flags.fixed ?? '').split(',').map((x) => x.trim()).filter(Boolean));
        for (const o of options) if (fixed.has(o.id)) Object.assign(o, { fixed: true });
        // An export that keeps fixed positions turns Moodle's shuffling off and names the fixed options in a tag.
        const meta = fixed.size ? { ...common, shuffleOptions: common.shuffleOptions ?? true } : withShuffle;
        const single = type === 'multichoice' && bool(child(q, 'single')) !== false;
        if (single) {
          const right = answers.flatMap((a, i) => (fraction(a) === 100 ? [options[i]!.id] : []));
          if (right.length !== 1) throw new ItemProblem(`Moodle single-answer multichoice has ${right.length} answers worth 100%; a single_choice item has one`);
          answers.forEach((a, i) => {
            const f = fraction(a);
            if (f > 0 && f < 100) warnings.push(`Partial credit (${f}%) for option ${options[i]!.id} is dropped; it counts as wrong`);
          });
          return draft('single_choice', stem, meta, { options, correct: right });
        }
        const correct = answers.flatMap((a, i) => (fraction(a) > 0 ? [options[i]!.id] : []));
        if (correct.length === 0) throw new ItemProblem('Moodle multiple-answer question has no answer with a positive grade');
        if (new Set(answers.map(fraction).filter((f) => f > 0)).size > 1) warnings.push('Unequal grades of the right answers are replaced by equal shares');
        const scoring = type === 'multichoiceset' || flags.scoring === 'all_or_nothing' ? 'all_or_nothing' : 'partial';
        if (scoring === 'partial') {
          const share = 100 / correct.length;
          const penalties = [...new Set(answers.map(fraction).filter((f) => f <= 0))];
          if (penalties.some((f) => Math.abs(f + share) > 0.01)) {
            warnings.push(`Moodle's grades for wrong options (${penalties.map((f) => `${formatNumber(f)}%`).join(', ')}) are replaced by the partial rule: each wrong pick cancels one right pick`);
          }
        }
        return draft('multiple_choice', stem, meta, { options, correct, scoring });
      }
      case 'truefalse': {
        const right = answers.find((a) => fraction(a) === 100);
        const word = right ? textOf(child(right, 'text')).trim().toLowerCase() : '';
        if (word !== 'true' && word !== 'false') throw new ItemProblem('Moodle truefalse question has no answer "true" or "false" worth 100%');
        // Moodle shows an answer's feedback to whoever picks it: the right one's is the correct outcome's, the other's the incorrect one's.
        answerOutcomes = outcomeFromAnswers(answers, warnings, (a) => a === right, () => true);
        return draft('true_false', stem, common, { value: word === 'true' });
      }
      case 'shortanswer': {
        const accepted: string[] = [];
        for (const a of answers) {
          const f = fraction(a);
          const text = textOf(child(a, 'text')).trim();
          if (f === 100) {
            if (/(?<!\\)\*/.test(text)) throw new ItemProblem(`Moodle shortanswer answer "${text}" uses the * wildcard, which is not supported`);
            accepted.push(text.replace(/\\\*/g, '*'));
          } else if (f > 0) warnings.push(`Partial credit (${f}%) for answer ${text} is dropped`);
        }
        if (accepted.length === 0) throw new ItemProblem('Moodle shortanswer question has no answer worth 100%');
        answerOutcomes = outcomeFromAnswers(answers, warnings, (a) => fraction(a) === 100, (a) => fraction(a) <= 0 && textOf(child(a, 'text')).trim() === '*');
        return draft('short_text', stem, common, {
          accepted,
          caseSensitive: bool(child(q, 'usecase')) === true,
          ...(flags.diacritics === 'ignore' ? { ignoreDiacritics: true } : {}),
        });
      }
      case 'numerical': {
        const full = answers.filter((a) => fraction(a) === 100);
        if (full.length !== 1) throw new ItemProblem(`Moodle numerical question has ${full.length} answers worth 100%; a numeric item has exactly one`);
        for (const a of answers) {
          const f = fraction(a);
          if (f > 0 && f < 100) warnings.push(`Partial credit (${f}%) for answer ${textOf(child(a, 'text')).trim()} is dropped`);
        }
        const value = parseNumber(textOf(child(full[0]!, 'text')));
        if (Number.isNaN(value)) throw new ItemProblem('Moodle numerical answer is not a number');
        if (elements(child(q, 'units'), 'unit').length) warnings.push('Units are dropped; the answer is the bare number');
        answerOutcomes = outcomeFromAnswers(answers, warnings, (a) => a === full[0], (a) => fraction(a) <= 0 && textOf(child(a, 'text')).trim() === '*');
        return draft('numeric', stem, common, { value, tolerance: Math.abs(num(child(full[0]!, 'tolerance')) ?? 0) });
      }
      case 'matching': {
        const rows = elements(q, 'subquestion').map((s) => ({ premise: richText(s, warnings), choice: textOf(child(child(s, 'answer'), 'text')).trim() }));
        return draft('matching', stem, withShuffle, matchingFromRows(rows));
      }
      case 'ordering': {
        const ordered = answers.map((a, i) => ({ text: richText(a, warnings), pos: fraction(a), i }));
        const positions = new Set(ordered.map((o) => o.pos));
        if (positions.size === ordered.length) ordered.sort((a, b) => a.pos - b.pos || a.i - b.i);
        const elementsList = labelled(ordered.map((o) => o.text), ids.element);
        const rawGrading = textOf(child(q, 'gradingtype')).trim().toUpperCase();
        // The plugin writes its grading and selection types as names or, in older exports, as its numeric codes.
        const grading = ORDERING_GRADING[rawGrading] ?? rawGrading;
        const select = textOf(child(q, 'selecttype')).trim().toUpperCase();
        const count = num(child(q, 'selectcount')) ?? 0;
        if (select !== '' && select !== '0' && select !== 'ALL' && count > 0 && count < ordered.length) {
          warnings.push(`Moodle shows ${formatNumber(count)} of the ${ordered.length} elements (${select === '1' || select === 'RANDOM' ? 'a random' : 'a contiguous'} selection); the item shows all of them`);
        }
        if (grading && grading !== 'ALL_OR_NOTHING' && grading !== 'ABSOLUTE_POSITION') warnings.push(`Ordering grading type ${grading} is replaced by partial credit per element in its right place`);
        for (const a of answers) if (answerFeedback(a, warnings) !== undefined) warnings.push(`Feedback of ordering element ${plainName(richText(a, []))} is not kept`);
        return draft('ordering', stem, common, {
          elements: elementsList,
          order: elementsList.map((e) => e.id),
          scoring: grading === 'ALL_OR_NOTHING' ? 'all_or_nothing' : 'partial',
        });
      }
      case 'essay': {
        const notes = richText(child(q, 'graderinfo'), warnings);
        const maxWords = num(child(q, 'maxwordlimit'));
        const rubric = readRubric(notes);
        if (!rubric && shownText(child(q, 'graderinfo'), []) !== undefined) warnings.push('Information for graders is not kept; the item gets the default rubric');
        if (shownText(child(q, 'responsetemplate'), []) !== undefined) warnings.push('Response template is not kept');
        const minWords = num(child(q, 'minwordlimit'));
        if (minWords !== undefined && minWords > 0) warnings.push(`Minimum word count (${formatNumber(minWords)}) is not kept`);
        const attachments = num(child(q, 'attachments')) ?? 0;
        if (attachments !== 0) warnings.push(`File attachments (${attachments < 0 ? 'unlimited' : formatNumber(attachments)}, ${formatNumber(num(child(q, 'attachmentsrequired')) ?? 0)} required) are not kept; the answer is text only`);
        if (textOf(child(q, 'responseformat')).trim() === 'noinline') warnings.push('Moodle asks for attachments only (no text); the item asks for text');
        return draft('essay', stem, common, {
          rubric: rubric ?? defaultRubric(common.points, common.language),
          ...(maxWords !== undefined && maxWords > 0 ? { maxWords } : {}),
        });
      }
      case 'gapselect':
      case 'ddwtos': {
        const { stem: gapStem, body } = clozeParts(q, warnings);
        return draft('cloze', gapStem, common, readGaps(q, type, body, warnings));
      }
      case 'multianswer':
      case 'cloze': {
        const { stem: clozeStem, body } = clozeParts(q, warnings);
        return draft('cloze', clozeStem, common, readCloze(body, warnings));
      }
      default:
        throw new ItemProblem(OUT_OF_SCOPE[type] ?? (STOCK_TYPES.has(type) ? `Moodle question type ${type} is not supported` : `Moodle question type ${type} is not a standard Moodle type (a plugin's); not imported`));
    }
  })();

  const feedback: ItemFeedback = {};
  const general = shownText(child(q, 'generalfeedback'), warnings);
  if (general !== undefined) feedback.general = general;
  for (const [tag, outcome] of OUTCOME_FEEDBACK) {
    const text = shownText(child(q, tag), warnings) ?? answerOutcomes[outcome as 'correct' | 'incorrect'];
    if (text !== undefined) feedback[outcome] = text;
  }
  const hints = elements(q, 'hint').flatMap((h) => shownText(h, warnings) ?? []);
  if (hints.length > 10) warnings.push(`Hints after the 10th (${hints.length - 10}) are not kept`);
  return {
    ...item,
    ...(Object.keys(feedback).length ? { feedback } : {}),
    ...(hints.length ? { hints: hints.slice(0, 10) } : {}),
  } as ItemDraft;
}

/** Name, idnumber and category of a question, as its provenance. */
function provenanceOf(q: XElement, item: ItemDraft, categoryPath: string[]): ItemProvenance | undefined {
  const name = textOf(child(child(q, 'name'), 'text')).normalize('NFC').trim();
  const idnumber = textOf(child(q, 'idnumber')).normalize('NFC').trim();
  // A name that is only the start of the question text (what Moodle and this exporter make up when there is none) is no title.
  const title = name && name !== plainName(item.stem) ? [...name].slice(0, 300).join('') : undefined;
  const out: ItemProvenance = {
    ...(title ? { title } : {}),
    ...(idnumber ? { externalId: [...idnumber].slice(0, 200).join('') } : {}),
    ...(categoryPath.length ? { source: { categoryPath } } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

export function parse(input: Buffer | string): ParseResult {
  const text = decodeText(input);
  const root = parseXml(text, 'The Moodle XML file');
  if (root.name !== 'quiz') throw new UnreadableFile(`The Moodle XML file's root element is <${root.name}>, not <quiz>`);
  const lines = tagLines(text, 'question');
  const items: ParsedEntry[] = [];
  const fileWarnings: string[] = [];
  let categoryPath: string[] = [];
  elements(root, 'question').forEach((q, n) => {
    const type = attr(q, 'type') ?? '';
    if (type === 'category') {
      categoryPath = categorySegments(textOf(child(child(q, 'category'), 'text')));
      // A category's description and idnumber belong to no question: named once for the file.
      const info = shownText(child(q, 'info'), []);
      const idnumber = textOf(child(q, 'idnumber')).trim();
      if (info !== undefined || idnumber) {
        fileWarnings.push(`The ${[info !== undefined ? 'description' : '', idnumber ? `idnumber (${idnumber.slice(0, 60)})` : ''].filter(Boolean).join(' and ')} of category ${categoryPath.join('/') || 'top'} ${info !== undefined && idnumber ? 'are' : 'is'} not kept; its questions keep the category path`);
      }
      return;
    }
    const index = items.length;
    const line = lines[n];
    const warnings: string[] = [];
    try {
      const parsed = parseQuestion(q, type, warnings);
      const provenance = provenanceOf(q, parsed, categoryPath);
      const item = provenance ? ({ ...parsed, provenance } as ItemDraft) : parsed;
      items.push({ index, ...(line ? { line } : {}), item, ...(warnings.length ? { warnings } : {}) });
    } catch (err) {
      items.push({ index, ...(line ? { line } : {}), error: messageOf(err) });
    }
  });
  return { items, ...(fileWarnings.length ? { warnings: fileWarnings } : {}) };
}

// ------------------------------------------------------------------ write

function plainName(html: string): string {
  const text = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return [...text].slice(0, 80).join('') || 'question';
}

function textField(tag: string, html: string, indent = '    '): string {
  return `${indent}<${tag} format="html"><text>${cdata(html)}</text></${tag}>\n`;
}

function feedbackField(tag: string, html: string | undefined, indent = '    '): string {
  return `${indent}<${tag} format="html"><text>${html ? cdata(html) : ''}</text></${tag}>\n`;
}

function answer(fractionValue: number, html: string, extra = '', feedback?: string): string {
  return `    <answer fraction="${formatNumber(Math.round(fractionValue * 100000) / 100000)}" format="html"><text>${cdata(html)}</text>${extra}<feedback format="html"><text>${feedback ? cdata(feedback) : ''}</text></feedback></answer>\n`;
}

/** An answer that is not an option (truefalse, shortanswer, numerical): plain text, its feedback. */
function plainAnswer(fractionValue: number, text: string, feedback: string | undefined, extra = ''): string {
  return `    <answer fraction="${fractionValue}" format="moodle_auto_format"><text>${escapeXml(text)}</text><feedback format="html"><text>${feedback ? cdata(feedback) : ''}</text></feedback>${extra}</answer>\n`;
}

/** Moodle's combined feedback (multichoice, matching, ordering). */
function combinedFeedback(item: ItemContent): string {
  return (
    feedbackField('correctfeedback', item.feedback?.correct) +
    feedbackField('partiallycorrectfeedback', item.feedback?.partial) +
    feedbackField('incorrectfeedback', item.feedback?.incorrect)
  );
}

/** A category path as Moodle writes it: `$course$/top/A/B`, a `/` inside a name doubled. */
export function categoryString(path: readonly string[]): string {
  return ['$course$', 'top', ...path.map((s) => s.replace(/\//g, '//'))].join('/');
}

/** Moodle's gapselect allows this many choice groups. */
const GAPSELECT_GROUPS = 8;

/**
 * A cloze item whose blanks are all one-answer dropdowns, as Moodle's select
 * missing words (gapselect): blanks with the same option texts share a choice
 * group, each blank is `[[n]]` with n its right choice, and shuffling is the
 * question's (so all blanks must agree). Unlike `multianswer`, gapselect
 * carries the correct / partially correct / incorrect feedback. Undefined
 * when the item does not fit (text or number blanks, several right options,
 * pick-several blanks, mixed shuffling, more than 8 distinct option lists,
 * text that already holds `[[n]]`).
 */
function gapSelect(item: Extract<ItemContent, { type: 'cloze' }>): { text: string; choices: string; shuffle: boolean } | undefined {
  const blanks = item.blanks.flatMap((b) => ('options' in b && !b.multiple && b.correct.length === 1 ? [b] : []));
  if (blanks.length !== item.blanks.length || blanks.length === 0) return undefined;
  // Text that reads as a gap already would be misread on the way back.
  if (/\[\[\d+\]\]/.test(item.stem + item.text)) return undefined;
  const shuffle = blanks[0]!.shuffle === true;
  if (blanks.some((b) => (b.shuffle === true) !== shuffle)) return undefined;
  const groups = new Map<string, { group: number; first: number }>();
  const choices: { text: string; group: number }[] = [];
  const gapOf = new Map<string, number>();
  for (const b of blanks) {
    const key = JSON.stringify(b.options.map((o) => o.text));
    let g = groups.get(key);
    if (!g) {
      g = { group: groups.size + 1, first: choices.length };
      groups.set(key, g);
      for (const o of b.options) choices.push({ text: o.text, group: g.group });
    }
    gapOf.set(b.id, g.first + b.options.findIndex((o) => o.id === b.correct[0]) + 1);
  }
  if (groups.size > GAPSELECT_GROUPS) return undefined;
  const text = item.text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, id: string) => (gapOf.has(id) ? `[[${gapOf.get(id)}]]` : whole));
  return {
    text,
    shuffle,
    choices: choices.map((c) => `    <selectoption><text>${escapeXml(c.text)}</text><group>${c.group}</group></selectoption>\n`).join(''),
  };
}

/** One `<question>` element. */
export function serializeItem(item: ExportItem | ItemContent): string {
  const flags: Partial<Record<FlagKey, string>> = {};
  if (item.type === 'short_text' && item.ignoreDiacritics) flags.diacritics = 'ignore';
  const choice = item.type === 'single_choice' || item.type === 'multiple_choice';
  const fixed = choice ? item.options.filter((o) => o.fixed).map((o) => o.id) : [];
  // Moodle shuffles all answers of a question or none: fixed positions are kept by not shuffling, and the tag restores the bank's shuffle on import.
  if (fixed.length) flags.fixed = fixed.join(',');
  if (item.type === 'multiple_choice' && item.scoring === 'all_or_nothing') flags.scoring = 'all_or_nothing';
  const tags = [...metaTags(item, { points: true, shuffle: (choice && !fixed.length) || item.type === 'matching' }), ...flagTags(flags)];
  let moodleType: string;
  let body = '';
  let questionText = item.stem;
  const shuffle = `    <shuffleanswers>${item.shuffleOptions === false || fixed.length ? 'false' : 'true'}</shuffleanswers>\n`;
  switch (item.type) {
    case 'single_choice':
      moodleType = 'multichoice';
      body = `    <single>true</single>\n${shuffle}    <answernumbering>ABCD</answernumbering>\n${combinedFeedback(item)}${item.options.map((o) => answer(item.correct.includes(o.id) ? 100 : 0, o.text, '', o.feedback)).join('')}`;
      break;
    case 'multiple_choice': {
      // Stock Moodle has no all-or-nothing multiple answer (multichoiceset is a plugin): right options share 100 %, and a wrong
      // option takes -100 % in all-or-nothing (any wrong pick gives 0) or one share in partial (each wrong pick cancels a right one).
      const share = 100 / item.correct.length;
      const wrong = item.scoring === 'all_or_nothing' ? -100 : -share;
      moodleType = 'multichoice';
      body = `    <single>false</single>\n${shuffle}    <answernumbering>ABCD</answernumbering>\n${combinedFeedback(item)}${item.options.map((o) => answer(item.correct.includes(o.id) ? share : wrong, o.text, '', o.feedback)).join('')}`;
      break;
    }
    case 'true_false':
      moodleType = 'truefalse';
      body =
        plainAnswer(item.value ? 100 : 0, 'true', item.value ? item.feedback?.correct : item.feedback?.incorrect) +
        plainAnswer(item.value ? 0 : 100, 'false', item.value ? item.feedback?.incorrect : item.feedback?.correct);
      break;
    case 'short_text':
      moodleType = 'shortanswer';
      body =
        `    <usecase>${item.caseSensitive ? 1 : 0}</usecase>\n${item.accepted.map((a) => plainAnswer(100, a.replace(/\*/g, '\\*'), item.feedback?.correct)).join('')}` +
        (item.feedback?.incorrect ? plainAnswer(0, '*', item.feedback.incorrect) : '');
      break;
    case 'numeric':
      moodleType = 'numerical';
      body =
        plainAnswer(100, formatNumber(item.value), item.feedback?.correct, `<tolerance>${formatNumber(item.tolerance ?? 0)}</tolerance>`) +
        (item.feedback?.incorrect ? plainAnswer(0, '*', item.feedback.incorrect, '<tolerance>0</tolerance>') : '') +
        '    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0</unitpenalty>\n    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n';
      break;
    case 'matching':
      moodleType = 'matching';
      body = `${shuffle}${combinedFeedback(item)}${matchingRows(item)
        .map((r) => `    <subquestion format="html"><text>${cdata(r.premise)}</text><answer><text>${escapeXml(r.choice)}</text></answer></subquestion>\n`)
        .join('')}`;
      break;
    case 'ordering': {
      moodleType = 'ordering';
      const text = new Map(item.elements.map((e) => [e.id, e.text]));
      body =
        `    <layouttype>VERTICAL</layouttype>\n    <selecttype>ALL</selecttype>\n    <selectcount>0</selectcount>\n` +
        `    <gradingtype>${item.scoring === 'partial' ? 'ABSOLUTE_POSITION' : 'ALL_OR_NOTHING'}</gradingtype>\n    <showgrading>SHOW</showgrading>\n    <numberingstyle>none</numberingstyle>\n` +
        combinedFeedback(item) +
        item.order.map((id, i) => `    <answer fraction="${i + 1}" format="html"><text>${cdata(text.get(id) ?? '')}</text></answer>\n`).join('');
      break;
    }
    case 'cloze': {
      const gaps = gapSelect(item);
      if (gaps) {
        moodleType = 'gapselect';
        questionText = `${item.stem}<hr />${gaps.text}`;
        body = `    <shuffleanswers>${gaps.shuffle ? 1 : 0}</shuffleanswers>\n${combinedFeedback(item)}${gaps.choices}`;
        break;
      }
      moodleType = 'multianswer';
      const byId = new Map(item.blanks.map((b) => [b.id, clozeCode(b)]));
      questionText = `${item.stem}<hr />${item.text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, id: string) => byId.get(id) ?? whole)}`;
      break;
    }
    case 'essay': {
      moodleType = 'essay';
      const rubric = `<table class="exam-rubric">${item.rubric.map((r) => `<tr><td>${r.criterion}</td><td>${formatNumber(r.maxPoints)}</td></tr>`).join('')}</table>`;
      body =
        `    <responseformat>editor</responseformat>\n    <responserequired>1</responserequired>\n    <responsefieldlines>15</responsefieldlines>\n` +
        `    <minwordlimit></minwordlimit>\n    <maxwordlimit>${item.maxWords ?? ''}</maxwordlimit>\n    <attachments>0</attachments>\n    <attachmentsrequired>0</attachmentsrequired>\n` +
        textField('graderinfo', rubric) +
        '    <responsetemplate format="html"><text></text></responsetemplate>\n';
      break;
    }
    default:
      throw new Error(`Moodle XML cannot carry ${item.type} items`);
  }
  const id = item.provenance?.externalId ?? ('id' in item ? item.id : '');
  const hints = item.type === 'essay' ? [] : (item.hints ?? []);
  return (
    `  <question type="${moodleType}">\n` +
    `    <name><text>${escapeXml(item.provenance?.title ?? plainName(item.stem))}</text></name>\n` +
    textField('questiontext', questionText) +
    feedbackField('generalfeedback', item.feedback?.general) +
    `    <defaultgrade>${formatNumber(item.points ?? 1)}</defaultgrade>\n` +
    '    <penalty>0</penalty>\n    <hidden>0</hidden>\n' +
    `    <idnumber>${escapeXml(id)}</idnumber>\n` +
    body +
    hints.map((h) => `    <hint format="html"><text>${cdata(h)}</text></hint>\n`).join('') +
    (tags.length ? `    <tags>\n${tags.map((t) => `      <tag><text>${escapeXml(t)}</text></tag>\n`).join('')}    </tags>\n` : '') +
    '  </question>\n'
  );
}

export async function write(source: ItemSource, out: Writable): Promise<void> {
  await writeChunk(out, '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n');
  // A category question before each run of items of another category; `top` again once items without one follow.
  let category = '';
  for await (const item of source.all()) {
    const path = item.provenance?.source?.categoryPath ?? [];
    const current = path.length ? categoryString(path) : '';
    if (current !== category) {
      const written = current || categoryString([]);
      await writeChunk(out, `  <question type="category">\n    <category><text>${escapeXml(written)}</text></category>\n  </question>\n`);
      category = current;
    }
    await writeChunk(out, serializeItem(item));
  }
  await writeChunk(out, '</quiz>\n');
}

export const moodleXml: FormatModule = {
  name: 'moodle-xml',
  types: MOODLE_TYPES,
  contentType: 'application/xml; charset=utf-8',
  extension: 'moodle.xml',
  parse,
  write,
};
