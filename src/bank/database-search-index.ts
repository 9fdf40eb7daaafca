/**
 * The search index as database queries (`BANK_SEARCH=database`): search and
 * approved pools are MongoDB queries over the item heads, which the indexes
 * of item-model.ts serve on MongoDB; there is nothing to keep up to date, so
 * its upkeep does nothing. It only uses what MongoDB 7 and FerretDB 1.24 both
 * support (equalities, `$in`, `$all`, `$or`, `$gt` on `_id`, sort by `_id`),
 * so it runs on the embedded FerretDB too, where each query reads the whole
 * `items` collection: that is what the Redis index (redis-search-index.ts)
 * avoids, and what it falls back to while it is being built.
 */
import type { QueryFilter } from 'mongoose';
import { mapLimit, READ_CONCURRENCY } from '../infra/store.js';
import { visibilityFilter } from './bank-access.js';
import { revisionId, type BankModels, type ItemHead, type RevisionDoc } from './item-model.js';
import type { PoolItem } from './item-types.js';
import { queryTokens } from './search-tokens.js';
import { drawFieldsOf, inCell, poolItemOf, usableBy, type PoolCell, type SearchFilters, type SearchIndex, type SearchPage, type SearchViewer } from './search-index.js';

/** Heads are listed without their search tokens. */
export const HEAD_LIST_PROJECTION = { tokens: 0 } as const;

/** The MongoDB filter of a search: what {@link DatabaseSearchIndex.search} runs (and what the benchmark sends straight to the database). */
export function searchFilter(viewer: SearchViewer, filters: SearchFilters, after?: string): QueryFilter<ItemHead> {
  // Plain equalities stay top-level keys: query planners, and FerretDB's PostgreSQL pushdown, see them there.
  const filter: Record<string, unknown> = { ...visibilityFilter(viewer) };
  if (filters.subject !== undefined) filter.subject = filters.subject.normalize('NFC');
  if (filters.grade !== undefined) filter.grade = filters.grade;
  if (filters.topic !== undefined) filter.topic = filters.topic;
  if (filters.cognitiveLevel !== undefined) filter.cognitiveLevel = filters.cognitiveLevel;
  if (filters.type !== undefined) filter.type = filters.type;
  if (filters.status !== undefined) filter.status = filters.status;
  if (filters.tag !== undefined) filter.tags = filters.tag.normalize('NFC');
  if (filters.stimulusId !== undefined) filter.stimulusId = filters.stimulusId;
  if (filters.q !== undefined) {
    // Heads keep the folded words of their stem and options (search-tokens.ts), so "phuong trinh" finds "PHƯƠNG TRÌNH".
    const tokens = queryTokens(filters.q);
    if (tokens.length) filter.tokens = { $all: tokens };
  }
  if (after !== undefined) filter._id = { $gt: after };
  return filter as QueryFilter<ItemHead>;
}

export class DatabaseSearchIndex implements SearchIndex {
  readonly kind = 'database' as const;

  constructor(private readonly models: Pick<BankModels, 'Item' | 'ItemRevision'>) {}

  async search(viewer: SearchViewer, filters: SearchFilters, after: string | undefined, limit: number): Promise<SearchPage> {
    const heads = await this.models.Item.find(searchFilter(viewer, filters, after), HEAD_LIST_PROJECTION).sort({ _id: 1 }).limit(limit + 1).lean<ItemHead[]>();
    const page = heads.slice(0, limit);
    return { heads: page, last: heads.length > limit ? page[page.length - 1]!._id : null };
  }

  /** One query for all cells (on FerretDB 1.24 a scan of every head, so one instead of one per cell). */
  async pools(orgId: string, path: readonly string[], subject: string, grade: number, cells: readonly PoolCell[]): Promise<PoolItem[][]> {
    if (cells.length === 0) return [];
    const heads = await this.models.Item.find(
      {
        'approved.subject': subject,
        'approved.grade': grade,
        $and: [
          { $or: cells.map((c) => ({ 'approved.topic': c.topic, 'approved.cognitiveLevel': c.cognitiveLevel, ...(c.type ? { 'approved.type': c.type } : {}) })) },
          {
            $or: [
              { 'approved.sharing': 'national' },
              { 'approved.sharing': 'subtree', ownerOrgId: { $in: [...path] } },
              { 'approved.sharing': 'org', ownerOrgId: orgId },
            ],
          },
        ],
      },
      { approved: 1, stats: 1, ownerOrgId: 1 },
    )
      .sort({ _id: 1 })
      .lean<Pick<ItemHead, '_id' | 'approved' | 'stats' | 'ownerOrgId'>[]>();
    const items = await mapLimit(heads, READ_CONCURRENCY, async (h) => {
      const a = h.approved!;
      let draw = a.draw;
      if (!draw) {
        // Approved before heads kept what the draw needs: read it from the revision.
        const rev = await this.models.ItemRevision.findById(revisionId(h._id, a.revision)).lean<RevisionDoc>();
        if (!rev) return null;
        draw = drawFieldsOf(rev as unknown as RevisionDoc & Record<string, unknown>);
      }
      if (!usableBy(orgId, path, a.sharing, h.ownerOrgId)) return null;
      return { summary: a, item: poolItemOf(h._id, { r: a.revision, sh: a.sharing, o: h.ownerOrgId, y: a.type, ...draw }, h.stats?.difficulty) };
    });
    const found = items.filter((x): x is NonNullable<typeof x> => x !== null);
    return cells.map((c) => found.filter(({ summary }) => inCell(summary, c)).map((x) => x.item));
  }

  /** No cache: revisions are read from the database by `_id`. */
  async cachedRevisions(revisionIds: readonly string[]): Promise<(RevisionDoc | null)[]> {
    return revisionIds.map(() => null);
  }

  // Upkeep: the database is the index, so there is nothing to do.
  async begin(): Promise<string> {
    return '';
  }
  async put(): Promise<void> {}
  async refresh(): Promise<void> {}
  async end(): Promise<void> {}
  async cacheRevisions(): Promise<void> {}
  start(): void {}
  async close(): Promise<void> {}
}
