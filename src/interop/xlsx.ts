import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { ITEM_TYPES, type ItemType } from '../bank/item-types.js';
import { foldDiacritics } from '../text/fold.js';
import { draft, labelled } from './drafts.js';
import {
  drained,
  escapeHtml,
  ids,
  ItemProblem,
  letter,
  messageOf,
  parseNumber,
  UnreadableFile,
  type FormatModule,
  type ItemDraft,
  type ItemSource,
  type ParsedEntry,
  type ParseResult,
  type ReadMeta,
} from './model.js';
import { cognitiveLevel, columnKey, COMMON_COLUMNS, itemToRow, rowToItem, truth, TYPE_COLUMNS, type Row } from './rows.js';
import { isZip, repack, safeUnzip } from './zip.js';

/**
 * xlsx workbooks, two layouts:
 *
 * - Export layout: one sheet per item type, named by the type, with that
 *   type's columns (rows.ts); cells hold HTML as the bank stores it.
 * - The Vietnamese template for the 2025 exam formats (GET
 *   /api/items/import/template.xlsx): sheets "Phần I" (single_choice, 4
 *   options), "Phần II" (true_false_cluster, statements a–d marked Đ/S) and
 *   "Phần III" (short answer: a number, with an optional tolerance, becomes
 *   numeric; anything else short_text), Vietnamese column headers, plain
 *   text cells (line breaks become `<br />`).
 *
 * Import recognises the template by its sheet names; any other workbook is
 * read in the export layout (the sheet name gives the type, or a `type` column).
 */

export const XLSX_TYPES: readonly ItemType[] = ITEM_TYPES;

const NUMERIC_COLUMNS = new Set(['grade', 'cognitiveLevel', 'points', 'tolerance', 'maxWords']);

