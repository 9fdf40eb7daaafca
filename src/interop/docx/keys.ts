import { parseNumber } from '../model.js';
import type { Rich } from './rich.js';

/**
 * Answer keys as Vietnamese exam papers write them, apart from the
 * questions: tables at the end ("BẢNG ĐÁP ÁN", by question, sometimes one
 * column per mã đề), lines of pairs ("1.A 2.C 3-B"), per-question lines
 * ("Câu 1: a-Đ, b-S, c-Đ, d-S"), and what each kind of question reads from
 * such a text.
 */

/** One key found apart from its question. */
export interface KeyRecord {
  /** Ordinal of the "PHẦN" heading of the key area it sits under (1 for PHẦN I), if any. */
  part?: number;
  /** The mã đề it belongs to, when the key gives several. */
  form?: string;
  number: number;
  text: string;
  /** Where it was found, for warnings. */
  source: 'table' | 'line';
}

const NUMBER_HEADER = /^(câu|câu hỏi|câu số|question|questions|stt|số câu|q)\.?$/i;
const KEY_HEADER = /^(đáp án|đáp án đúng|key|answer|answers|đa|đ\/a|phương án đúng|kết quả)$/i;
const FORM_HEADER = /^(mã đề|mã đề thi|đề|form|code)\.?$/i;
const FORM_CODE = /^(?:mã\s*đề(?:\s*thi)?\s*[:：]?\s*)?(\d{2,4})$/i;

function integer(text: string): number | undefined {
  const m = /^(?:câu\s*)?(\d{1,3})\.?$/i.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

/** Key records from one table of plain cell texts (rows × cells). */
export function keyTableRecords(cells: string[][], part: number | undefined, form: string | undefined): KeyRecord[] {
  const rows = cells.map((r) => r.map((c) => c.replace(/\s+/g, ' ').trim())).filter((r) => r.some((c) => c !== ''));
  if (rows.length === 0) return [];
  const out: KeyRecord[] = [];
  const add = (number: number, text: string, f = form) => {
    if (text !== '') out.push({ ...(part !== undefined ? { part } : {}), ...(f !== undefined ? { form: f } : {}), number, text, source: 'table' });
  };

  // Horizontal: a row of question numbers, then rows of keys under them ("Câu | 1 | 2 …" / "Đáp án | A | C …").
  const numberRow = (r: string[]) => {
    const nums = r.map(integer);
    const first = nums[0] === undefined && (r[0] === '' || NUMBER_HEADER.test(r[0]!)) ? 1 : 0;
    const rest = nums.slice(first);
    // Question numbers run on (1, 2, 3…); mã đề codes in a header (132, 209) do not.
    const ok = rest.length >= 2 && rest.every((n, i) => n !== undefined && (i === 0 || n === rest[i - 1]! + 1));
    return ok ? { first, nums: rest as number[] } : undefined;
  };
  if (rows.some((r) => numberRow(r))) {
    let header: { first: number; nums: number[] } | undefined;
    for (const r of rows) {
      const h = numberRow(r);
      if (h) {
        header = h;
        continue;
      }
      if (!header) continue;
      const label = header.first === 1 ? r[0] ?? '' : '';
      const code = FORM_CODE.exec(label);
      header.nums.forEach((n, i) => add(n, r[i + header!.first] ?? '', code ? code[1] : form));
    }
    if (out.length) return out;
  }

  // Vertical: a header row naming the number column, then one row per question.
  const headerAt = rows.findIndex((r) => r.some((c) => NUMBER_HEADER.test(c)));
  if (headerAt !== -1) {
    const header = rows[headerAt]!;
    const numCol = header.findIndex((c) => NUMBER_HEADER.test(c));
    const formCol = header.findIndex((c) => FORM_HEADER.test(c));
    const valueCols = header
      .map((h, i) => ({ h, i }))
      .filter(({ i }) => i !== numCol && i !== formCol)
      .map(({ h, i }) => {
        const code = FORM_CODE.exec(h);
        return { i, form: code ? code[1] : undefined, prefix: KEY_HEADER.test(h) || code || h === '' ? '' : `${h.replace(/[).:]+$/, '')}) ` };
      });
    for (const r of rows.slice(headerAt + 1)) {
      const n = integer(r[numCol] ?? '');
      if (n === undefined) continue;
      const rowForm = formCol !== -1 ? FORM_CODE.exec(r[formCol] ?? '')?.[1] : undefined;
      for (const v of valueCols) {
        const text = r[v.i] ?? '';
        if (text !== '') add(n, `${v.prefix}${text}`, rowForm ?? v.form ?? form);
      }
    }
    if (out.length) return merge(out);
  }

  // Cells holding their own pairs ("1.A", "2-C", "3 B").
  for (const r of rows) for (const c of r) for (const rec of keyLineRecords(c, part, form)) out.push({ ...rec, source: 'table' });
  return merge(out);
}

/** Records for the same question and form are one key ("a) Đ" then "b) S" → "a) Đ b) S"). */
function merge(records: KeyRecord[]): KeyRecord[] {
  const byKey = new Map<string, KeyRecord>();
  for (const r of records) {
    const k = `${r.part ?? ''}|${r.form ?? ''}|${r.number}`;
    const seen = byKey.get(k);
    if (seen) seen.text = `${seen.text} ${r.text}`;
    else byKey.set(k, { ...r });
  }
  return [...byKey.values()];
}

/** Pairs of a key line: "1.A 2.B", "1-A; 2-C", "1A 2B", "1. B". */
export function keyLineRecords(text: string, part: number | undefined, form: string | undefined): KeyRecord[] {
  const out: KeyRecord[] = [];
  for (const m of text.matchAll(/(?:^|[\s,;|])(\d{1,3})\s*[.\-:)–]?\s*([A-J])(?![\p{L}\d])/gu)) {
    out.push({ ...(part !== undefined ? { part } : {}), ...(form !== undefined ? { form } : {}), number: Number(m[1]), text: m[2]!, source: 'line' });
  }
  return out;
}

