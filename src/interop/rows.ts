import { ITEM_TYPES, type ClozeItemBlank, type CognitiveLevel, type ItemContent, type ItemType } from '../bank/item-types.js';
import { foldDiacritics } from '../text/fold.js';
import { draft, labelled, matchingFromRows, matchingRows } from './drafts.js';
import { formatNumber, ids, ItemProblem, letter, letterIndex, parseNumber, type ItemDraft, type ReadMeta } from './model.js';

/**
 * One item as one spreadsheet row, shared by CSV (one file, every type) and
 * xlsx (one sheet per type, only that type's columns).
 *
 * Columns A…Z are list slots: options (A–J), statements (A–J, ids a–j),
 * ordering elements in authored order (A–T), matching rows
 * `premise -> choice` (a row `-> choice` is a distractor). `answer` holds
 * the key: option letters (`B`, `A, C`), T/F (also Đ/S, Đúng/Sai), a number,
 * accepted answers separated by `|`, one T/F per statement, or the ordering
 * as letters (`C, A, B`). Lists inside a cell are `|`-separated with `\|`
 * for a literal bar. Cloze blanks and essay rubrics are JSON, as in the API.
 */

export const COMMON_COLUMNS = ['type', 'stem', 'subject', 'grade', 'topic', 'cognitiveLevel', 'language', 'points', 'tags', 'shuffleOptions'] as const;

const slots = (n: number) => Array.from({ length: n }, (_, i) => letter(i));

/** The columns each type uses besides the common ones. */
export const TYPE_COLUMNS: Record<ItemType, readonly string[]> = {
  single_choice: [...slots(10), 'answer', 'fixed'],
  multiple_choice: [...slots(10), 'answer', 'scoring', 'fixed'],
  true_false: ['answer'],
  true_false_cluster: [...slots(10), 'answer', 'ladder'],
  numeric: ['answer', 'tolerance'],
  short_text: ['answer', 'caseSensitive', 'ignoreDiacritics'],
  matching: [...slots(26), 'distractors'],
  ordering: [...slots(20), 'answer', 'scoring'],
  cloze: ['text', 'blanks'],
  essay: ['rubric', 'maxWords'],
};

/** CSV columns: the common ones, the 26 slots, then every type column once. */
export const ALL_COLUMNS: readonly string[] = (() => {
  const rest = new Set<string>();
  for (const t of ITEM_TYPES) for (const c of TYPE_COLUMNS[t]) if (!/^[A-Z]$/.test(c)) rest.add(c);
  return [...COMMON_COLUMNS, ...slots(26), ...rest];
})();

export type Row = Record<string, string>;

/** Header cell → column name: slot letters as they are, other names compared without case or spaces. */
export function columnKey(header: string): string {
  const h = header.normalize('NFC').trim();
  if (/^[A-Za-z]$/.test(h)) return h.toUpperCase();
  const folded = h.replace(/[\s_-]+/g, '').toLowerCase();
  return ALL_COLUMNS.find((c) => c.toLowerCase() === folded) ?? h;
}

