import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TabStopType,
  TextRun,
  VerticalAlign,
  WidthType,
  type ISectionOptions,
  type ParagraphChild,
} from 'docx';
import type { ItemContent } from '../../bank/item-types.js';
import { letter } from '../model.js';
import { plainLength, richBlocks, richInline, type RichOptions } from './write-rich.js';

/**
 * A printable paper ("đề thi") of one mã đề as a Word document, laid out as
 * Vietnamese exam offices print them: the issuing authority and school on
 * the left and the exam on the right, the mã đề in a box, the lines for the
 * candidate's name and number, then the questions part by part ("PHẦN I.
 * Câu trắc nghiệm nhiều phương án lựa chọn. Thí sinh trả lời từ câu 1 đến
 * câu 12…"), options A–D in columns when they are short, maths as Word
 * equations, "— HẾT —" and the footer "Trang x/y – Mã đề 101". The caller
 * hands over the items already in the form's delivery order.
 */

export interface PaperPassage {
  /** "Đọc đoạn văn sau và trả lời các câu từ 1 đến 5." */
  intro: string;
  title?: string;
  /** Rich text of the passage. */
  content: string;
}

export interface PaperQuestion {
  /** The number printed ("Câu 3."). */
  number: number;
  /** The item with its options, choices and elements in delivery order. */
  item: ItemContent;
  /** The shared passage printed before this question (the first of its group). */
  passage?: PaperPassage;
}

export interface PaperPart {
  /** "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn." (bold); none for a paper of one part. */
  heading?: string;
  /** What candidates are told ("Thí sinh trả lời từ câu 1 đến câu 12. …"). */
  instruction?: string;
  questions: PaperQuestion[];
}

export interface PaperInput {
  /** Header lines on the left, from the top of the organisation tree down ("SỞ GIÁO DỤC VÀ ĐÀO TẠO …", "TRƯỜNG THPT …"). */
  authority: string[];
  title: string;
  subject: string;
  grade?: number;
  durationMinutes: number;
  formCode: string;
  parts: PaperPart[];
}

/** A4 with 2 cm side margins: 17 cm of text, in twips. */
const TEXT_WIDTH = 9638;
const INDENT = 284;
export const FONT = 'Times New Roman';

/** Common subject codes as printed; other codes print as given. */
const SUBJECTS: Record<string, string> = {
  math: 'Toán', toan: 'Toán', physics: 'Vật lí', vatli: 'Vật lí', vatly: 'Vật lí', ly: 'Vật lí', chemistry: 'Hoá học', hoa: 'Hoá học', hoahoc: 'Hoá học',
  biology: 'Sinh học', sinh: 'Sinh học', sinhhoc: 'Sinh học', literature: 'Ngữ văn', van: 'Ngữ văn', nguvan: 'Ngữ văn', english: 'Tiếng Anh', anh: 'Tiếng Anh',
  tienganh: 'Tiếng Anh', history: 'Lịch sử', su: 'Lịch sử', lichsu: 'Lịch sử', geography: 'Địa lí', dia: 'Địa lí', diali: 'Địa lí', informatics: 'Tin học',
  tin: 'Tin học', tinhoc: 'Tin học', civics: 'Giáo dục kinh tế và pháp luật', gdktpl: 'Giáo dục kinh tế và pháp luật', technology: 'Công nghệ', congnghe: 'Công nghệ',
};

export function subjectName(code: string): string {
  return SUBJECTS[code.toLowerCase().replace(/[\s_-]/g, '')] ?? code;
}

const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];
export const roman = (n: number) => ROMAN[n - 1] ?? String(n);

/**
 * Heading and instruction of part `ordinal` (1-based) in the wording of the
 * 2025 papers, by the item types the part holds; `title` (the blueprint
 * section's) names parts of other kinds.
 */
export function partText(ordinal: number, types: ReadonlySet<string>, count: number, title?: string): { heading: string; instruction: string } {
  const range = count === 1 ? 'Thí sinh trả lời câu 1.' : `Thí sinh trả lời từ câu 1 đến câu ${count}.`;
  const only = (...t: string[]) => types.size > 0 && [...types].every((x) => t.includes(x));
  const head = (name: string) => `PHẦN ${roman(ordinal)}. ${name}`;
  if (only('single_choice')) return { heading: head('Câu trắc nghiệm nhiều phương án lựa chọn.'), instruction: `${range} Mỗi câu hỏi thí sinh chỉ chọn một phương án.` };
  if (only('single_choice', 'multiple_choice')) return { heading: head('Câu trắc nghiệm nhiều phương án lựa chọn.'), instruction: `${range} Câu có ghi "chọn tất cả các phương án đúng" có thể có nhiều phương án đúng.` };
  if (only('true_false_cluster', 'true_false')) return { heading: head('Câu trắc nghiệm đúng sai.'), instruction: `${range} Trong mỗi ý a), b), c), d) ở mỗi câu, thí sinh chọn đúng hoặc sai.` };
  if (only('numeric', 'short_text')) return { heading: head('Câu trắc nghiệm trả lời ngắn.'), instruction: range };
  if (only('essay')) return { heading: head('Tự luận.'), instruction: range };
  const name = title && !/^\s*(phần|part)\s+[ivx\d]+\s*\.?\s*$/i.test(title) ? title.replace(/^\s*(phần|part)\s+[ivx\d]+\s*[.:–-]?\s*/i, '') : 'Câu hỏi';
  return { heading: head(`${name.replace(/\.?\s*$/, '')}.`), instruction: range };
}