/** Text of a cell, whatever exceljs made of it. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as ExcelJS.CellFormulaValue).result;
    return result === undefined || (typeof result === 'object' && !(result instanceof Date)) ? '' : cellText(result as ExcelJS.CellValue);
  }
  if ('hyperlink' in value) return String(value.text ?? '');
  if ('error' in value) return '';
  return '';
}

function fold(s: string): string {
  return foldDiacritics(s.normalize('NFC').toLowerCase()).replace(/\s+/g, ' ').trim();
}

// ----------------------------------------------------------------- template

export const TEMPLATE_SHEETS = { p1: 'Phần I', p2: 'Phần II', p3: 'Phần III' } as const;
const TAIL = ['Môn học', 'Lớp', 'Chủ đề', 'Mức độ', 'Điểm', 'Thẻ'];
export const TEMPLATE_HEADERS = {
  p1: ['STT', 'Câu hỏi', 'Phương án A', 'Phương án B', 'Phương án C', 'Phương án D', 'Đáp án', ...TAIL],
  p2: ['STT', 'Câu hỏi', 'Ý a', 'Ý b', 'Ý c', 'Ý d', 'Đáp án a', 'Đáp án b', 'Đáp án c', 'Đáp án d', ...TAIL],
  p3: ['STT', 'Câu hỏi', 'Đáp án', 'Sai số', ...TAIL],
} as const;

/** "Hàm số bậc ba" → "ham-so-bac-ba": a topic slug from what a teacher types. */
export function slug(text: string): string {
  return fold(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function plainToHtml(text: string): string {
  return escapeHtml(text.trim()).replace(/\n/g, '<br />');
}

type Section = 'p1' | 'p2' | 'p3';

function sectionOf(sheetName: string): Section | null {
  const f = fold(sheetName);
  if (/^phan iii\b/.test(f)) return 'p3';
  if (/^phan ii\b/.test(f)) return 'p2';
  if (/^phan i\b/.test(f)) return 'p1';
  return null;
}

function templateCommon(get: (h: string) => string): ReadMeta['common'] {
  const c: ReadMeta['common'] = {};
  if (get('mon hoc')) c.subject = get('mon hoc');
  const grade = get('lop');
  if (grade) {
    const n = parseNumber(grade.replace(/^lop\s*/i, ''));
    if (!Number.isInteger(n)) throw new ItemProblem(`Lớp "${grade}" không phải số nguyên (grade is not a whole number)`);
    c.grade = n;
  }
  if (get('chu de')) c.topic = slug(get('chu de'));
  const level = cognitiveLevel(get('muc do'));
  if (level !== undefined) c.cognitiveLevel = level;
  const points = get('diem');
  if (points) {
    const n = parseNumber(points);
    if (Number.isNaN(n)) throw new ItemProblem(`Điểm "${points}" không phải số (points is not a number)`);
    c.points = n;
  }
  const tags = get('the')
    .split(/[,;|]/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tags.length) c.tags = tags;
  c.language = 'vi';
  return c;
}

function templateItem(section: Section, get: (h: string) => string): ItemDraft {
  const stem = plainToHtml(get('cau hoi'));
  if (stem === '') throw new ItemProblem('Câu hỏi trống (the question is empty)');
  const common = templateCommon(get);
  if (section === 'p1') {
    const texts: string[] = [];
    for (let i = 0; i < 10; i++) {
      const t = get(`phuong an ${letter(i).toLowerCase()}`);
      if (t) texts.push(plainToHtml(t));
    }
    const options = labelled(texts, ids.option);
    const answer = get('dap an').toUpperCase();
    if (!options.some((o) => o.id === answer)) throw new ItemProblem(`Đáp án "${get('dap an')}" không phải một phương án (${options.map((o) => o.id).join(', ')})`);
    return draft('single_choice', stem, common, { options, correct: [answer] });
  }
  if (section === 'p2') {
    const statements = labelled(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => get(`y ${l}`)).filter((t) => t !== '').map(plainToHtml),
      ids.statement,
    );
    const values: Record<string, boolean> = {};
    for (const s of statements) {
      const mark = get(`dap an ${s.id}`);
      const t = truth(mark);
      if (t === undefined) throw new ItemProblem(`Đáp án ${s.id} "${mark}" phải là Đ hoặc S (must be Đ or S)`);
      values[s.id] = t;
    }
    return draft('true_false_cluster', stem, common, { statements, values });
  }
  const answer = get('dap an');
  if (answer === '') throw new ItemProblem('Đáp án trống (the answer is empty)');
  const value = parseNumber(answer);
  if (!Number.isNaN(value)) {
    const tol = get('sai so');
    const tolerance = tol === '' ? 0 : parseNumber(tol);
    if (Number.isNaN(tolerance)) throw new ItemProblem(`Sai số "${tol}" không phải số (tolerance is not a number)`);
    return draft('numeric', stem, common, { value, tolerance: Math.abs(tolerance) });
  }
  return draft('short_text', stem, common, {
    accepted: answer
      .split('|')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
  });
}

/** The downloadable template, with an instructions sheet and an example per part. */
export async function templateWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'exam-engine';
  const add = (name: string, headers: readonly string[], answerCols: { col: number; list: string }[]) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.addRow([...headers]);
    ws.getRow(1).font = { bold: true };
    headers.forEach((h, i) => (ws.getColumn(i + 1).width = h === 'Câu hỏi' ? 60 : h.startsWith('Phương án') || h.startsWith('Ý ') ? 30 : 12));
    for (const { col, list } of answerCols) {
      for (let r = 2; r <= 301; r++) ws.getCell(r, col).dataValidation = { type: 'list', allowBlank: true, formulae: [`"${list}"`] };
    }
    return ws;
  };
  const levelCol = (headers: readonly string[]) => headers.indexOf('Mức độ') + 1;
  const levels = 'Nhận biết,Thông hiểu,Vận dụng,Vận dụng cao';
  add(TEMPLATE_SHEETS.p1, TEMPLATE_HEADERS.p1, [
    { col: 7, list: 'A,B,C,D' },
    { col: levelCol(TEMPLATE_HEADERS.p1), list: levels },
  ]);
  add(TEMPLATE_SHEETS.p2, TEMPLATE_HEADERS.p2, [
    ...[7, 8, 9, 10].map((col) => ({ col, list: 'Đ,S' })),
    { col: levelCol(TEMPLATE_HEADERS.p2), list: levels },
  ]);
  add(TEMPLATE_SHEETS.p3, TEMPLATE_HEADERS.p3, [{ col: levelCol(TEMPLATE_HEADERS.p3), list: levels }]);
  const help = wb.addWorksheet('Hướng dẫn');
  help.getColumn(1).width = 120;
  for (const line of [
    'Mẫu nhập câu hỏi theo định dạng đề thi 2025 (Phần I, Phần II, Phần III). Mỗi dòng của một trang là một câu hỏi; dòng trống được bỏ qua.',
    'Phần I – trắc nghiệm nhiều phương án lựa chọn: nhập câu hỏi, các phương án A–D và Đáp án (A, B, C hoặc D).',
    'Phần II – trắc nghiệm đúng sai: nhập câu hỏi (đoạn dẫn), bốn ý a–d và Đáp án từng ý (Đ hoặc S). Điểm theo thang 0,1 – 0,25 – 0,5 – 1.',
    'Phần III – trả lời ngắn: Đáp án là một số (dấu phẩy hoặc dấu chấm thập phân, ví dụ -1,5); Sai số cho phép là tuỳ chọn. Đáp án không phải số được chấm như câu trả lời ngắn dạng chữ.',
    'Môn học, Lớp (1–12), Chủ đề (ví dụ "Hàm số", tự chuyển thành ham-so), Mức độ (Nhận biết, Thông hiểu, Vận dụng, Vận dụng cao hoặc 1–4), Điểm và Thẻ (cách nhau bởi dấu phẩy) có thể để trống nếu khi nhập đã chọn giá trị mặc định.',
    'Công thức toán viết trong \\( … \\), ví dụ \\(x^2 - 3x + 2 = 0\\). Xuống dòng trong ô (Alt+Enter) được giữ lại.',
    'Nhập tệp: POST /api/items/import?format=xlsx hoặc npm run import -- --format xlsx tep.xlsx. Mọi câu hỏi nhập vào đều ở trạng thái nháp (draft).',
    '',
    'Ví dụ Phần I: Câu hỏi "Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?" – A: 0 – B: 1 – C: 2 – D: 3 – Đáp án: C.',
    'Ví dụ Phần II: "Cho hàm số \\(f(x) = \\sin 2x\\)." – a) f(0) = 0 (Đ) – b) f có chu kỳ 2π (S) – c) … – d) …',
    'Ví dụ Phần III: "Tính \\(\\log_2 8\\)." – Đáp án: 3.',
  ]) {
    help.addRow([line]);
  }
  help.getColumn(1).alignment = { wrapText: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// -------------------------------------------------------------------- read

function headerKeys(ws: ExcelJS.Worksheet): Map<number, string> {
  const keys = new Map<number, string>();
  ws.getRow(1).eachCell({ includeEmpty: false }, (cell, col) => {
    const text = cellText(cell.value).trim();
    if (text) keys.set(col, text);
  });
  return keys;
}

function rowsOf(ws: ExcelJS.Worksheet, each: (cells: Map<string, string>, rowNumber: number) => void, key: (header: string) => string): void {
  const headers = headerKeys(ws);
  const keyed = new Map([...headers].map(([col, h]) => [col, key(h)]));
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (rowNumber === 1) return;
    const cells = new Map<string, string>();
    let any = false;
    for (const [col, k] of keyed) {
      const text = cellText(row.getCell(col).value).normalize('NFC');
      if (text.trim() !== '') any = true;
      cells.set(k, text);
    }
    if (any) each(cells, rowNumber);
  });
}

