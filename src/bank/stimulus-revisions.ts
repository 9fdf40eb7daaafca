/**
 * Revisions of shared passages. A passage's head (`stimuli`) holds its latest
 * revision; every revision is also kept, unchanged, in `stimulus_revisions`
 * (`_id` `${stimulusId}:${revision}`), so a form that pinned a revision prints
 * it for good. Passages stored before revisions were kept have no revision
 * documents and count as revision 1 until their first edit, which first
 * saves the head as it was (`keepRevision`) and then the new revision.
 */
import { mapLimit, READ_CONCURRENCY } from '../infra/store.js';
import type { BankModels, StimulusDoc, StimulusRevisionDoc } from './item-model.js';

export const stimulusRevisionId = (stimulusId: string, revision: number) => `${stimulusId}:${revision}`;

/** A passage as a form shows it. */
export interface PassageText {
  id: string;
  revision: number;
  title?: string;
  content: string;
}

/** Which revision of a passage a form shows: the pinned one, or for forms assembled before pins, the one current `at` assembly. */
export type PassagePin = { stimulusId: string; revision: number } | { stimulusId: string; at: Date };

/** The head's revision as a revision document: the content as it reads now, written by whoever wrote it, when. */
export function revisionOf(head: StimulusDoc): StimulusRevisionDoc {
  const { _id, revision, updatedAt, updatedBy, ...content } = head;
  const number = revision ?? 1;
  return { ...content, _id: stimulusRevisionId(_id, number), stimulusId: _id, revision: number, authorId: updatedBy ?? head.authorId, createdAt: updatedAt ?? head.createdAt };
}

/** Saves the head's revision unless it is saved already (a revision never changes, so a duplicate is the same one). */
export async function keepRevision(models: Pick<BankModels, 'StimulusRevision'>, head: StimulusDoc): Promise<void> {
  try {
    await models.StimulusRevision.collection.insertOne(revisionOf(head) as never);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

/** One revision of a passage, or null; the head serves a revision it still holds that was never saved apart. */
export async function readRevision(models: Pick<BankModels, 'Stimulus' | 'StimulusRevision'>, stimulusId: string, revision: number, head?: StimulusDoc | null): Promise<StimulusRevisionDoc | null> {
  const kept = await models.StimulusRevision.findById(stimulusRevisionId(stimulusId, revision)).lean<StimulusRevisionDoc>();
  if (kept) return kept;
  const current = head === undefined ? await models.Stimulus.findById(stimulusId).lean<StimulusDoc>() : head;
  return current && (current.revision ?? 1) === revision ? revisionOf(current) : null;
}

/** The revision each passage is at now (1 for passages never revised); unknown ids are left out. */
export async function currentRevisions(models: Pick<BankModels, 'Stimulus'>, ids: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(ids)];
  const heads = await mapLimit(unique, READ_CONCURRENCY, (id) => models.Stimulus.findById(id, { revision: 1 }).lean<Pick<StimulusDoc, '_id' | 'revision'>>());
  return new Map(heads.filter((h) => h !== null).map((h) => [h!._id, h!.revision ?? 1]));
}

/**
 * The passages a form shows, by stimulus id. A pin without a revision (forms
 * assembled before forms pinned passages) gets the newest revision written
 * at or before `at`, looked up from the latest revision downwards.
 */
export async function pinnedPassages(models: Pick<BankModels, 'Stimulus' | 'StimulusRevision'>, pins: readonly PassagePin[]): Promise<Map<string, PassageText>> {
  const found = await mapLimit(pins, READ_CONCURRENCY, async (pin) => {
    const head = await models.Stimulus.findById(pin.stimulusId).lean<StimulusDoc>();
    if (!head) return null;
    if ('revision' in pin) return readRevision(models, pin.stimulusId, pin.revision, head);
    let oldest: StimulusRevisionDoc | null = null;
    for (let r = head.revision ?? 1; r >= 1; r--) {
      const rev = await readRevision(models, pin.stimulusId, r, head);
      if (!rev) continue;
      if (new Date(rev.createdAt).getTime() <= pin.at.getTime()) return rev;
      oldest = rev;
    }
    // Written after `at` only: the earliest revision kept is the closest there is.
    return oldest;
  });
  const out = new Map<string, PassageText>();
  for (const rev of found) {
    if (rev) out.set(rev.stimulusId, { id: rev.stimulusId, revision: rev.revision, title: rev.title, content: rev.content });
  }
  return out;
}
