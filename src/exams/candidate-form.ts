/**
 * What a candidate may see of a form. Built from an allow-list: every field
 * is copied by name from the pinned revision, so a key or scoring field added
 * to items later can never reach a candidate by accident. The live WebSocket
 * path and anything else candidate-facing must use these builders.
 */
import { createHash } from 'node:crypto';
import type { ItemContent, ItemRevision, ItemType, Labelled } from '../bank/item-types.js';
import { compareStrings, formCode, rngFor, type FormItem } from '../assembly/assembler.js';
import { blankOptionKey, DeliveryIds, type IdKind } from './delivery-ids.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';

export interface CandidateOption {
  /** The form's opaque token for the authored id (delivery-ids.ts), never the authored id. */
  id: string;
  text: string;
}

/** One item as a candidate receives it: no key, no points, no scoring settings. */
export interface CandidateItem {
  itemId: string;
  type: ItemType;
  /** 1-based position on the form. */
  number: number;
  /** Index of the blueprint section. */
  section: number;
  stem: string;
  /** Shared passage; its text is in the delivery's `stimuli` (it carries no key). */
  stimulusId?: string;
  /** single_choice, multiple_choice: in delivery order. */
  options?: CandidateOption[];
  /** true_false_cluster: in authored order (a, b, c, d). */
  statements?: CandidateOption[];
  /** matching: premises in authored order, choices in delivery order. */
  premises?: CandidateOption[];
  choices?: CandidateOption[];
  /** ordering: in delivery order. */
  elements?: CandidateOption[];
  /** cloze: the text with `{{blankId}}` markers and the blank ids; a choice blank also its options (delivered ids, in delivery order) and `multiple`. */
  text?: string;
  blanks?: CandidateBlank[];
  /** essay: criterion names only (no maximum points). */
  criteria?: string[];
  maxWords?: number;
  /** The recording to listen to: its library address and how many times the candidate may start it (absent: no limit). */
  audio?: CandidateAudio;
}

export interface CandidateAudio {
  /** `/api/media/<hash>`: served to the candidate only while they sit this form. */
  url: string;
  maxPlays?: number;
}

export interface CandidateBlank {
  id: string;
  options?: CandidateOption[];
  multiple?: boolean;
}

export interface CandidateFormInput {
  code: string;
  /** The form's secret for delivered ids (see delivery-ids.ts). */
  deliverySecret: string;
  items: readonly Pick<FormItem, 'itemId' | 'revision' | 'section' | 'optionOrder' | 'choiceOrder' | 'elementOrder'>[];
}

/** A shared passage as candidates receive it: the revision the form pinned, text only. */
export interface CandidateStimulus {
  id: string;
  title?: string;
  content: string;
}

/** One form as the live path serves it. */
export interface FormDelivery {
  /** What candidates receive, in delivery order. */
  items: CandidateItem[];
  /**
   * The passages the items name by `stimulusId`, in the order items first
   * name them (sent in the `state` message as `stimuli`). Empty when none.
   */
  stimuli: CandidateStimulus[];
  /** Translates responses between the delivered ids and the authored ones. */
  ids: DeliveryIds;
  /** The pinned revisions by item id, key included: for checking response shapes, never sent. */
  content: ReadonlyMap<string, ItemContent>;
  /** Adaptive exams' pool form: the engine's part. Its `items` are the pool, sent one at a time, never whole. */
  adaptive?: AdaptiveDelivery;
}

/** What the live path needs to run an adaptive attempt (never sent). */
export interface AdaptiveDelivery {
  /** Names the engine built from this form in a process (the form's id). */
  key: string;
  form: AdaptivePoolForm;
  /** Points of each pool item (the section's pointsPerItem or the item's own). */
  points: ReadonlyMap<string, number>;
}

/** Puts `list` in the order of `ids`; anything not named keeps its place after them. */
function inOrder<T extends { id: string }>(list: readonly T[], ids: readonly string[] | undefined): T[] {
  if (!ids) return list.slice();
  const byId = new Map(list.map((x) => [x.id, x]));
  const out: T[] = [];
  for (const id of ids) {
    const x = byId.get(id);
    if (x) {
      out.push(x);
      byId.delete(id);
    }
  }
  return out.concat([...byId.values()]);
}

/**
 * The candidate-facing form, in delivery order, with its id translation.
 * `revisions` are the pinned revisions (key included is fine: only
 * allow-listed fields are read). Throws when a pinned revision is missing:
 * a candidate never gets a partial form.
 */
export function formDelivery(form: CandidateFormInput, revisions: readonly ItemRevision[], passages: ReadonlyMap<string, { title?: string; content: string }> = new Map()): FormDelivery {
  const byPin = new Map(revisions.map((r) => [`${r.itemId}\u0000${r.revision}`, r]));
  const content = new Map<string, ItemContent>();
  for (const pin of form.items) {
    const item = byPin.get(`${pin.itemId}\u0000${pin.revision}`);
    if (!item) throw new Error(`Pinned revision ${pin.itemId}@${pin.revision} is missing`);
    content.set(pin.itemId, item);
  }
  const ids = new DeliveryIds(form.deliverySecret, form.code, content);
  const items = candidateItems(form, content, ids);
  const stimuli: CandidateStimulus[] = [];
  for (const stimulusId of new Set(items.map((i) => i.stimulusId).filter((x): x is string => !!x))) {
    const passage = passages.get(stimulusId);
    // Allow-listed like items: the title and text, nothing else of the stored passage.
    if (passage) stimuli.push({ id: stimulusId, ...(passage.title ? { title: String(passage.title) } : {}), content: String(passage.content) });
  }
  return { items, stimuli, ids, content };
}