export async function parse(input: Buffer): Promise<ParseResult> {
  if (!isZip(input)) throw new UnreadableFile('The xlsx file is not a zip archive (is it an old .xls? Save it as .xlsx)');
  const wb = new ExcelJS.Workbook();
  try {
    // The archive is unpacked once with limits, and exceljs only ever sees what passed them.
    await wb.xlsx.load(repack(safeUnzip(input, 'The xlsx file')) as unknown as ExcelJS.Buffer);
  } catch (err) {
    if (err instanceof UnreadableFile || (err as { statusCode?: number }).statusCode === 413) throw err;
    throw new UnreadableFile(`The xlsx file cannot be read: ${messageOf(err)}`);
  }
  const items: ParsedEntry[] = [];
  const template = wb.worksheets.some((ws) => sectionOf(ws.name) !== null);
  for (const ws of wb.worksheets) {
    if (template) {
      const section = sectionOf(ws.name);
      if (!section) continue;
      rowsOf(ws, (cells, line) => {
        const index = items.length;
        try {
          items.push({ index, line, item: templateItem(section, (h) => (cells.get(h) ?? '').trim()) });
        } catch (err) {
          items.push({ index, line, error: `${ws.name}, dòng ${line}: ${messageOf(err)}` });
        }
      }, fold);
      continue;
    }
    const sheetType = (ITEM_TYPES as readonly string[]).includes(ws.name) ? (ws.name as ItemType) : undefined;
    rowsOf(ws, (cells, line) => {
      const index = items.length;
      const row: Row = Object.fromEntries(cells);
      try {
        items.push({ index, line, item: rowToItem(row, sheetType) });
      } catch (err) {
        items.push({ index, line, error: `${ws.name}, row ${line}: ${messageOf(err)}` });
      }
    }, columnKey);
  }
  return { items };
}

