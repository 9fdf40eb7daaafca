import type { NewStimulus } from '../contracts/items.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { projectRoot } from '../infra/paths.js';
import { ajv, detailsOf, type Detail } from '../validation.js';
import { ITEM_TYPES, type ItemContent, type ItemType, type Labelled } from './item-types.js';
import { sanitizeRichText, textOfSafeHtml } from './sanitize.js';

/**
 * Loads question-schemas/*.json into the engine's shared ajv and compiles one
 * validator per item type, once, at module load. The same validators check
 * the API, bulk rows, and (later) importers.
 */

/** An item as authors send it: the content plus fields that only matter on create. */
export type ItemInput = ItemContent & { ownerOrgId?: string; stimulusOrder?: number };

/** A passage as the bank takes it: the contract's, plus the owner an author may name. */
export interface StimulusInput extends NewStimulus {
  ownerOrgId?: string;
}

export const SCHEMA_DIR = path.join(projectRoot(), 'question-schemas');
const SCHEMA_BASE = 'https://exam-engine.example/question-schemas/';

/** Every schema file by name without `.json`, as published and as compiled. */
export const questionSchemas: Record<string, Record<string, unknown>> = {};
for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()) {
  const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
  questionSchemas[file.slice(0, -'.json'.length)] = schema;
  // ajv keeps schemas by $id; a second load of this module (tests, workers) must not add them twice.
  if (!ajv.getSchema(String(schema.$id))) ajv.addSchema(schema);
}

function compiled<T>(name: string): ValidateFunction<T> {
  const validate = ajv.getSchema<T>(`${SCHEMA_BASE}${name}.json`);
  if (!validate) throw new Error(`question-schemas/${name}.json is missing`);
  return validate;
}

const validators = Object.fromEntries(ITEM_TYPES.map((t) => [t, compiled<ItemInput>(t)])) as Record<ItemType, ValidateFunction<ItemInput>>;
const validateStimulusSchema = compiled<StimulusInput>('stimulus');

export const DEFAULT_LADDER = [0, 0.1, 0.25, 0.5, 1];

export type Checked<T> = { ok: true; value: T } | { ok: false; details: Detail[] };

/**
 * A copy of a JSON value with every string and key in NFC, made in one pass
 * over its JSON text: JSON.stringify writes every non-ASCII character as
 * itself, NFC never moves or merges the ASCII that JSON syntax is made of,
 * and JSON.parse keeps a "__proto__" key an ordinary (and then refused) property.
 */
export function nfcDeep(value: unknown): unknown {
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  return JSON.parse(json.normalize('NFC'));
}

/**
 * Validates one item: NFC, the type's JSON Schema (defaults filled in),
 * sanitising of every HTML field, then the cross-field rules. Returns the
 * item to store, or every problem found as `validation_failed` details.
 */
export function checkItem(input: unknown): Checked<ItemInput> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, details: [{ instancePath: '', keyword: 'type', message: 'must be an object' }] };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(ITEM_TYPES as readonly string[]).includes(type)) {
    return {
      ok: false,
      details: [{ instancePath: '/type', keyword: 'enum', message: `must be one of ${ITEM_TYPES.join(', ')}`, params: { allowedValues: ITEM_TYPES } }],
    };
  }
  const item = nfcDeep(input);
  const validate = validators[type as ItemType];
  if (!validate(item)) return { ok: false, details: detailsOf(validate.errors) };
  const details = sanitizeItem(item);
  details.push(...crossFieldProblems(item));
  return details.length ? { ok: false, details } : { ok: true, value: item };
}

export function checkStimulus(input: unknown): Checked<StimulusInput> {
  const stimulus = nfcDeep(input);
  if (!validateStimulusSchema(stimulus)) return { ok: false, details: detailsOf(validateStimulusSchema.errors) };
  stimulus.content = sanitizeRichText(stimulus.content);
  const details: Detail[] = [];
  if (isBlank(stimulus.content)) details.push(blankDetail('/content'));
  return details.length ? { ok: false, details } : { ok: true, value: stimulus };
}

function isBlank(html: string): boolean {
  return textOfSafeHtml(html).trim() === '' && !html.includes('<img');
}

function blankDetail(instancePath: string): Detail {
  return { instancePath, keyword: 'safeContent', message: 'must contain text or an image once unsafe markup is removed' };
}

/**
 * Words a reader sees in one HTML field, at most. The JSON Schema bounds the
 * HTML (pictures included) far higher; this bounds what an author types, so a
 * pasted book is refused with a clear message instead of slowing every editor
 * and paper that shows it.
 */
export const MAX_TEXT_CHARS = { stem: 20_000, part: 5_000 } as const;

