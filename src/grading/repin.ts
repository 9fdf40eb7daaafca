/**
 * The regrade rule: an exam keeps the revisions its forms pinned, so a
 * corrected key reaches grading only when the exam manager re-pins the item
 * to the corrected revision (`POST /api/exams/:id/repin {itemId, revision}`);
 * a regrade (`POST /api/exams/:id/grading {mode: "regrade"}`) then re-scores
 * every submitted attempt with the revisions pinned now.
 *
 * Allowed: only to a newer revision of the same item, of the same type (a
 * response saved for the old revision must still fit), approved by a reviewer.
 * The re-pin writes a new set of forms (a new assembly id) identical but for
 * that item's revision and switches the exam to it in one conditional
 * update, so the forms candidates were given stay on record, and every cache
 * keyed by assembly id (candidate forms, grading) sees the change at once.
 */
import { formHash, type FormItem } from '../assembly/assembler.js';
import type { BankReader } from '../bank/item-types.js';
import { Conflict, NotFound } from '../errors.js';
import type { Exam, ExamModel, Form, FormModel } from '../exams/exam-model.js';
import { newId } from '../ids.js';
import type { Repin, RepinModel } from './result-model.js';

export interface RepinDeps {
  Exam: ExamModel;
  Form: FormModel;
  Repin: RepinModel;
  bank: BankReader;
  /** The revision each passage is at now: a re-pinned item reading another passage pins that passage's current revision. */
  passages?: { current(ids: string[]): Promise<Map<string, number>> };
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

export interface RepinOutcome {
  examId: string;
  itemId: string;
  from: number;
  to: number;
  /** Codes of the forms that carry the item. */
  forms: string[];
  assemblyId: string;
}

export async function repinItem(deps: RepinDeps, exam: Exam, itemId: string, revision: number, by: string): Promise<RepinOutcome> {
  if (!exam.assemblyId) throw new Conflict('invalid_transition', 'The exam has no forms yet');
  const forms = await deps.Form.find({ examId: exam._id, assemblyId: exam.assemblyId }).lean<Form[]>();
  const carrying = forms.filter((f) => f.items.some((i) => i.itemId === itemId));
  if (carrying.length === 0) throw new NotFound('Item on this exam');
  const from = Math.max(...carrying.flatMap((f) => f.items.filter((i) => i.itemId === itemId).map((i) => i.revision)));
  if (revision <= from) {
    throw new Conflict('invalid_transition', `The exam pins revision ${from} of this item; only a newer revision may be pinned`);
  }
  const [target] = await deps.bank.revisions([{ itemId, revision }]);
  if (!target) throw new NotFound('Revision');
  const [current] = await deps.bank.revisions([{ itemId, revision: from }]);
  if (target.status !== 'approved') {
    throw new Conflict('invalid_transition', `Revision ${revision} is ${target.status}; only an approved revision may be pinned`);
  }
  if (current && current.type !== target.type) {
    throw new Conflict('invalid_transition', `Revision ${revision} is a ${target.type} item, the pinned one a ${current.type}: responses would not fit`);
  }

  const passage = await passagePin(deps, carrying[0]!.items.find((i) => i.itemId === itemId)!, target.stimulusId);
  const assemblyId = newId();
  const docs: Form[] = forms.map((f) => {
    const items = f.items.map((i) => {
      if (i.itemId !== itemId) return i;
      const { stimulusId: _id, stimulusRevision: _revision, ...rest } = i;
      return { ...rest, revision, ...passage };
    });
    return { ...f, _id: `${exam._id}:${assemblyId}:${f.code}`, assemblyId, items, hash: carrying.includes(f) ? formHash(items) : f.hash };
  });
  await deps.Form.insertMany(docs, { lean: true });
  const switched = await deps.Exam.updateOne({ _id: exam._id, assemblyId: exam.assemblyId }, { $set: { assemblyId } });
  if (switched.modifiedCount !== 1) {
    await deps.Form.deleteMany({ examId: exam._id, assemblyId });
    throw new Conflict('revision_conflict', 'The exam\'s forms changed meanwhile; read them again and retry');
  }
  const record: Repin = {
    _id: newId(),
    examId: exam._id,
    itemId,
    from,
    to: revision,
    forms: carrying.map((f) => f.code),
    fromAssemblyId: exam.assemblyId,
    toAssemblyId: assemblyId,
    by,
    at: (deps.now ?? (() => new Date()))(),
  };
  await deps.Repin.create(record);
  return { examId: exam._id, itemId, from, to: revision, forms: record.forms, assemblyId };
}

/** The passage pin of the re-pinned item: the form's own when the passage stays the same, else the new passage's current revision. */
async function passagePin(deps: RepinDeps, old: FormItem, stimulusId: string | undefined): Promise<Pick<FormItem, 'stimulusId' | 'stimulusRevision'>> {
  if (!stimulusId) return {};
  if (old.stimulusId === stimulusId && old.stimulusRevision !== undefined) return { stimulusId, stimulusRevision: old.stimulusRevision };
  const revision = (await deps.passages?.current([stimulusId]))?.get(stimulusId);
  return revision === undefined ? {} : { stimulusId, stimulusRevision: revision };
}
