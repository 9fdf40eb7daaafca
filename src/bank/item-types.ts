
/**
 * The TypeScript shape of items, as docs/item-types.md describes them. The JSON Schemas in
 * question-schemas/ validate the same shapes; scoring, assembly, delivery and
 * import/export all import these types instead of redefining them. The authored
 * shapes the browser shares live in src/contracts/items.ts and are re-exported
 * here; what follows is the server's own (stored revisions, pools, statistics).
 */

import type { CognitiveLevel, ItemContent, ItemStats, ItemStatus, ItemType, NewStimulus, Sharing } from '../contracts/items.js';

export * from '../contracts/items.js';

/** One immutable revision as stored and as pinned by exams: `(itemId, revision)`. */
export type ItemRevision = ItemContent & {
  itemId: string;
  revision: number;
  status: ItemStatus;
  ownerOrgId: string;
  /** Ancestors of the owner organisation, root first, ending with ownerOrgId. */
  orgPath: string[];
  authorId: string;
  createdAt: Date;
  /** Order of this item inside its stimulus group (items sharing a stimulus travel together). */
  stimulusOrder?: number;
};

/**
 * What the draw of form assembly needs of an approved item: an ItemRevision
 * has all of it, and the bank hands over these lighter summaries (no stems,
 * no keys) so that assembly reads less.
 */
export interface PoolItem {
  itemId: string;
  revision: number;
  status: ItemStatus;
  type: ItemType;
  difficulty?: number;
  /** @defaultValue 1 */
  points?: number;
  /** @defaultValue true */
  shuffleOptions?: boolean;
  stimulusId?: string;
  stimulusOrder?: number;
  options?: readonly { id: string; fixed?: boolean }[];
  choices?: readonly { id: string }[];
  elements?: readonly { id: string }[];
}

/** A cell of a blueprint as form assembly asks the bank for its pool. */
export interface PoolCell {
  type?: ItemType;
  topic: string;
  cognitiveLevel: CognitiveLevel;
}

/**
 * What form assembly and grading need from the bank; ApprovedPools
 * (approved-pools.ts) implements it.
 */
export interface BankReader {
  /**
   * The latest approved revision of every approved item matching the filter
   * that organisation `orgId` may use (its own, its ancestors' `subtree`, and
   * `national` items), sorted by itemId.
   */
  approvedPool(filter: {
    orgId: string;
    subject: string;
    grade: number;
    type?: ItemType;
    topic: string;
    cognitiveLevel: CognitiveLevel;
  }): Promise<ItemRevision[]>;
  /**
   * {@link approvedPool} for many cells of one subject and grade at once, as
   * form assembly draws them: `result[i]` is the pool of `cells[i]`, sorted
   * by itemId, each item a PoolItem (no stem, no key).
   */
  approvedPools(
    orgId: string,
    subject: string,
    grade: number,
    cells: PoolCell[],
  ): Promise<PoolItem[][]>;
  /** Exact pinned revisions, key included; missing pairs are simply absent. */
  revisions(pins: { itemId: string; revision: number }[]): Promise<ItemRevision[]>;
  /** Item analysis' figures of these items (adaptive pools read the Rasch difficulty); items without any are absent. */
  statistics?(itemIds: readonly string[]): Promise<Map<string, ItemStatistics>>;
}

/**
 * What item analysis learns about an item from real responses. It is kept on
 * the item, not in a revision: statistics describe how candidates answered,
 * not what the author wrote, so recording them must not start a review.
 */
export type ItemStatistics = Omit<ItemStats, 'updatedAt'> & { updatedAt?: Date };

/** A shared passage ("ngữ liệu") that several items refer to by `stimulusId`. */
export interface Stimulus extends Omit<NewStimulus, 'sharing'> {
  id: string;
  sharing: Sharing;
  ownerOrgId: string;
  orgPath: string[];
  authorId: string;
  createdAt: Date;
}