const NONE = { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' };
const NO_BORDERS = { top: NONE, bottom: NONE, left: NONE, right: NONE, insideHorizontal: NONE, insideVertical: NONE };
const LINE = { style: BorderStyle.SINGLE, size: 8, color: '000000' };

const centred = (children: ParagraphChild[], spacing = 0) => new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: spacing }, children });

function header(input: PaperInput): (Paragraph | Table)[] {
  const left = input.authority.map((line, i) => centred([new TextRun({ text: line.toUpperCase(), bold: i === input.authority.length - 1 })]));
  if (left.length === 0) left.push(centred([]));
  left.push(centred([new TextRun({ text: '(Đề thi có ', italics: true }), new TextRun({ children: [PageNumber.TOTAL_PAGES], italics: true }), new TextRun({ text: ' trang)', italics: true })], 0));
  const subject = `Môn: ${subjectName(input.subject)}${input.grade ? ` – Lớp ${input.grade}` : ''}`;
  const right = [
    centred([new TextRun({ text: input.title.toUpperCase(), bold: true })]),
    centred([new TextRun({ text: subject, bold: true })]),
    centred([new TextRun({ text: `Thời gian làm bài: ${input.durationMinutes} phút`, italics: true })]),
    centred([new TextRun({ text: '(không kể thời gian phát đề)', italics: true })]),
  ];
  const top = new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: [Math.round(TEXT_WIDTH * 0.46), TEXT_WIDTH - Math.round(TEXT_WIDTH * 0.46)],
    borders: NO_BORDERS,
    rows: [
      new TableRow({
        children: [
          new TableCell({ width: { size: Math.round(TEXT_WIDTH * 0.46), type: WidthType.DXA }, borders: NO_BORDERS, children: left }),
          new TableCell({ width: { size: TEXT_WIDTH - Math.round(TEXT_WIDTH * 0.46), type: WidthType.DXA }, borders: NO_BORDERS, children: right }),
        ],
      }),
    ],
  });
  const candidate = new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: [TEXT_WIDTH - 1900, 1900],
    borders: NO_BORDERS,
    rows: [
      new TableRow({
        children: [
          new TableCell({
            width: { size: TEXT_WIDTH - 1900, type: WidthType.DXA },
            borders: NO_BORDERS,
            verticalAlign: VerticalAlign.CENTER,
            children: [
              new Paragraph({ spacing: { after: 60 }, children: [new TextRun('Họ và tên thí sinh: ……………………………………………………')] }),
              new Paragraph({ children: [new TextRun('Số báo danh: ………………………………')] }),
            ],
          }),
          new TableCell({
            width: { size: 1900, type: WidthType.DXA },
            borders: { top: LINE, bottom: LINE, left: LINE, right: LINE },
            verticalAlign: VerticalAlign.CENTER,
            children: [centred([new TextRun({ text: `Mã đề ${input.formCode}`, bold: true })])],
          }),
        ],
      }),
    ],
  });
  return [top, new Paragraph({}), candidate, new Paragraph({})];
}

/** Options A, B, … laid out four or two to a line when short, else one per line. */
export function optionLines(texts: string[], rich: RichOptions, extra: (i: number) => ParagraphChild[] = () => []): Paragraph[] {
  const longest = Math.max(0, ...texts.map(plainLength));
  const perLine = texts.length === 4 && longest <= 22 ? 4 : longest <= 48 && texts.length % 2 === 0 ? 2 : 1;
  const step = Math.floor((TEXT_WIDTH - INDENT) / perLine);
  const tabStops = Array.from({ length: perLine - 1 }, (_, k) => ({ type: TabStopType.LEFT, position: INDENT + step * (k + 1) }));
  const lines: Paragraph[] = [];
  for (let start = 0; start < texts.length; start += perLine) {
    const children: ParagraphChild[] = [];
    for (let i = start; i < Math.min(texts.length, start + perLine); i++) {
      if (i > start) children.push(new TextRun({ text: '\t' }));
      children.push(new TextRun({ text: `${letter(i)}. `, bold: true }), ...extra(i), ...richInline(texts[i]!, rich));
    }
    lines.push(new Paragraph({ indent: { left: INDENT }, tabStops, children }));
  }
  return lines;
}

const dotted = (label: string) => new Paragraph({ indent: { left: INDENT }, children: [new TextRun(`${label} ……………………………………………………………………`)] });

