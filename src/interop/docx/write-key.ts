import { AlignmentType, Document, Packer, PageOrientation, Paragraph, Table, TableCell, TableRow, TextRun, WidthType, BorderStyle, type ISectionOptions } from 'docx';
import type { ItemContent } from '../../bank/item-types.js';
import { letter } from '../model.js';
import { DOCUMENT_STYLES, subjectName } from './write-paper.js';

/**
 * The answer key of every mã đề of an exam as one Word table ("BẢNG ĐÁP
 * ÁN"): a row per question, part by part, a column per mã đề. Phần I gives
 * the option letter as printed on that mã đề, Phần II the statements as a
 * string of Đ and S ("ĐSĐS"), Phần III the value with a decimal comma.
 */

export interface KeyPart {
  /** "PHẦN I", or empty for a paper of one part. */
  label: string;
  /** Per question of the part, in paper order: its key, or null when withheld from the reader. */
  keys: (string | null)[];
}

export interface KeyForm {
  code: string;
  parts: KeyPart[];
}

export interface KeyInput {
  authority: string[];
  title: string;
  subject: string;
  grade?: number;
  forms: KeyForm[];
  /** Said under the table when some keys are withheld. */
  withheldNote?: string;
}

/** A number as Vietnamese papers write it: decimal comma. */
export function viNumber(n: number): string {
  return String(n).replace('.', ',');
}

/** The key of one item as a paper's key table gives it; options as delivered (the item's option order is the printed order). */
export function paperKey(item: ItemContent): string {
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice':
      return item.options
        .map((o, i) => (item.correct.includes(o.id) ? letter(i) : ''))
        .filter(Boolean)
        .join(', ');
    case 'true_false':
      return item.value ? 'Đ' : 'S';
    case 'true_false_cluster':
      return item.statements.map((s) => (item.values[s.id] ? 'Đ' : 'S')).join('');
    case 'numeric':
      return item.tolerance ? `${viNumber(item.value)} ± ${viNumber(item.tolerance)}` : viNumber(item.value);
    case 'short_text':
      return item.accepted.join(' | ');
    case 'matching': {
      const choices = item.choices.map((c) => c.id);
      return item.premises.map((p, i) => `${i + 1}-${letter(choices.indexOf(item.pairs[p.id] ?? ''))}`).join('; ');
    }
    case 'ordering': {
      const elements = item.elements.map((e) => e.id);
      return item.order.map((id) => letter(elements.indexOf(id))).join(', ');
    }
    case 'cloze':
      return item.blanks
        .map((b, i) => {
          if ('accepted' in b) return `(${i + 1}) ${b.accepted.join(' | ')}`;
          if ('options' in b) return `(${i + 1}) ${b.correct.map((id) => (b.options.find((o) => o.id === id)?.text ?? id).replace(/<[^>]*>/g, '').trim()).join(b.multiple ? ' + ' : ' | ')}`;
          return `(${i + 1}) ${viNumber(b.value)}`;
        })
        .join('; ');
    case 'essay':
      return 'Tự luận';
  }
}

const BORDER = { style: BorderStyle.SINGLE, size: 4, color: '000000' };
const BORDERS = { top: BORDER, bottom: BORDER, left: BORDER, right: BORDER };

/** Narrow cells: little padding, and a smaller type when many mã đề share the width. */
const cellFor = (size: number) => (text: string, opts: { bold?: boolean; span?: number; width?: number } = {}) =>
  new TableCell({
    borders: BORDERS,
    margins: { left: 30, right: 30, top: 10, bottom: 10 },
    ...(opts.span ? { columnSpan: opts.span } : {}),
    ...(opts.width ? { width: { size: opts.width, type: WidthType.DXA } } : {}),
    children: [new Paragraph({ spacing: { after: 0 }, alignment: opts.span ? AlignmentType.LEFT : AlignmentType.CENTER, children: [new TextRun({ text, bold: opts.bold ?? false, size })] })],
  });

/** The key document of all mã đề. */
export function keyDocument(input: KeyInput): Document {
  const codes = input.forms.map((f) => f.code);
  const partCount = Math.max(0, ...input.forms.map((f) => f.parts.length));
  const landscape = codes.length > 6;
  const textWidth = landscape ? 16838 - 2 * 851 : 11906 - 2 * 1134;
  const first = 800;
  const column = Math.floor((textWidth - first) / Math.max(1, codes.length));
  const cell = cellFor(codes.length > 12 ? 16 : 20);
  const rows: TableRow[] = [new TableRow({ tableHeader: true, children: [cell('Câu', { bold: true, width: first }), ...codes.map((c) => cell(c, { bold: true, width: column }))] })];
  for (let p = 0; p < partCount; p++) {
    const label = input.forms.find((f) => f.parts[p]?.label)?.parts[p]?.label ?? '';
    if (label) rows.push(new TableRow({ children: [cell(label, { bold: true, span: codes.length + 1 })] }));
    const count = Math.max(0, ...input.forms.map((f) => f.parts[p]?.keys.length ?? 0));
    for (let q = 0; q < count; q++) {
      rows.push(
        new TableRow({
          cantSplit: true,
          children: [cell(String(q + 1), { width: first }), ...input.forms.map((f) => {
            const key = f.parts[p]?.keys[q];
            return cell(key === undefined ? '' : key === null ? '—' : key, { width: column });
          })],
        }),
      );
    }
  }
  const subject = `Môn: ${subjectName(input.subject)}${input.grade ? ` – Lớp ${input.grade}` : ''}`;
  const children: (Paragraph | Table)[] = [
    ...input.authority.map((line, i) => new Paragraph({ children: [new TextRun({ text: line.toUpperCase(), bold: i === input.authority.length - 1 })] })),
    new Paragraph({ alignment: AlignmentType.CENTER, spacing: { before: 200 }, children: [new TextRun({ text: 'BẢNG ĐÁP ÁN', bold: true, size: 28 })] }),
    new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ text: input.title, bold: true })] }),
    new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: 200 }, children: [new TextRun(`${subject} – ${codes.length} mã đề`)] }),
    new Table({ rows, width: { size: textWidth, type: WidthType.DXA }, columnWidths: [first, ...codes.map(() => column)] }),
    new Paragraph({ spacing: { before: 120 }, children: [new TextRun({ text: 'Phần trắc nghiệm đúng sai: Đ = Đúng, S = Sai, theo thứ tự các ý a), b), c), d). Phần trả lời ngắn: giá trị đúng.', italics: true, size: 20 })] }),
    ...(input.withheldNote ? [new Paragraph({ children: [new TextRun({ text: `—: ${input.withheldNote}`, italics: true, size: 20 })] })] : []),
  ];
  const margin = landscape ? 851 : 1134;
  const section: ISectionOptions = {
    properties: { page: { size: { width: 11906, height: 16838, orientation: landscape ? PageOrientation.LANDSCAPE : PageOrientation.PORTRAIT }, margin: { top: 851, bottom: 851, left: margin, right: margin } } },
    children,
  };
  return new Document({ creator: 'exam-engine', title: `${input.title} – Bảng đáp án`, styles: DOCUMENT_STYLES, sections: [section] });
}

export async function writeKey(input: KeyInput): Promise<Buffer> {
  return Packer.toBuffer(keyDocument(input));
}
