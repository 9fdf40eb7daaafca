import { ValidationFailed } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import type { BankAccess } from './bank-access.js';
import type { ItemHead } from './item-model.js';
import { itemView, type ItemView } from './item-views.js';
import { decodeCursor, DEFAULT_PAGE, encodeCursor, MAX_PAGE } from './paging.js';
import { revisionId } from './item-model.js';
import type { RevisionReader } from './revision-reader.js';
import type { SearchFilters, SearchIndex } from './search-index.js';

/** GET /api/items: its filters and paging. */
export interface SearchQuery extends SearchFilters {
  /** @defaultValue 50 */
  limit?: number;
  cursor?: string;
}

/**
 * Searching the bank (GET /api/items): the search index (search-index.ts)
 * chooses the items, this checks the query and builds the answer.
 */
export class BankSearch {
  constructor(
    private readonly access: BankAccess,
    private readonly index: SearchIndex,
    private readonly revisions: RevisionReader,
  ) {}

  /**
   * The latest revision of every visible item matching the filters, in `_id`
   * order (creation order), `limit` at a time. The cursor is the last `_id`
   * served, so items created or changed meanwhile never make a page skip or
   * repeat one.
   */
  async search(principal: Principal, query: SearchQuery): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    const c = await this.access.caller(principal);
    const { limit = DEFAULT_PAGE, cursor, ...filters } = query;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE)) {
      throw new ValidationFailed('limit is out of range', [{ instancePath: '/limit', keyword: 'maximum', message: `must be between 1 and ${MAX_PAGE}`, in: 'querystring' }]);
    }
    const after = cursor !== undefined ? decodeCursor(cursor) : undefined;
    const page = await this.index.search(c, filters, after, limit);
    const revs = await this.revisions.byIds(page.heads.map((h) => revisionId(h._id, h.revision)));
    const items: ItemView[] = [];
    page.heads.forEach((head: ItemHead, i) => {
      const rev = revs[i];
      const state = head.revs.find((s) => s.revision === head.revision);
      // Visibility is checked again on what is shown: an index may answer from its own copy of the heads.
      if (rev && state && this.access.canSee(c, head)) items.push(itemView(head, rev, state, this.access.mayReadKey(c, head)));
    });
    return { items, nextCursor: page.last !== null ? encodeCursor(page.last) : null };
  }
}