function candidateItems(form: CandidateFormInput, content: ReadonlyMap<string, ItemContent>, ids: DeliveryIds): CandidateItem[] {
  return form.items.map((pin, i) => {
    const item = content.get(pin.itemId)!;
    const labelled = (kind: IdKind) => (x: Labelled): CandidateOption => ({ id: ids.delivered(pin.itemId, kind, String(x.id)), text: String(x.text) });
    const out: CandidateItem = { itemId: String(pin.itemId), type: item.type, number: i + 1, section: pin.section, stem: String(item.stem) };
    if (item.stimulusId) out.stimulusId = String(item.stimulusId);
    if (item.audio && typeof item.audio.media === 'string') {
      out.audio = { url: `/api/media/${String(item.audio.media)}`, ...(typeof item.audio.maxPlays === 'number' ? { maxPlays: item.audio.maxPlays } : {}) };
    }
    switch (item.type) {
      case 'single_choice':
      case 'multiple_choice':
        out.options = inOrder(item.options, pin.optionOrder).map(labelled('option'));
        break;
      case 'true_false_cluster':
        out.statements = item.statements.map(labelled('statement'));
        break;
      case 'matching':
        out.premises = item.premises.map(labelled('premise'));
        out.choices = inOrder(item.choices, pin.choiceOrder).map(labelled('choice'));
        break;
      case 'ordering':
        out.elements = inOrder(item.elements, pin.elementOrder).map(labelled('element'));
        break;
      case 'cloze':
        out.text = String(item.text);
        out.blanks = item.blanks.map((b): CandidateBlank => {
          if (!('options' in b)) return { id: String(b.id) };
          const options = b.options.map((o) => ({ id: ids.delivered(pin.itemId, 'blankOption', blankOptionKey(b.id, o.id)), text: String(o.text) }));
          // Shuffled: in token order, a per-form order that says nothing about the key.
          if (b.shuffle) options.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
          return { id: String(b.id), options, ...(b.multiple ? { multiple: true } : {}) };
        });
        break;
      case 'essay':
        out.criteria = item.rubric.map((r) => String(r.criterion));
        if (typeof item.maxWords === 'number') out.maxWords = item.maxWords;
        break;
      case 'true_false':
      case 'numeric':
      case 'short_text':
        break;
    }
    return out;
  });
}

/** What form assignment needs from an exam. */
export interface AssignableExam {
  seed: string;
  formCount: number;
  /** Codes of the assembled forms; defaults to "101".. for formCount. */
  formCodes?: readonly string[];
  candidateIds: readonly string[];
}

const assignments = new Map<string, Map<string, string>>();
const MAX_CACHED_EXAMS = 64;

/**
 * The form code a candidate sits. Listed candidates are ranked by a seeded
 * draw on (seed, candidate id) and dealt out in turn, so the codes are spread
 * as evenly as possible (counts differ by at most one) and the same seed and
 * roster give the same answer in any process. A candidate not on the roster
 * gets a seeded draw of their own. Store the result on the attempt at first
 * join: a later roster change must not move someone who already started.
 */
export function assignFormCode(exam: AssignableExam, candidateId: string): string {
  const codes = exam.formCodes?.length ? [...exam.formCodes] : Array.from({ length: exam.formCount }, (_, i) => formCode(i));
  if (codes.length === 0) throw new Error('The exam has no forms');
  if (codes.length === 1) return codes[0]!;
  const key = `${exam.seed}\u0000${codes.join(',')}\u0000${rosterFingerprint(exam.candidateIds)}`;
  let deal = assignments.get(key);
  if (!deal) {
    const ranked = [...new Set(exam.candidateIds)]
      .map((id) => ({ id, r: rngFor(exam.seed, 'candidate', id)() }))
      .sort((a, b) => a.r - b.r || compareStrings(a.id, b.id));
    deal = new Map(ranked.map((c, i) => [c.id, codes[i % codes.length]!]));
    if (assignments.size >= MAX_CACHED_EXAMS) assignments.delete(assignments.keys().next().value!);
    assignments.set(key, deal);
  }
  return deal.get(candidateId) ?? codes[Math.floor(rngFor(exam.seed, 'candidate', candidateId)() * codes.length)]!;
}

/** Fingerprints of rosters already hashed: a join storm asks for the same roster thousands of times. */
const fingerprints = new WeakMap<readonly string[], string>();

function rosterFingerprint(ids: readonly string[]): string {
  let fp = fingerprints.get(ids);
  if (fp === undefined) {
    const hash = createHash('sha256');
    for (const id of ids) hash.update(id).update('\u0000');
    fp = hash.digest('hex');
    // Only frozen arrays are remembered: a roster that may change in place is hashed each time.
    if (Object.isFrozen(ids)) fingerprints.set(ids, fp);
  }
  return fp;
}