export function splitList(cell: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < cell.length; i++) {
    const ch = cell[i]!;
    if (ch === '\\' && (cell[i + 1] === '|' || cell[i + 1] === '\\')) {
      cur += cell[++i];
    } else if (ch === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

export function joinList(list: readonly string[]): string {
  return list.map((s) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|')).join(' | ');
}

function letters(cell: string): string[] {
  return cell
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
}

const TRUE_WORDS = new Set(['t', 'true', 'd', 'dung', 'yes', 'y', 'x', 'co', '1']);
const FALSE_WORDS = new Set(['f', 'false', 's', 'sai', 'no', 'n', 'khong', '0']);

/** T/F in English or Vietnamese (Đ/S, Đúng/Sai), any case and diacritics. */
export function truth(cell: string): boolean | undefined {
  const w = foldDiacritics(cell.trim().toLowerCase());
  if (TRUE_WORDS.has(w)) return true;
  if (FALSE_WORDS.has(w)) return false;
  return undefined;
}

const LEVEL_WORDS: Record<string, CognitiveLevel> = { 'nhan biet': 1, 'thong hieu': 2, 'van dung': 3, 'van dung cao': 4, knowing: 1, understanding: 2, applying: 3, 'high application': 4 };

export function cognitiveLevel(cell: string): CognitiveLevel | undefined {
  const s = foldDiacritics(cell.trim().toLowerCase()).replace(/\s+/g, ' ');
  if (s === '') return undefined;
  const n = Number(s);
  if (n === 1 || n === 2 || n === 3 || n === 4) return n;
  const word = LEVEL_WORDS[s];
  if (word === undefined) throw new ItemProblem(`cognitive level "${cell}" is none of 1–4, Nhận biết, Thông hiểu, Vận dụng, Vận dụng cao`);
  return word;
}

function number(cell: string, what: string): number | undefined {
  if (cell.trim() === '') return undefined;
  const n = parseNumber(cell);
  if (Number.isNaN(n)) throw new ItemProblem(`${what} "${cell}" is not a number`);
  return n;
}

function json<T>(cell: string, what: string): T {
  try {
    return JSON.parse(cell) as T;
  } catch (err) {
    throw new ItemProblem(`${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Classification and common fields of a row (empty cells stay absent, so the import's defaults apply). */
export function commonOf(row: Row): ReadMeta['common'] {
  const c: ReadMeta['common'] = {};
  const get = (k: string) => (row[k] ?? '').trim();
  if (get('subject')) c.subject = get('subject');
  const grade = number(get('grade'), 'grade');
  if (grade !== undefined) c.grade = grade;
  if (get('topic')) c.topic = get('topic');
  const level = cognitiveLevel(get('cognitiveLevel'));
  if (level !== undefined) c.cognitiveLevel = level;
  const lang = get('language').toLowerCase();
  if (lang === 'vi' || lang === 'en') c.language = lang;
  else if (lang) throw new ItemProblem(`language "${lang}" is neither vi nor en`);
  const points = number(get('points'), 'points');
  if (points !== undefined) c.points = points;
  if (get('tags')) c.tags = splitList(get('tags'));
  const shuffle = get('shuffleOptions');
  if (shuffle) c.shuffleOptions = truth(shuffle) !== false;
  return c;
}

function slotTexts(row: Row, max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const text = (row[letter(i)] ?? '').trim();
    if (text !== '') {
      if (out.length !== i) throw new ItemProblem(`column ${letter(i)} is filled but column ${letter(out.length)} is empty`);
      out.push(text);
    }
  }
  return out;
}

function boolCell(row: Row, key: string): boolean | undefined {
  const s = (row[key] ?? '').trim();
  return s === '' ? undefined : truth(s) === true;
}

/** The item a row describes. `type` comes from the row or from the sheet. */
export function rowToItem(row: Row, sheetType?: ItemType): ItemDraft {
  const typeCell = (row.type ?? '').trim();
  const type = (typeCell || sheetType) as ItemType | undefined;
  if (!type || !(ITEM_TYPES as readonly string[]).includes(type)) throw new ItemProblem(`type "${typeCell}" is none of ${ITEM_TYPES.join(', ')}`);
  const stem = (row.stem ?? '').trim();
  if (stem === '') throw new ItemProblem('stem is empty');
  const common = commonOf(row);
  const answer = (row.answer ?? '').trim();
  switch (type) {
    case 'single_choice':
    case 'multiple_choice': {
      const options = labelled(slotTexts(row, 10), ids.option);
      const fixed = new Set(letters(row.fixed ?? ''));
      for (const o of options) if (fixed.has(o.id)) (o as { fixed?: boolean }).fixed = true;
      const correct = letters(answer);
      if (correct.length === 0) throw new ItemProblem('answer is empty; give the letter of the right option');
      if (type === 'single_choice') return draft(type, stem, common, { options, correct });
      const scoring = (row.scoring ?? '').trim() || 'all_or_nothing';
      return draft(type, stem, common, { options, correct, scoring });
    }
    case 'true_false': {
      const value = truth(answer);
      if (value === undefined) throw new ItemProblem(`answer "${answer}" is neither true nor false`);
      return draft(type, stem, common, { value });
    }
    case 'true_false_cluster': {
      const statements = labelled(slotTexts(row, 10), ids.statement);
      const marks = answer.split(/[\s,;]+/).filter((s) => s !== '');
      if (marks.length !== statements.length) throw new ItemProblem(`answer gives ${marks.length} true/false marks for ${statements.length} statements`);
      const values: Record<string, boolean> = {};
      marks.forEach((m, i) => {
        const t = truth(m.replace(/^[a-j][=:)]/i, ''));
        if (t === undefined) throw new ItemProblem(`answer mark "${m}" is neither true nor false`);
        values[statements[i]!.id] = t;
      });
      const ladder = (row.ladder ?? '').trim();
      return draft(type, stem, common, { statements, values, ...(ladder ? { ladder: ladder.split(/[\s;]+/).map((x) => parseNumber(x)) } : {}) });
    }
    case 'numeric': {
      const value = number(answer, 'answer');
      if (value === undefined) throw new ItemProblem('answer is empty; give the number');
      return draft(type, stem, common, { value, tolerance: number(row.tolerance ?? '', 'tolerance') ?? 0 });
    }
    case 'short_text': {
      const accepted = splitList(answer);
      if (accepted.length === 0) throw new ItemProblem('answer is empty; give the accepted answers separated by |');
      const cs = boolCell(row, 'caseSensitive');
      const nd = boolCell(row, 'ignoreDiacritics');
      return draft(type, stem, common, { accepted, ...(cs !== undefined ? { caseSensitive: cs } : {}), ...(nd !== undefined ? { ignoreDiacritics: nd } : {}) });
    }
    case 'matching': {
      const rows = slotTexts(row, 26).map((cell) => {
        const arrow = cell.indexOf('->');
        if (arrow === -1) throw new ItemProblem(`matching cell "${cell}" is not "premise -> choice"`);
        return { premise: cell.slice(0, arrow).trim(), choice: cell.slice(arrow + 2).trim() };
      });
      for (const d of splitList(row.distractors ?? '')) rows.push({ premise: '', choice: d });
      return draft(type, stem, common, matchingFromRows(rows));
    }
    case 'ordering': {
      const elements = labelled(slotTexts(row, 20), ids.element);
      const order = letters(answer).map((l) => {
        const i = letterIndex(l);
        const e = elements[i];
        if (!e) throw new ItemProblem(`answer names ${l}, but column ${l} is empty`);
        return e.id;
      });
      const scoring = (row.scoring ?? '').trim() || 'all_or_nothing';
      return draft(type, stem, common, { elements, order, scoring });
    }
    case 'cloze': {
      const blanks = json<ClozeItemBlank[]>(row.blanks ?? '', 'blanks');
      return draft(type, stem, common, { text: (row.text ?? '').trim(), blanks });
    }
    case 'essay': {
      const rubric = json<{ criterion: string; maxPoints: number }[]>(row.rubric ?? '', 'rubric');
      const maxWords = number(row.maxWords ?? '', 'maxWords');
      return draft(type, stem, common, { rubric, ...(maxWords !== undefined ? { maxWords } : {}) });
    }
    default:
      throw new ItemProblem(`type ${String(type)} is not supported`);
  }
}

const YES_NO = (b: boolean) => (b ? 'true' : 'false');

/** The row of an item (cells as text), for CSV and the per-type sheets. */
export function itemToRow(item: ItemContent): Row {
  const row: Row = {
    type: item.type,
    stem: item.stem,
    subject: item.subject ?? '',
    grade: item.grade === undefined ? '' : String(item.grade),
    topic: item.topic ?? '',
    cognitiveLevel: item.cognitiveLevel === undefined ? '' : String(item.cognitiveLevel),
    language: item.language ?? '',
    points: item.points === undefined ? '' : formatNumber(item.points),
    tags: joinList(item.tags ?? []),
    shuffleOptions: item.shuffleOptions === undefined ? '' : YES_NO(item.shuffleOptions),
  };
  const slot = (texts: string[]) => texts.forEach((t, i) => (row[letter(i)] = t));
  const letterOf = (list: { id: string }[], id: string) => letter(list.findIndex((x) => x.id === id));
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice':
      slot(item.options.map((o) => o.text));
      row.answer = item.correct.map((id) => letterOf(item.options, id)).join(', ');
      row.fixed = item.options.flatMap((o, i) => (o.fixed ? [letter(i)] : [])).join(', ');
      if (item.type === 'multiple_choice') row.scoring = item.scoring ?? 'all_or_nothing';
      break;
    case 'true_false':
      row.answer = item.value ? 'TRUE' : 'FALSE';
      break;
    case 'true_false_cluster':
      slot(item.statements.map((s) => s.text));
      row.answer = item.statements.map((s) => (item.values[s.id] ? 'T' : 'F')).join(', ');
      row.ladder = (item.ladder ?? []).map(formatNumber).join('; ');
      break;
    case 'numeric':
      row.answer = formatNumber(item.value);
      row.tolerance = formatNumber(item.tolerance ?? 0);
      break;
    case 'short_text':
      row.answer = joinList(item.accepted);
      row.caseSensitive = YES_NO(item.caseSensitive === true);
      row.ignoreDiacritics = YES_NO(item.ignoreDiacritics === true);
      break;
    case 'matching': {
      const rows = matchingRows(item);
      const paired = rows.filter((r) => r.premise !== '');
      slot(paired.map((r) => `${r.premise} -> ${r.choice}`));
      row.distractors = joinList(rows.filter((r) => r.premise === '').map((r) => r.choice));
      break;
    }
    case 'ordering':
      slot(item.elements.map((e) => e.text));
      row.answer = item.order.map((id) => letterOf(item.elements, id)).join(', ');
      row.scoring = item.scoring ?? 'all_or_nothing';
      break;
    case 'cloze':
      row.text = item.text;
      row.blanks = JSON.stringify(item.blanks);
      break;
    case 'essay':
      row.rubric = JSON.stringify(item.rubric);
      row.maxWords = item.maxWords === undefined ? '' : String(item.maxWords);
      break;
    default:
      break;
  }
  return row;
}
