import type { ItemHead, RevisionDoc, RevisionState, StatusEvent } from './item-model.js';
import type { AnyItemContent, ItemStats, ItemView, StatusEvent as StatusEventView } from '../contracts/items.js';
import type { ItemContent, ItemStatistics, ItemType } from './item-types.js';

/**
 * What of an item may be shown without its key. Built from an allow-list of
 * fields per type, never by deleting the key from a copy, so a field added to
 * a type later stays hidden until someone decides it is public.
 */

const COMMON_PUBLIC = [
  'type',
  'stem',
  'subject',
  'grade',
  'topic',
  'cognitiveLevel',
  'tags',
  'language',
  'points',
  'difficulty',
  'sharing',
  'stimulusId',
  'stimulusOrder',
  'shuffleOptions',
  'provenance',
  'audio',
] as const;

/** Per type, the fields besides the common ones that carry no key or scoring data. */
const PUBLIC_BY_TYPE: Record<ItemType, readonly string[]> = {
  single_choice: ['options'],
  multiple_choice: ['options', 'scoring'],
  true_false: [],
  true_false_cluster: ['statements', 'ladder'],
  numeric: [],
  short_text: [],
  matching: ['premises', 'choices'],
  ordering: ['elements', 'scoring'],
  cloze: ['text'],
  essay: ['maxWords'],
};

/** The item without its key and scoring data (cloze blanks keep their ids; choice blanks also their options and `multiple`). */
export function withoutKey(item: ItemContent): AnyItemContent {
  const source = item as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of [...COMMON_PUBLIC, ...PUBLIC_BY_TYPE[item.type]]) {
    if (source[field] !== undefined) out[field] = source[field];
  }
  if (item.type === 'cloze') {
    out.blanks = item.blanks.map((b) => ('options' in b ? { id: b.id, options: b.options, ...(b.multiple ? { multiple: true } : {}) } : { id: b.id }));
  }
  // Feedback and hints tell which answer is right ("Yes: 2 is prime"), so they go with the key, and so do
  // staff notes (a scorer's guidance): `feedback`, `hints` and `staffNotes` are not on the list above, and each option keeps only what a candidate sees.
  if (item.type === 'single_choice' || item.type === 'multiple_choice') {
    out.options = item.options.map((o) => ({ id: o.id, text: o.text, ...(o.fixed !== undefined ? { fixed: o.fixed } : {}) }));
  }
  return out as unknown as AnyItemContent;
}

/** Storage fields of a revision document that are not item content. */
const STORAGE_FIELDS = new Set(['_id', 'itemId', 'revision', 'ownerOrgId', 'orgPath', 'authorId', 'createdAt']);

/** The authored content of a stored revision document. */
export function contentOf(doc: Record<string, unknown>): ItemContent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!STORAGE_FIELDS.has(k)) out[k] = v;
  return out as unknown as ItemContent;
}

export type { ItemStats, ItemView } from '../contracts/items.js';

function statsView(stats: ItemStatistics): ItemStats {
  const { updatedAt, ...figures } = stats;
  return { ...figures, ...(updatedAt ? { updatedAt: new Date(updatedAt).toISOString() } : {}) };
}

function eventView(e: StatusEvent): StatusEventView {
  return { from: e.from, to: e.to, at: new Date(e.at).toISOString(), by: e.by, ...(e.comment ? { comment: e.comment } : {}) };
}

/**
 * `statusLog`: the steps of the revision shown; `lastReview`: the newest
 * reviewer decision (approve or send back) on any revision of the item, so a
 * rewritten revision still carries the reason its predecessor was sent back.
 */
function reviewFields(head: ItemHead, state: RevisionState): { statusLog: StatusEventView[]; lastReview?: StatusEventView & { revision: number } } {
  let last: (StatusEvent & { revision: number }) | undefined;
  for (const r of head.revs ?? []) {
    for (const e of r.log ?? []) {
      if (e.from !== 'in_review') continue;
      if (!last || new Date(e.at).getTime() >= new Date(last.at).getTime()) last = { ...e, revision: r.revision };
    }
  }
  return {
    statusLog: (state.log ?? []).map(eventView),
    ...(last ? { lastReview: { ...eventView(last), revision: last.revision } } : {}),
  };
}

/**
 * One revision as the API answers it. `withKey`: the caller may author or
 * review the item (bank-access.ts); without it the key, the scoring data and
 * the review comments are left out.
 */
export function itemView(head: ItemHead, rev: RevisionDoc, state: RevisionState, withKey: boolean): ItemView {
  const content = contentOf(rev as unknown as Record<string, unknown>);
  return {
    ...(withKey ? content : withoutKey(content)),
    id: head._id,
    revision: rev.revision,
    status: state.status,
    ownerOrgId: head.ownerOrgId,
    authorId: rev.authorId,
    createdAt: new Date(rev.createdAt).toISOString(),
    createdBy: head.authorId,
    latestRevision: head.revision,
    approvedRevision: head.approved?.revision ?? null,
    keyIncluded: withKey,
    ...(head.stats ? { stats: statsView(head.stats) } : {}),
    // Review comments are between authors and reviewers, like the key.
    ...(withKey ? reviewFields(head, state) : {}),
  };
}