/** What follows the stem of a question on a paper: options, statements, lines to write on; `hints` adds the candidate's instructions ("Chọn tất cả…", word limits). */
export function questionBody(item: ItemContent, rich: RichOptions, hints = true): (Paragraph | Table)[] {
  switch (item.type) {
    case 'single_choice':
      return optionLines(item.options.map((o) => o.text), rich);
    case 'multiple_choice': {
      const hint = hints ? [new Paragraph({ indent: { left: INDENT }, children: [new TextRun({ text: '(Chọn tất cả các phương án đúng.)', italics: true })] })] : [];
      return [...hint, ...optionLines(item.options.map((o) => o.text), rich)];
    }
    case 'true_false':
      return [new Paragraph({ indent: { left: INDENT }, children: [new TextRun('☐ Đúng     ☐ Sai')] })];
    case 'true_false_cluster':
      return item.statements.map((s, i) => new Paragraph({ indent: { left: INDENT }, children: [new TextRun({ text: `${letter(i).toLowerCase()}) `, bold: true }), ...richInline(s.text, rich)] }));
    case 'numeric':
      return [];
    case 'short_text':
      return [dotted('Trả lời:')];
    case 'matching':
      return [
        ...item.premises.map((p, i) => new Paragraph({ indent: { left: INDENT }, children: [new TextRun({ text: `${i + 1}. `, bold: true }), ...richInline(p.text, rich)] })),
        ...optionLines(item.choices.map((c) => c.text), rich),
        dotted('Ghép:'),
      ];
    case 'ordering':
      return [...optionLines(item.elements.map((e) => e.text), rich), dotted('Thứ tự đúng:')];
    case 'cloze':
      return [];
    case 'essay': {
      const limit = hints && typeof item.maxWords === 'number' ? [new Paragraph({ indent: { left: INDENT }, children: [new TextRun({ text: `(Không quá ${item.maxWords} từ.)`, italics: true })] })] : [];
      return limit;
    }
  }
}

/** The stem of a cloze item with its blanks numbered and dotted. */
function stemOf(item: ItemContent): string {
  if (item.type !== 'cloze') return item.stem;
  const numbers = new Map(item.blanks.map((b, i) => [b.id, i + 1]));
  const choices = new Map(item.blanks.flatMap((b) => ('options' in b ? [[b.id, ` (${b.options.map((o) => o.text).join(' / ')})`] as const] : [])));
  const text = item.text.replace(/\{\{\s*([A-Za-z0-9_-]+)\s*\}\}/g, (_m, id: string) => `(${numbers.get(id) ?? '?'}) ……………${choices.get(id) ?? ''}`);
  return `${item.stem}<p>${text}</p>`;
}

/** One question: "Câu n." in bold before its stem, then its body. */
export function questionBlocks(number: number, item: ItemContent, rich: RichOptions, label = `Câu ${number}.`, hints = true): (Paragraph | Table)[] {
  const lead = [new TextRun({ text: `${label} `, bold: true })];
  return [...richBlocks(stemOf(item), rich, lead, { spacing: { before: 80 } }), ...questionBody(item, rich, hints)];
}

function passageBlocks(p: PaperPassage, rich: RichOptions): (Paragraph | Table)[] {
  return [
    new Paragraph({ spacing: { before: 120 }, children: [new TextRun({ text: p.intro, bold: true, italics: true })] }),
    ...(p.title ? [new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ text: p.title, bold: true })] })] : []),
    ...richBlocks(p.content, rich, [], { alignment: AlignmentType.JUSTIFIED }),
  ];
}

export const DOCUMENT_STYLES = { default: { document: { run: { font: FONT, size: 24 }, paragraph: { spacing: { after: 40 } } } } };

export const A4_PORTRAIT = { page: { size: { width: 11906, height: 16838 }, margin: { top: 1134, bottom: 1134, left: 1134, right: 1134, footer: 567 } } };

/** The Word document of one paper. */
export function paperDocument(input: PaperInput, rich: RichOptions = {}): Document {
  const body: (Paragraph | Table)[] = [...header(input)];
  for (const part of input.parts) {
    if (part.heading) body.push(new Paragraph({ spacing: { before: 160 }, keepNext: true, children: [new TextRun({ text: part.heading, bold: true }), ...(part.instruction ? [new TextRun({ text: ` ${part.instruction}` })] : [])] }));
    for (const q of part.questions) {
      if (q.passage) body.push(...passageBlocks(q.passage, rich));
      body.push(...questionBlocks(q.number, q.item, rich));
    }
  }
  body.push(new Paragraph({ alignment: AlignmentType.CENTER, spacing: { before: 240 }, children: [new TextRun({ text: '—— HẾT ——', bold: true })] }));
  const footer = new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [new TextRun({ children: ['Trang ', PageNumber.CURRENT, '/', PageNumber.TOTAL_PAGES, ` – Mã đề ${input.formCode}`], size: 20 })],
      }),
    ],
  });
  const section: ISectionOptions = { properties: A4_PORTRAIT, footers: { default: footer }, children: body };
  return new Document({
    creator: 'exam-engine',
    title: `${input.title} – Mã đề ${input.formCode}`,
    styles: DOCUMENT_STYLES,
    sections: [section],
  });
}

/** The paper as .docx bytes. */
export async function writePaper(input: PaperInput, rich: RichOptions = {}): Promise<Buffer> {
  return Packer.toBuffer(paperDocument(input, rich));
}