/** The option letters a key names ("B", "A, C", "AC"), or undefined when it names none. */
export function choiceKey(text: string): string[] | undefined {
  const t = text.replace(/^\s*(đáp án|chọn|key)\s*[:.]?\s*/i, '').replace(/[.\s]+$/, '').trim();
  const letters = t.replace(/[\s,;&+]|và|and/gi, '');
  if (!/^[A-J]{1,10}$/.test(letters)) return undefined;
  return [...new Set(letters.split(''))];
}

const TRUE = /^(đúng|đ|true|t|yes|x)$/i;
const FALSE = /^(sai|s|false|f|no)$/i;

/**
 * True/false values of statements a, b, c… from "a-Đ, b-S", "a) Đúng b) Sai",
 * "ĐSĐS" or "Đ S Đ S"; undefined when the text gives none.
 */
export function statementKey(text: string, count: number): Record<string, boolean> | undefined {
  const out: Record<string, boolean> = {};
  for (const m of text.matchAll(/(?:^|[^\p{L}])([a-h])\s*[).:\-–]?\s*(Đúng|Sai|True|False|Đ|S|T|F)(?![\p{L}])/giu)) {
    out[m[1]!.toLowerCase()] = TRUE.test(m[2]!);
  }
  if (Object.keys(out).length) return out;
  const run = text.replace(/^\s*(đáp án)\s*[:.]?\s*/i, '').replace(/[\s,;\-–|/]+/g, '');
  if (run.length === count && /^[ĐDSđds]+$/.test(run)) {
    [...run].forEach((ch, i) => (out[String.fromCharCode(97 + i)] = /[ĐDđd]/.test(ch)));
    return out;
  }
  const words = text.trim().split(/[\s,;|/]+/).filter(Boolean);
  if (words.length === count && words.every((w) => TRUE.test(w) || FALSE.test(w))) {
    words.forEach((w, i) => (out[String.fromCharCode(97 + i)] = TRUE.test(w)));
    return out;
  }
  return undefined;
}

/** A numeric key ("-1,5", "27", "0.25"), written with a decimal comma or point. */
export function numericKey(text: string): number | undefined {
  const t = text.replace(/^\s*(đáp án|đáp số|kết quả|answer)\s*[:.]?\s*/i, '').replace(/[−–]/g, '-').replace(/\.$/, '').trim();
  const n = parseNumber(t);
  return Number.isNaN(n) ? undefined : n;
}

/** Points written after a criterion or a question number: "(0,5 điểm)", "0,25đ", "1.0 pt". */
export const POINTS = /\(?\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:điểm|đ|pts?|points?)\s*\)?\.?\s*$/i;

export function pointsOf(text: string): number | undefined {
  const m = POINTS.exec(text.trim());
  if (!m) return undefined;
  const n = parseNumber(m[1]!);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Lines as plain text (for records read from lines of the key area). */
export function plainLines(lines: readonly Rich[]): string {
  return lines.map((l) => l.plain.replace(/\t/g, ' ').trim()).join(' ');
}
