import type { ItemContent, ItemType } from './item-types.js';

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

/** The item without its key and scoring data (cloze blanks keep only their ids). */
export function withoutKey(item: ItemContent): Record<string, unknown> {
  const source = item as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of [...COMMON_PUBLIC, ...PUBLIC_BY_TYPE[item.type]]) {
    if (source[field] !== undefined) out[field] = source[field];
  }
  if (item.type === 'cloze') out.blanks = item.blanks.map((b) => ({ id: b.id }));
  return out;
}

/** Storage fields of a revision document that are not item content. */
const STORAGE_FIELDS = new Set(['_id', 'itemId', 'revision', 'ownerOrgId', 'orgPath', 'authorId', 'createdAt']);

/** The authored content of a stored revision document. */
export function contentOf(doc: Record<string, unknown>): ItemContent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!STORAGE_FIELDS.has(k)) out[k] = v;
  return out as unknown as ItemContent;
}
