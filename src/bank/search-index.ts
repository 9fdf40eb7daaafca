/**
 * The bank's search index: what finds items for search and approved pools
 * for form assembly, and what every head write keeps up to date. Two
 * implementations, chosen by `BANK_SEARCH`:
 *
 * - `redis` (redis-search-index.ts): the engine's own secondary index in
 *   Redis. FerretDB 1.24 on SQLite pushes no filter but `_id` down to
 *   SQLite, so on the embedded default every other query reads the whole
 *   `items` collection; the Redis index avoids that. While it is being built
 *   (a restarted Redis) it answers through the database implementation.
 * - `database` (database-search-index.ts): MongoDB queries over the item
 *   heads and nothing else to keep; meant for a MongoDB deployment, whose
 *   indexes on `items` (item-model.ts) serve them.
 *
 * Both answer the same results in the same order: the search tests run
 * against each. The database stays the only truth; writes mark the heads
 * they touch with {@link SearchIndex.begin} before the database write and
 * hand them over with {@link SearchIndex.put} or {@link SearchIndex.refresh}
 * after it (or {@link SearchIndex.end} when the write did not happen).
 */
import type { BankCaller } from './bank-access.js';
import type { DrawFields, ItemHead, RevisionDoc } from './item-model.js';
import type { CognitiveLevel, ItemStatus, ItemType, PoolCell, PoolItem, Sharing } from './item-types.js';

export type { PoolCell } from './item-types.js';

/** The values of `BANK_SEARCH`. */
export const BANK_SEARCH_KINDS = ['redis', 'database'] as const;
export type BankSearchKind = (typeof BANK_SEARCH_KINDS)[number];

/** The filters of GET /api/items (without paging). */
export interface SearchFilters {
  subject?: string;
  grade?: number;
  topic?: string;
  cognitiveLevel?: number;
  type?: ItemType;
  status?: ItemStatus;
  tag?: string;
  /** Words of the stem and options, all of them; case and Vietnamese diacritics do not matter (search-tokens.ts). */
  q?: string;
  stimulusId?: string;
}

/** Whose visibility a search applies (bank-access.ts). */
export type SearchViewer = Pick<BankCaller, 'id' | 'bankOrgs' | 'aboveBankOrgs'>;

/** One page of search hits, in `_id` order. */
export interface SearchPage {
  /** The heads of the page (tokens left out); an index may answer from its own copy, milliseconds behind the database at most. */
  heads: ItemHead[];
  /** The last `_id` of the page when more follow, else null. */
  last: string | null;
}

export interface SearchIndex {
  readonly kind: BankSearchKind;

  // ------------------------------------------------------------ reads

  /** Heads matching `filters` that `viewer` may see, in `_id` order after `after`, at most `limit`. */
  search(viewer: SearchViewer, filters: SearchFilters, after: string | undefined, limit: number): Promise<SearchPage>;
  /**
   * The approved items of each cell of one subject and grade that
   * organisation `orgId` (ancestors `path`) may use, as the draw takes them,
   * sorted by item id: `result[i]` is the pool of `cells[i]`.
   */
  pools(orgId: string, path: readonly string[], subject: string, grade: number, cells: readonly PoolCell[]): Promise<PoolItem[][]>;
  /** Revision documents (immutable) by revision `_id` from the index's cache, null where it has none. */
  cachedRevisions(revisionIds: readonly string[]): Promise<(RevisionDoc | null)[]>;

  // ----------------------------------------------------------- upkeep

  /** Before a database write of these heads: answers the nonce that goes to put, refresh or end. */
  begin(ids: readonly string[]): Promise<string>;
  /** After the write: the heads as the database now holds them. */
  put(heads: readonly ItemHead[], nonce: string): Promise<void>;
  /** After the write: the index reads these heads from the database itself. */
  refresh(ids: readonly string[], nonce: string): Promise<void>;
  /** The write of these ids did not happen. */
  end(ids: readonly string[], nonce: string): Promise<void>;
  /** Revision documents just stored or read, for later list views. */
  cacheRevisions(docs: readonly RevisionDoc[]): Promise<void>;
  /** Starts background upkeep (a process serving requests calls it once). */
  start(): void;
  /** Stops background upkeep. */
  close(): Promise<void>;
}

// ------------------------------------------------------ shared by both

/** What assembly needs of an approved revision: no stem, no key. */
export function drawFieldsOf(rev: Pick<RevisionDoc, 'type'> & Record<string, unknown>): DrawFields {
  const r = rev as unknown as DrawFields & { options?: { id: string; fixed?: boolean }[] };
  const out: DrawFields = {};
  if (r.points !== undefined) out.points = r.points;
  if (r.shuffleOptions !== undefined) out.shuffleOptions = r.shuffleOptions;
  if (typeof r.difficulty === 'number') out.difficulty = r.difficulty;
  if (typeof r.stimulusId === 'string') out.stimulusId = r.stimulusId;
  if (typeof r.stimulusOrder === 'number') out.stimulusOrder = r.stimulusOrder;
  if (Array.isArray(r.options)) out.options = r.options.map((o) => ({ id: o.id, ...(o.fixed ? { fixed: true } : {}) }));
  if (Array.isArray(r.choices)) out.choices = r.choices.map((c) => ({ id: c.id }));
  if (Array.isArray(r.elements)) out.elements = r.elements.map((e) => ({ id: e.id }));
  return out;
}

/** The draw card of an approved item: its revision, sharing, owner, type and draw fields. */
export interface PoolCard extends DrawFields {
  r: number;
  sh: Sharing;
  o: string;
  y: ItemType;
}

/** May organisation `orgId` (with ancestors `path`) use an approved item? Its own `org` items, its ancestors' `subtree` items, every `national` one. */
export function usableBy(orgId: string, path: readonly string[], sharing: Sharing, ownerOrgId: string): boolean {
  return sharing === 'national' || (sharing === 'subtree' && path.includes(ownerOrgId)) || (sharing === 'org' && ownerOrgId === orgId);
}

/** An approved item as the draw takes it, from its card and item-analysis difficulty. */
export function poolItemOf(itemId: string, card: PoolCard, statsDifficulty: number | undefined): PoolItem {
  const { r, sh: _sh, o: _o, y, difficulty, ...draw } = card;
  const d = statsDifficulty ?? difficulty;
  return { itemId, revision: r, status: 'approved', type: y, ...draw, ...(d !== undefined ? { difficulty: d } : {}) };
}

/** Does an approved item belong to a cell? */
export function inCell(a: { topic: string; cognitiveLevel: CognitiveLevel; type: ItemType }, c: PoolCell): boolean {
  return a.topic === c.topic && a.cognitiveLevel === c.cognitiveLevel && (!c.type || a.type === c.type);
}
