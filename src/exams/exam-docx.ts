/**
 * Word exports of an exam: the printable paper of each mã đề and the answer
 * key of all of them in one table (src/interop/docx/write-paper.ts and
 * write-key.ts lay them out). The forms are read as the HTML print view
 * reads them (ExamService.managedForm / managedForms: exam managers of the
 * exam's organisation or above only), items in delivery order with their
 * options relabelled A, B, C, D as delivered; keys the reader may not see
 * yet (key-access.ts) are withheld from the key table as from the JSON.
 */
import type { ItemContent, ItemRevision } from '../bank/item-types.js';
import { KEY_WITHHELD_REASON } from '../bank/key-access.js';
import type { Blueprint } from '../assembly/blueprint-model.js';
import type { FormItem } from '../assembly/assembler.js';
import type { PassageText } from '../bank/stimulus-revisions.js';
import { writeKey, paperKey, type KeyPart } from '../interop/docx/write-key.js';
import { dataUrlPicture, pictureOf, type PictureData } from '../interop/docx/write-rich.js';
import { partText, roman, writePaper, type PaperPart, type PaperQuestion } from '../interop/docx/write-paper.js';
import type { Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { Exam, Form } from './exam-model.js';
import { pinKey, type ExamService, type KeyTest } from './exam-service.js';
import { ordered } from './form-views.js';

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The item as this form delivers it: options, choices and elements in the form's order. */
export function delivered(item: ItemRevision, pin: FormItem): ItemContent {
  const content = { ...item } as ItemContent;
  if (content.type === 'single_choice' || content.type === 'multiple_choice') content.options = ordered(content.options, pin.optionOrder);
  if (content.type === 'matching') content.choices = ordered(content.choices, pin.choiceOrder);
  if (content.type === 'ordering') content.elements = ordered(content.elements, pin.elementOrder);
  return content;
}

/**
 * The header lines of the exam's papers from the organisation tree: the
 * organisation above the owner (the Sở or Phòng) and the owner (the school),
 * without the ministry at the root unless the exam is the ministry's own.
 */
export async function authorityLines(orgs: Pick<OrgService, 'get'>, exam: Pick<Exam, 'orgPath'>): Promise<string[]> {
  const chain = await Promise.all(exam.orgPath.map((id) => orgs.get(id)));
  const below = chain.filter((o) => o.kind !== 'ministry');
  if (below.length === 0) return chain.slice(-1).map((o) => o.name);
  return below.slice(-2).map((o) => o.name);
}

interface Run {
  section: number;
  pins: { pin: FormItem; item: ItemRevision }[];
}

/** The form's items grouped by blueprint section, in delivery order. */
function sections(form: Form, revisions: Map<string, ItemRevision>): Run[] {
  const runs: Run[] = [];
  for (const pin of form.items) {
    const item = revisions.get(pinKey(pin.itemId, pin.revision));
    if (!item) throw new Error(`Pinned revision ${pin.itemId}@${pin.revision} is missing from the bank`);
    const last = runs[runs.length - 1];
    if (last && last.section === pin.section) last.pins.push({ pin, item });
    else runs.push({ section: pin.section, pins: [{ pin, item }] });
  }
  return runs;
}

/** Numbers restart in each part when a paper has several (the 2025 format); a paper of one part has no heading. */
function paperParts(form: Form, revisions: Map<string, ItemRevision>, blueprint: Pick<Blueprint, 'sections'> | null, passages: Map<string, PassageText>): PaperPart[] {
  const runs = sections(form, revisions);
  return runs.map((run, p) => {
    const questions: PaperQuestion[] = [];
    let stimulus: string | undefined;
    run.pins.forEach(({ pin, item }, i) => {
      const q: PaperQuestion = { number: i + 1, item: delivered(item, pin) };
      if (item.stimulusId && item.stimulusId !== stimulus) {
        let last = i;
        while (last + 1 < run.pins.length && run.pins[last + 1]!.item.stimulusId === item.stimulusId) last++;
        const passage = passages.get(item.stimulusId);
        if (passage) {
          const intro = last > i ? `Đọc đoạn văn sau và trả lời các câu từ ${i + 1} đến ${last + 1}.` : `Đọc đoạn văn sau và trả lời câu ${i + 1}.`;
          q.passage = { intro, content: passage.content, ...(passage.title ? { title: passage.title } : {}) };
        }
      }
      stimulus = item.stimulusId;
      questions.push(q);
    });
    if (runs.length === 1) return { questions };
    const { heading, instruction } = partText(p + 1, new Set(run.pins.map((x) => x.item.type)), questions.length, blueprint?.sections[run.section]?.title);
    return { heading, instruction, questions };
  });
}

export interface DocxFile {
  filename: string;
  bytes: Buffer;
  exam: Exam;
  formCodes: string[];
}

/** File names: ASCII, safe in a Content-Disposition header and on every file system. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64);

/**
 * The bytes of the media-library pictures some content shows, by their
 * address (`/api/media/<hash>`), those the caller may read (the media
 * library's own rules and scan, MediaService.files).
 */
export type PictureFiles = (content: unknown) => Promise<Map<string, { type: string; data: Uint8Array }>>;

/** Resolves every picture of the paper: media-library addresses fetched once, data: URLs read in place. */
async function paperPictures(content: unknown, files: PictureFiles | undefined): Promise<(src: string) => PictureData | undefined> {
  const fetched = files ? await files(content) : new Map<string, { type: string; data: Uint8Array }>();
  return (src) => {
    const file = fetched.get(src);
    return file ? pictureOf(file.type, file.data) : dataUrlPicture(src);
  };
}

/** The printable paper of one mã đề as .docx, for an exam manager; `pictures` reads the media library's files. */
export async function formPaperDocx(exams: ExamService, orgs: Pick<OrgService, 'get'>, actor: Principal, examId: string, code: string, pictures?: PictureFiles): Promise<DocxFile> {
  const { exam, form, revisions, blueprint } = await exams.managedForm(actor, examId, code);
  const passages = await exams.passagesOf(exam, form, revisions);
  const picture = await paperPictures({ items: [...revisions.values()], passages: [...passages.values()] }, pictures);
  const bytes = await writePaper({
    authority: await authorityLines(orgs, exam),
    title: exam.title,
    subject: exam.subject,
    grade: exam.grade,
    durationMinutes: exam.durationMinutes,
    formCode: form.code,
    parts: paperParts(form, revisions, blueprint, passages),
  }, { picture });
  return { filename: `de-${safe(exam._id)}-ma-de-${safe(form.code)}.docx`, bytes, exam, formCodes: [form.code] };
}

/** Keys of one form, part by part, as the key table prints them. */
function formKeys(form: Form, revisions: Map<string, ItemRevision>, readsKey: KeyTest): KeyPart[] {
  const runs = sections(form, revisions);
  return runs.map((run, p) => ({
    label: runs.length > 1 ? `PHẦN ${roman(p + 1)}` : '',
    keys: run.pins.map(({ pin, item }) => (readsKey(item) ? paperKey(delivered(item, pin)) : null)),
  }));
}

/** The answer key of every mã đề as one .docx table, for an exam manager. */
export async function answerKeyDocx(exams: ExamService, orgs: Pick<OrgService, 'get'>, actor: Principal, examId: string): Promise<DocxFile> {
  const { exam, forms, revisions, readsKey } = await exams.managedForms(actor, examId);
  const keyed = forms.map((f) => ({ code: f.code, parts: formKeys(f, revisions, readsKey) }));
  const withheld = keyed.some((f) => f.parts.some((p) => p.keys.includes(null)));
  const bytes = await writeKey({
    authority: await authorityLines(orgs, exam),
    title: exam.title,
    subject: exam.subject,
    grade: exam.grade,
    forms: keyed,
    ...(withheld ? { withheldNote: KEY_WITHHELD_REASON } : {}),
  });
  return { filename: `dap-an-${safe(exam._id)}.docx`, bytes, exam, formCodes: forms.map((f) => f.code) };
}
