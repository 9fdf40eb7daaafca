/**
 * Staff-facing renderings of a form: the JSON form with its key (exam
 * managers, as far as key-access.ts lets them), the answer key as CSV, and the shared helpers the printable
 * paper uses. Nothing here is for candidates: see candidate-form.ts.
 */
import type { ManagerFormItem, ManagerFormView } from '../contracts/exams.js';
import type { AnyItemContent, ItemContent, ItemRevision } from '../bank/item-types.js';
import { withoutKey } from '../bank/item-views.js';
import { KEY_WITHHELD_REASON } from '../bank/key-access.js';
import type { FormItem } from '../assembly/assembler.js';
import type { Blueprint } from '../assembly/blueprint-model.js';
import type { Exam, Form } from './exam-model.js';
import { csvRow } from '../text/export-cells.js';
import { pinKey, type KeyTest } from './exam-service.js';

/** Bank bookkeeping that a form does not repeat (the pin and the form's points replace it). */
const BOOKKEEPING = new Set(['_id', 'id', 'itemId', 'revision', 'status', 'ownerOrgId', 'orgPath', 'authorId', 'createdAt', 'updatedAt', 'points', 'reviewerId', 'approvedBy', 'approvedAt', 'searchKey', 'searchText', 'latest']);

export type { ManagerFormItem, ManagerFormView } from '../contracts/exams.js';

/** A..Z for positions 0..25 (options are at most 10). */
export const letter = (i: number) => String.fromCharCode(65 + i);

/** `list` in the order of `ids` (anything not named follows, in authored order). */
export function ordered<T extends { id: string }>(list: readonly T[], ids: readonly string[] | undefined): T[] {
  if (!ids) return list.slice();
  const rank = new Map(ids.map((id, i) => [id, i]));
  return list
    .map((x, i) => ({ x, r: rank.get(x.id) ?? ids.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((e) => e.x);
}

function revisionOf(revisions: Map<string, ItemRevision>, pin: FormItem): ItemRevision {
  const item = revisions.get(pinKey(pin.itemId, pin.revision));
  if (!item) throw new Error(`Pinned revision ${pin.itemId}@${pin.revision} is missing from the bank`);
  return item;
}

/** The item's authored content with options, choices and elements in this form's delivery order. */
function deliveredContent(item: ItemRevision, pin: FormItem): AnyItemContent {
  const content: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!BOOKKEEPING.has(k) && v !== undefined) content[k] = v;
  if (item.type === 'single_choice' || item.type === 'multiple_choice') content.options = ordered(item.options, pin.optionOrder);
  if (item.type === 'matching') content.choices = ordered(item.choices, pin.choiceOrder);
  if (item.type === 'ordering') content.elements = ordered(item.elements, pin.elementOrder);
  return content as unknown as AnyItemContent;
}

/**
 * The form as exam managers read it: content in delivery order with the key,
 * except for items whose key `readsKey` withholds (key-access.ts): those carry
 * what the bank shows without a key, and `keyWithheld: true`.
 */
export function managerFormView(exam: Exam, form: Form, revisions: Map<string, ItemRevision>, blueprint: Blueprint | null, readsKey: KeyTest): ManagerFormView {
  return {
    examId: exam._id,
    examTitle: exam.title,
    examStatus: exam.status,
    code: form.code,
    hash: form.hash,
    itemCount: form.itemCount,
    totalPoints: form.totalPoints,
    meanDifficulty: form.meanDifficulty,
    sections: (blueprint?.sections ?? []).map((s, index) => ({ index, title: s.title })),
    items: form.items.map((pin, i) => {
      const item = revisionOf(revisions, pin);
      const content = deliveredContent(item, pin);
      const view: ManagerFormItem = {
        ...(readsKey(item) ? content : { ...withoutKey(content as unknown as ItemContent), keyWithheld: true }),
        number: i + 1,
        itemId: pin.itemId,
        revision: pin.revision,
        section: pin.section,
        points: pin.points,
      };
      if (pin.optionOrder) view.optionOrder = pin.optionOrder;
      if (pin.choiceOrder) view.choiceOrder = pin.choiceOrder;
      if (pin.elementOrder) view.elementOrder = pin.elementOrder;
      if (pin.stimulusRevision !== undefined) view.stimulusRevision = pin.stimulusRevision;
      return view;
    }),
  };
}

const TRUE_FALSE = (v: boolean) => (v ? 'Đúng' : 'Sai');
const num = (v: number) => String(v);

/**
 * The key of one item as printed on a paper answer key: option letters as
 * they appear on this form, Đúng/Sai for true/false, the accepted answers
 * for text, premise numbers and choice letters for matching.
 */
export function keyText(item: ItemRevision, pin: FormItem): string {
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const order = ordered(item.options, pin.optionOrder).map((o) => o.id);
      return item.correct.map((id) => order.indexOf(id)).filter((i) => i >= 0).sort((a, b) => a - b).map(letter).join(';');
    }
    case 'true_false':
      return TRUE_FALSE(item.value);
    case 'true_false_cluster':
      return item.statements.map((s, i) => `${letter(i).toLowerCase()}) ${TRUE_FALSE(item.values[s.id] === true)}`).join('; ');
    case 'numeric':
      return item.tolerance ? `${num(item.value)} ± ${num(item.tolerance)}` : num(item.value);
    case 'short_text':
      return item.accepted.join(' | ');
    case 'matching': {
      const choices = ordered(item.choices, pin.choiceOrder).map((c) => c.id);
      return item.premises.map((p, i) => `${i + 1}-${letter(choices.indexOf(item.pairs[p.id] ?? ''))}`).join('; ');
    }
    case 'ordering': {
      const elements = ordered(item.elements, pin.elementOrder).map((e) => e.id);
      return item.order.map((id) => letter(elements.indexOf(id))).join(', ');
    }
    case 'cloze':
      return item.blanks
        .map((b) => {
          if ('accepted' in b) return `${b.id}: ${b.accepted.join(' | ')}`;
          if ('options' in b) return `${b.id}: ${b.correct.map((id) => plain(b.options.find((o) => o.id === id)?.text ?? id)).join(b.multiple ? ' + ' : ' | ')}`;
          return `${b.id}: ${b.tolerance ? `${num(b.value)} ± ${num(b.tolerance)}` : num(b.value)}`;
        })
        .join('; ');
    case 'essay':
      return `(chấm tay) ${item.rubric.map((r) => `${r.criterion}: ${num(r.maxPoints)}`).join('; ')}`;
  }
}

