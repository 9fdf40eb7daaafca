import { mapLimit, READ_CONCURRENCY } from '../infra/store.js';
import { revisionId, type BankModels, type RevisionDoc } from './item-model.js';
import type { ItemRevision, ItemStatus } from './item-types.js';
import type { SearchIndex } from './search-index.js';

/**
 * Reads of item revision documents. Revisions never change once written, so
 * a page or a pool of them comes from the search index's cache where it has
 * them and by `_id` from the database otherwise.
 */
export class RevisionReader {
  constructor(
    private readonly models: Pick<BankModels, 'ItemRevision'>,
    private readonly index: SearchIndex,
  ) {}

  /** One revision of an item, from the database. */
  one(itemId: string, revision: number): Promise<RevisionDoc | null> {
    return this.models.ItemRevision.findById(revisionId(itemId, revision)).lean<RevisionDoc>();
  }

  /** Revision documents by `_id` (null: skip), in the order asked, from the index's cache where it has them. */
  async byIds(revIds: (string | null)[]): Promise<(RevisionDoc | null)[]> {
    const wanted = revIds.filter((id): id is string => id !== null);
    const cached = await this.index.cachedRevisions(wanted);
    const byId = new Map<string, RevisionDoc | null>(wanted.map((id, i) => [id, cached[i] ?? null]));
    const missing = wanted.filter((id) => !byId.get(id));
    const read = await mapLimit(missing, READ_CONCURRENCY, (id) => this.models.ItemRevision.findById(id).lean<RevisionDoc>());
    missing.forEach((id, i) => byId.set(id, read[i] ?? null));
    await this.index.cacheRevisions(read.filter((r): r is RevisionDoc => r !== null));
    return revIds.map((id) => (id === null ? null : byId.get(id) ?? null));
  }
}

/** A stored revision as form assembly and grading take it, with the status it has now. */
export function toItemRevision(rev: RevisionDoc, status: ItemStatus): ItemRevision {
  const { _id, ...rest } = rev;
  return { ...rest, status, createdAt: new Date(rev.createdAt) } as ItemRevision;
}
