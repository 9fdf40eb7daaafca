import type { Writable } from 'node:stream';
import { AlignmentType, Document, Packer, Paragraph, TextRun, type Table } from 'docx';
import type { ItemContent, ItemType } from '../../bank/item-types.js';
import type { ExportItem, ItemSource, ExportStimulus } from '../model.js';
import { A4_PORTRAIT, DOCUMENT_STYLES, partText, questionBlocks, roman } from './write-paper.js';
import { viNumber } from './write-key.js';
import { dataUrlPicture, pictureOf, richBlocks, type RichOptions } from './write-rich.js';

/**
 * Bank items as a Word file in the convention the Word importer reads
 * (read-docx.ts), so that exporting and importing again gives the same
 * items: one "PHẦN" per kind of question in the order of the 2025 papers
 * (I: options, II: true/false statements a)–d), III: short numeric
 * answers, then essays), "Câu n [NB]." with the cognitive level as the tag
 * papers use (and "(0,5 điểm)" after it when the points are not the
 * usual), options "A." … in authored order, the key written under each
 * question ("Đáp án: B", "Đáp án: a) Đúng; b) Sai; …", "Đáp án: 1,5") and
 * the essays' marking guide under "HƯỚNG DẪN CHẤM" at the end.
 * A shared passage is written before the first of its questions, as papers
 * introduce one ("Đọc đoạn văn sau và trả lời các câu từ 3 đến 5." and its
 * text), with its questions together after it in the passage's order; a
 * passage whose questions are of several kinds is written again in each
 * part, which the importer reads back as one passage.
 * Classification other than the level (subject, grade, topic) is not part of
 * the convention: the import request gives it. What else does not travel is
 * listed in docs/item-types.md ("Word files").
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

/**
 * "(0,25 điểm)" after the question's number when its points are not what the
 * importer would give without it (1, or an essay's marking-guide total).
 */
function pointsNote(item: ItemContent): string {
  if (item.points === undefined) return '';
  const implied = item.type === 'essay' ? item.rubric.reduce((sum, row) => sum + row.maxPoints, 0) : 1;
  return Math.abs(item.points - implied) < 1e-9 ? '' : ` (${viNumber(item.points)} điểm)`;
}

/** Whether the convention can carry this item (clusters of four statements only). */
export function docxCarries(item: ItemContent): boolean {
  if (!PART_OF[item.type]) return false;
  return item.type !== 'true_false_cluster' || item.statements.length === 4;
}

type BankItem = ItemContent & { stimulusOrder?: number };

/**
 * The items of one part with each passage's items brought together where
 * the first of them stands, in the passage's order (stimulusOrder, then the
 * bank's order).
 */
function passageRuns(list: readonly BankItem[], passages: ReadonlyMap<string, ExportStimulus>): BankItem[] {
  const out: BankItem[] = [];
  const placed = new Set<string>();
  for (const item of list) {
    const id = item.stimulusId;
    if (id === undefined || !passages.has(id)) {
      out.push(item);
      continue;
    }
    if (placed.has(id)) continue;
    placed.add(id);
    const group = list.filter((x) => x.stimulusId === id);
    const order = (x: BankItem) => x.stimulusOrder ?? Number.MAX_SAFE_INTEGER;
    out.push(...group.map((x, i) => ({ x, i })).sort((a, b) => order(a.x) - order(b.x) || a.i - b.i).map(({ x }) => x));
  }
  return out;
}

/** The line that introduces a passage and the questions it serves (the importer reads both forms). */
export function passageIntro(from: number, to: number): string {
  return from === to ? `Đọc đoạn văn sau và trả lời câu ${from}.` : `Đọc đoạn văn sau và trả lời các câu từ ${from} đến ${to}.`;
}

/** The bank export document of these items, with the passages (by id) they share. */
export function bankDocument(items: readonly BankItem[], rich: RichOptions = {}, passages: ReadonlyMap<string, ExportStimulus> = new Map()): Document {
  const groups = new Map<Part, BankItem[]>();
  for (const item of items) {
    const part = PART_OF[item.type];
    if (!part || !docxCarries(item)) continue;
    groups.set(part, [...(groups.get(part) ?? []), item]);
  }
  for (const [part, list] of groups) groups.set(part, passageRuns(list, passages));
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
      const passage = item.stimulusId !== undefined ? passages.get(item.stimulusId) : undefined;
      if (passage && list[i - 1]?.stimulusId !== item.stimulusId) {
        let last = i;
        while (list[last + 1]?.stimulusId === item.stimulusId) last++;
        body.push(new Paragraph({ spacing: { before: 120 }, children: [new TextRun({ text: passageIntro(number, last + 1), bold: true, italics: true })] }));
        body.push(...richBlocks(passage.content, rich, [], { alignment: AlignmentType.JUSTIFIED }));
      }
      const tag = LEVEL_TAG[item.cognitiveLevel];
      const points = pointsNote(item);
      body.push(...questionBlocks(number, item, rich, `Câu ${number}${tag ? ` [${tag}]` : ''}.${points}`, false));
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

export async function writeBank(items: readonly BankItem[], rich: RichOptions = {}, passages: ReadonlyMap<string, ExportStimulus> = new Map()): Promise<Buffer> {
  return Packer.toBuffer(bankDocument(items, rich, passages));
}

/**
 * The export writer (GET /api/items/export?format=docx): a .docx is a zip
 * written whole, so the items are gathered first, then the passages they
 * share (those the source lets the caller read) and the library pictures
 * both show.
 */
export async function writeBankTo(source: ItemSource, out: Writable): Promise<void> {
  const items: ExportItem[] = [];
  for await (const item of source.all()) items.push(item);
  const passages = new Map<string, ExportStimulus>();
  if (source.stimulus) {
    for (const id of new Set(items.flatMap((i) => (i.stimulusId !== undefined && docxCarries(i) ? [i.stimulusId] : [])))) {
      const passage = await source.stimulus(id);
      if (passage) passages.set(id, passage);
    }
  }
  const files = source.media ? await source.media({ items, passages: [...passages.values()] }) : new Map<string, { type: string; data: Uint8Array }>();
  const picture = (src: string) => {
    const file = files.get(src);
    return file ? pictureOf(file.type, file.data) : dataUrlPicture(src);
  };
  const bytes = await writeBank(items, { picture }, passages);
  await new Promise<void>((resolve, reject) => {
    out.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