// ------------------------------------------------------------------- write

/**
 * Streams a workbook with one sheet per type: types one after the other
 * (the zip inside an xlsx writes sheets in sequence), rows committed as they
 * come, and the writer waits whenever the client is behind. Cells are typed
 * in xlsx: text is written as string cells, which spreadsheet programs never
 * evaluate, so `=…` in an author's text needs no guard here (unlike CSV).
 */
export async function write(source: ItemSource, out: Writable): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  let sheets = 0;
  for (const type of ITEM_TYPES) {
    let ws: ExcelJS.Worksheet | null = null;
    const columns = [...COMMON_COLUMNS.filter((c) => c !== 'type'), ...TYPE_COLUMNS[type]];
    for await (const item of source.ofType(type)) {
      if (!ws) {
        ws = wb.addWorksheet(type, { views: [{ state: 'frozen', ySplit: 1 }] });
        ws.columns = columns.map((c) => ({ header: c, key: c, width: c === 'stem' || c === 'text' ? 60 : /^[A-Z]$/.test(c) ? 24 : 12 }));
        ws.getRow(1).font = { bold: true };
        ws.getRow(1).commit();
        sheets++;
      }
      const row = itemToRow(item);
      const values: Record<string, string | number> = {};
      for (const c of columns) {
        const text = row[c] ?? '';
        const n = Number(text);
        values[c] = text !== '' && (NUMERIC_COLUMNS.has(c) || (type === 'numeric' && c === 'answer')) && Number.isFinite(n) ? n : text;
      }
      ws.addRow(values).commit();
      await drained(out);
    }
    if (ws) ws.commit();
  }
  if (sheets === 0) {
    const ws = wb.addWorksheet('single_choice');
    ws.columns = [...COMMON_COLUMNS.filter((c) => c !== 'type'), ...TYPE_COLUMNS.single_choice].map((c) => ({ header: c, key: c }));
    ws.commit();
  }
  await wb.commit();
}

export const xlsx: FormatModule = {
  name: 'xlsx',
  types: XLSX_TYPES,
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  extension: 'xlsx',
  parse,
  write,
};
