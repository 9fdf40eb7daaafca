import { mapLimit, READ_CONCURRENCY } from '../infra/store.js';
import type { OrgService } from '../orgs/org-service.js';
import { revisionId, type BankModels, type ItemHead } from './item-model.js';
import type { BankReader, CognitiveLevel, ItemRevision, ItemStatistics, ItemType, PoolCell, PoolItem } from './item-types.js';
import { toItemRevision, type RevisionReader } from './revision-reader.js';
import type { SearchIndex } from './search-index.js';

/**
 * What form assembly and grading read from the bank (BankReader): the
 * approved pools of blueprint cells, and exact pinned revisions. No caller
 * and no HTTP: the exam decides who may assemble, the bank what an
 * organisation may use.
 */
export class ApprovedPools implements BankReader {
  constructor(
    private readonly models: Pick<BankModels, 'Item'>,
    private readonly orgs: Pick<OrgService, 'pathOf'>,
    private readonly index: SearchIndex,
    private readonly revisionReader: RevisionReader,
  ) {}

  /**
   * The latest approved revision of every item organisation `orgId` may use
   * for the cell: its own items shared `org` or wider, `subtree` items of its
   * ancestors, and `national` items; never `private` ones. Sorted by itemId,
   * key included. `difficulty` is item analysis' figure when there is one.
   * The ids come from {@link approvedPools}; the revisions are `_id` reads.
   */
  async approvedPool(filter: {
    orgId: string;
    subject: string;
    grade: number;
    type?: ItemType;
    topic: string;
    cognitiveLevel: CognitiveLevel;
  }): Promise<ItemRevision[]> {
    const [cards] = await this.approvedPools(filter.orgId, filter.subject, filter.grade, [
      { topic: filter.topic, cognitiveLevel: filter.cognitiveLevel, ...(filter.type ? { type: filter.type } : {}) },
    ]);
    const revs = await this.revisionReader.byIds(cards!.map((card) => revisionId(card.itemId, card.revision)));
    const pool = cards!.map((card, i) => {
      const rev = revs[i];
      if (!rev) return null;
      const item = toItemRevision(rev, 'approved');
      if (card.difficulty !== undefined) item.difficulty = card.difficulty;
      return item;
    });
    return pool.filter((x): x is ItemRevision => x !== null);
  }

  /**
   * The approved pools of many cells of one subject and grade, as the draw
   * takes them (PoolItem: ids, options' ids, stimulus, points, difficulty;
   * no stems, no keys): `result[i]` is the pool of `cells[i]`, sorted by item
   * id, with the visibility rule of {@link approvedPool}. The search index
   * answers them (search-index.ts).
   */
  async approvedPools(orgId: string, subject: string, grade: number, cells: PoolCell[]): Promise<PoolItem[][]> {
    const path = await this.orgs.pathOf(orgId);
    if (!path || cells.length === 0) return cells.map(() => []);
    return this.index.pools(orgId, path, subject, grade, cells);
  }

  /** Exact pinned revisions, key included, in the order asked; pairs that do not exist are absent. */
  async revisions(pins: { itemId: string; revision: number }[]): Promise<ItemRevision[]> {
    const itemIds = [...new Set(pins.map((p) => p.itemId))];
    const heads = new Map<string, ItemHead | null>();
    await mapLimit(itemIds, READ_CONCURRENCY, async (id) => heads.set(id, await this.models.Item.findById(id, { revs: 1 }).lean<ItemHead>()));
    const found = await mapLimit(pins, READ_CONCURRENCY, async (pin) => {
      const state = heads.get(pin.itemId)?.revs.find((s) => s.revision === pin.revision);
      const rev = state ? await this.revisionReader.one(pin.itemId, pin.revision) : null;
      return rev && state ? toItemRevision(rev, state.status) : null;
    });
    return found.filter((x): x is ItemRevision => x !== null);
  }

  /** Item analysis' figures by item id (point reads of the heads: `_id` lookups on FerretDB too). */
  async statistics(itemIds: readonly string[]): Promise<Map<string, ItemStatistics>> {
    const out = new Map<string, ItemStatistics>();
    await mapLimit([...new Set(itemIds)], READ_CONCURRENCY, async (id) => {
      const head = await this.models.Item.findById(id, { stats: 1 }).lean<Pick<ItemHead, 'stats'>>();
      if (head?.stats) out.set(id, head.stats);
    });
    return out;
  }
}