/** Where the `\(…\)` and `\[…\]` formulas of a text are unbalanced, if anywhere. */
export function mathDelimiterProblem(text: string): string | null {
  let open: '(' | '[' | null = null;
  // `\\` is LaTeX's line break (as in `a \\[2pt] b`), never a delimiter: it is matched and skipped.
  for (const m of text.matchAll(/\\(\\|[()[\]])/g)) {
    if (m[1] === '\\') continue;
    const c = m[1] as '(' | ')' | '[' | ']';
    if (c === '(' || c === '[') {
      if (open) return `opens a formula with \\${c} inside another one`;
      open = c;
    } else {
      const opener = c === ')' ? '(' : '[';
      if (open !== opener) return `closes a formula with \\${c} before opening it with \\${opener}`;
      open = null;
    }
  }
  return open ? `opens a formula with \\${open} and never closes it` : null;
}

/**
 * What two entries of a list show a candidate, compared without spacing or markup.
 * Letter case counts: "NGUYEN VAN TEO" and "nguyen van teo" are different answers
 * to a question about Upcase (a real paper in test/fixtures/docx has exactly that).
 */
function shownText(safeHtml: string): string {
  const text = textOfSafeHtml(safeHtml).normalize('NFC').replace(/\s+/g, ' ').trim();
  // Pictures make entries different even with the same words.
  const pictures = [...safeHtml.matchAll(/<img[^>]*src="([^"]*)"/g)].map((m) => m[1]).join(' ');
  return `${text}\u0000${pictures}`;
}

/** Sanitises every HTML field in place; reports fields that end up empty, too long, or with unbalanced formulas. */
function sanitizeItem(item: ItemInput): Detail[] {
  const details: Detail[] = [];
  const clean = (html: string, at: string, limit: number = MAX_TEXT_CHARS.part): string => {
    const safe = sanitizeRichText(html);
    const text = textOfSafeHtml(safe);
    if (isBlank(safe)) details.push(blankDetail(at));
    if (text.length > limit) {
      details.push({ instancePath: at, keyword: 'maxLength', message: `must have at most ${limit} characters of text (has ${text.length})`, params: { limit } });
    }
    const math = mathDelimiterProblem(text);
    if (math) details.push({ instancePath: at, keyword: 'mathDelimiters', message: math });
    return safe;
  };
  const cleanList = (list: Labelled[], at: string) => {
    list.forEach((e, i) => (e.text = clean(e.text, `${at}/${i}/text`)));
    // Two entries a candidate cannot tell apart make the item unanswerable (or give the key away).
    const first = new Map<string, number>();
    list.forEach((e, i) => {
      const shown = shownText(e.text);
      if (shown === '\u0000') return;
      const j = first.get(shown);
      if (j === undefined) first.set(shown, i);
      else details.push({ instancePath: `${at}/${i}/text`, keyword: 'duplicateText', message: `shows the same as ${at}/${j}`, params: { same: j + 1, id: list[j]!.id } });
    });
  };

  item.stem = clean(item.stem, '/stem', MAX_TEXT_CHARS.stem);
  if (item.feedback) {
    const feedback = item.feedback as Record<string, string | undefined>;
    for (const k of ['general', 'correct', 'partial', 'incorrect'] as const) {
      const text = feedback[k];
      if (text !== undefined) feedback[k] = clean(text, `/feedback/${k}`);
    }
  }
  if (item.hints) item.hints = item.hints.map((h, i) => clean(h, `/hints/${i}`));
  if (item.staffNotes !== undefined) item.staffNotes = clean(item.staffNotes, '/staffNotes');
  if (item.type === 'single_choice' || item.type === 'multiple_choice') {
    item.options.forEach((o, i) => {
      if (o.feedback !== undefined) o.feedback = clean(o.feedback, `/options/${i}/feedback`);
    });
  }
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice':
      cleanList(item.options, '/options');
      break;
    case 'true_false_cluster':
      cleanList(item.statements, '/statements');
      break;
    case 'matching':
      cleanList(item.premises, '/premises');
      cleanList(item.choices, '/choices');
      break;
    case 'ordering':
      cleanList(item.elements, '/elements');
      break;
    case 'cloze':
      item.text = clean(item.text, '/text', MAX_TEXT_CHARS.stem);
      item.blanks.forEach((b, i) => {
        if ('options' in b) cleanList(b.options, `/blanks/${i}/options`);
      });
      break;
    case 'essay':
      item.rubric.forEach((r, i) => (r.criterion = clean(r.criterion, `/rubric/${i}/criterion`)));
      break;
    default:
      break;
  }
  return details;
}