export interface AnswerKeyRow {
  formCode: string;
  number: number;
  section: number;
  itemId: string;
  revision: number;
  type: string;
  points: number;
  /** Null when the key is withheld from the reader (key-access.ts). */
  key: string | null;
}

/** What the CSV answer key says in place of a withheld key. */
export const WITHHELD_KEY_CELL = `— (${KEY_WITHHELD_REASON})`;

export function answerKeyRows(forms: readonly Form[], revisions: Map<string, ItemRevision>, readsKey: KeyTest): AnswerKeyRow[] {
  const rows: AnswerKeyRow[] = [];
  for (const form of forms) {
    form.items.forEach((pin, i) => {
      const item = revisionOf(revisions, pin);
      rows.push({ formCode: form.code, number: i + 1, section: pin.section, itemId: pin.itemId, revision: pin.revision, type: item.type, points: pin.points, key: readsKey(item) ? keyText(item, pin) : null });
    });
  }
  return rows;
}

/** UTF-8 with a BOM, so spreadsheet programs show Vietnamese correctly. `part` is the 1-based section number. */
export function answerKeyCsv(rows: readonly AnswerKeyRow[]): string {
  const header = ['form_code', 'number', 'part', 'item_id', 'revision', 'type', 'points', 'key'];
  const lines = rows.map((r) => csvRow([r.formCode, r.number, r.section + 1, r.itemId, r.revision, r.type, r.points, r.key ?? WITHHELD_KEY_CELL]));
  return `\uFEFF${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

/** An option's HTML as plain text for a one-line key. */
function plain(html: string): string {
  return html.replace(/<[^>]*>/g, '').trim();
}
