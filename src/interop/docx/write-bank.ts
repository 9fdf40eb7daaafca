import type { Writable } from 'node:stream';
import { AlignmentType, Document, Packer, Paragraph, TextRun, type Table } from 'docx';
import type { ItemContent, ItemType } from '../../bank/item-types.js';
import type { ExportItem, ItemSource } from '../model.js';
import { A4_PORTRAIT, DOCUMENT_STYLES, partText, questionBlocks, roman } from './write-paper.js';
import { viNumber } from './write-key.js';
import type { RichOptions } from './write-rich.js';

/**
 * Bank items as a Word file in the convention the Word importer reads
 * (read-docx.ts), so that exporting and importing again gives the same
 * items: one "PHẦN" per kind of question in the order of the 2025 papers
 * (I: options, II: true/false statements a)–d), III: short numeric
 * answers, then essays), "Câu n [NB]." with the cognitive level as the tag
 * papers use, options "A." … in authored order, the key written under each
 * question ("Đáp án: B", "Đáp án: a) Đúng; b) Sai; …", "Đáp án: 1,5") and
 * the essays' marking guide under "HƯỚNG DẪN CHẤM" at the end.
 * Classification other than the level (subject, grade, topic) is not part of
 * the convention: the import request gives it.
 */

/** What the convention carries. A cluster needs four statements (the national format's scoring ladder). */
export const DOCX_EXPORT_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false_cluster', 'numeric', 'essay'];
export const DOCX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const LEVEL_TAG: Record<number, string> = { 1: 'NB', 2: 'TH', 3: 'VD', 4: 'VDC' };

type Part = 'choice' | 'cluster' | 'numeric' | 'essay';
const PART_OF: Partial<Record<ItemType, Part>> = { single_choice: 'choice', multiple_choice: 'choice', true_false_cluster: 'cluster', numeric: 'numeric', essay: 'essay' };
const PART_ORDER: Part[] = ['choice', 'cluster', 'numeric', 'essay'];
const PART_TYPES: Record<Part, string[]> = { choice: ['single_choice'], cluster: ['true_false_cluster'], numeric: ['numeric'], essay: ['essay'] };

function keyLine(item: ItemContent): string | undefined {
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const letters = item.options.map((o, i) => (item.correct.includes(o.id) ? String.fromCharCode(65 + i) : '')).filter(Boolean);
      return `Đáp án: ${letters.join(', ')}`;
    }
    case 'true_false_cluster':
      return `Đáp án: ${item.statements.map((s, i) => `${String.fromCharCode(97 + i)}) ${item.values[s.id] ? 'Đúng' : 'Sai'}`).join('; ')}`;
    case 'numeric':
      return `Đáp án: ${viNumber(item.value)}`;
    default:
      return undefined;
  }
}

/** Whether the convention can carry this item (clusters of four statements only). */
export function docxCarries(item: ItemContent): boolean {
  if (!PART_OF[item.type]) return false;
  return item.type !== 'true_false_cluster' || item.statements.length === 4;
}

/** The bank export document of these items. */
export function bankDocument(items: readonly ItemContent[], rich: RichOptions = {}): Document {
  const groups = new Map<Part, ItemContent[]>();
  for (const item of items) {
    const part = PART_OF[item.type];
    if (!part || !docxCarries(item)) continue;
    groups.set(part, [...(groups.get(part) ?? []), item]);
  }
  const body: (Paragraph | Table)[] = [new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: 200 }, children: [new TextRun({ text: 'NGÂN HÀNG CÂU HỎI', bold: true, size: 28 })] })];
  const guide: Paragraph[] = [];
  let ordinal = 0;
  for (const part of PART_ORDER) {
    const list = groups.get(part);
    if (!list?.length) continue;
    ordinal++;
    const types = new Set(part === 'choice' && list.some((i) => i.type === 'multiple_choice') ? ['single_choice', 'multiple_choice'] : PART_TYPES[part]);
    const { heading, instruction } = partText(ordinal, types, list.length);
    body.push(new Paragraph({ spacing: { before: 160 }, children: [new TextRun({ text: heading, bold: true }), new TextRun(` ${instruction}`)] }));
    list.forEach((item, i) => {
      const number = i + 1;
      const tag = LEVEL_TAG[item.cognitiveLevel];
      body.push(...questionBlocks(number, item, rich, `Câu ${number}${tag ? ` [${tag}]` : ''}.`, false));
      const key = keyLine(item);
      if (key) body.push(new Paragraph({ children: [new TextRun({ text: key, italics: true })] }));
      if (item.type === 'essay') {
        if (guide.length === 0) guide.push(new Paragraph({ spacing: { before: 240 }, alignment: AlignmentType.CENTER, children: [new TextRun({ text: 'HƯỚNG DẪN CHẤM', bold: true })] }));
        if (i === 0) guide.push(new Paragraph({ children: [new TextRun({ text: `PHẦN ${roman(ordinal)}`, bold: true })] }));
        guide.push(new Paragraph({ children: [new TextRun({ text: `Câu ${number}.`, bold: true })] }));
        for (const row of item.rubric) guide.push(new Paragraph({ children: [new TextRun(`${row.criterion.replace(/<[^>]+>/g, '')} (${viNumber(row.maxPoints)} điểm)`)] }));
      }
    });
  }
  return new Document({ creator: 'exam-engine', title: 'Ngân hàng câu hỏi', styles: DOCUMENT_STYLES, sections: [{ properties: A4_PORTRAIT, children: [...body, ...guide] }] });
}

export async function writeBank(items: readonly ItemContent[], rich: RichOptions = {}): Promise<Buffer> {
  return Packer.toBuffer(bankDocument(items, rich));
}

/** The export writer (GET /api/items/export?format=docx): a .docx is a zip written whole, so the items are gathered first. */
export async function writeBankTo(source: ItemSource, out: Writable): Promise<void> {
  const items: ExportItem[] = [];
  for await (const item of source.all()) items.push(item);
  const bytes = await writeBank(items);
  await new Promise<void>((resolve, reject) => {
    out.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