/** Reports repeated ids of a list and returns the set of its ids. */
function idsOf(list: { id: string }[], at: string, out: Detail[]): Set<string> {
  const seen = new Set<string>();
  list.forEach((e, i) => {
    if (seen.has(e.id)) out.push({ instancePath: `${at}/${i}/id`, keyword: 'uniqueId', message: `repeats the id "${e.id}"`, params: { id: e.id } });
    seen.add(e.id);
  });
  return seen;
}

function mustName(ids: Set<string>, id: string, at: string, what: string, out: Detail[]): void {
  if (!ids.has(id)) {
    out.push({ instancePath: at, keyword: 'knownId', message: `must name one of the ${what} (${[...ids].join(', ')}); "${id}" is none of them`, params: { id } });
  }
}

function noRepeats(ids: string[], at: string, out: Detail[]): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) out.push({ instancePath: `${at}/${i}`, keyword: 'uniqueId', message: `repeats "${id}"`, params: { id } });
    seen.add(id);
  });
}

const MARKER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The rules JSON Schema cannot state: keys that name existing ids, unique ids, cloze markers, ladders. */
export function crossFieldProblems(item: ItemInput): Detail[] {
  const out: Detail[] = [];
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const ids = idsOf(item.options, '/options', out);
      item.correct.forEach((id, i) => mustName(ids, id, `/correct/${i}`, 'options', out));
      noRepeats(item.correct, '/correct', out);
      break;
    }
    case 'true_false_cluster': {
      const ids = idsOf(item.statements, '/statements', out);
      for (const id of ids) {
        if (!(id in item.values)) {
          out.push({ instancePath: '/values', keyword: 'required', message: `must give true or false for statement "${id}"`, params: { missingProperty: id } });
        }
      }
      for (const key of Object.keys(item.values)) mustName(ids, key, `/values/${key}`, 'statements', out);
      if (item.ladder === undefined) {
        if (item.statements.length === DEFAULT_LADDER.length - 1) item.ladder = [...DEFAULT_LADDER];
        else out.push({ instancePath: '/ladder', keyword: 'required', message: `is required unless there are ${DEFAULT_LADDER.length - 1} statements` });
      } else if (item.ladder.length !== item.statements.length + 1) {
        out.push({
          instancePath: '/ladder',
          keyword: 'ladderLength',
          message: `must have ${item.statements.length + 1} entries: one per possible number of right statements, from 0 to ${item.statements.length}`,
        });
      }
      break;
    }
    case 'matching': {
      const premises = idsOf(item.premises, '/premises', out);
      const choices = idsOf(item.choices, '/choices', out);
      for (const [premise, choice] of Object.entries(item.pairs)) {
        mustName(premises, premise, `/pairs/${premise}`, 'premises', out);
        mustName(choices, choice, `/pairs/${premise}`, 'choices', out);
      }
      for (const id of premises) {
        if (!(id in item.pairs)) out.push({ instancePath: '/pairs', keyword: 'required', message: `must pair premise "${id}" with a choice`, params: { missingProperty: id } });
      }
      break;
    }
    case 'ordering': {
      const ids = idsOf(item.elements, '/elements', out);
      item.order.forEach((id, i) => mustName(ids, id, `/order/${i}`, 'elements', out));
      noRepeats(item.order, '/order', out);
      const listed = new Set(item.order);
      const missing = [...ids].filter((id) => !listed.has(id));
      if (missing.length) out.push({ instancePath: '/order', keyword: 'permutation', message: `must list every element once; missing ${missing.join(', ')}` });
      break;
    }
    case 'cloze': {
      const ids = idsOf(item.blanks, '/blanks', out);
      const counts = new Map<string, number>();
      for (const m of item.text.matchAll(MARKER)) {
        const id = m[1]!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
        if (!ids.has(id)) out.push({ instancePath: '/text', keyword: 'clozeMarker', message: `marker {{${id}}} names no blank`, params: { id } });
      }
      item.blanks.forEach((b, i) => {
        const n = counts.get(b.id) ?? 0;
        if (n !== 1) {
          out.push({
            instancePath: `/blanks/${i}`,
            keyword: 'clozeMarker',
            message: n === 0 ? `has no {{${b.id}}} marker in text` : `appears ${n} times in text; a blank appears once`,
            params: { id: b.id },
          });
        }
        if ('options' in b) {
          const options = idsOf(b.options, `/blanks/${i}/options`, out);
          b.correct.forEach((id, j) => mustName(options, id, `/blanks/${i}/correct/${j}`, 'options of the blank', out));
          noRepeats(b.correct, `/blanks/${i}/correct`, out);
          if (!b.multiple && b.correct.length === b.options.length) {
            out.push({ instancePath: `/blanks/${i}/correct`, keyword: 'choiceKey', message: 'names every option; a dropdown blank needs at least one wrong option' });
          }
        }
      });
      break;
    }
    default:
      break;
  }
  return out;
}
