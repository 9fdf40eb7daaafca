
/**
 * The TypeScript shape of items, as docs/item-types.md describes them. The JSON Schemas in
 * question-schemas/ validate the same shapes; scoring, assembly, delivery and
 * import/export all import these types instead of redefining them.
 */

export const ITEM_TYPES = [
  'single_choice',
  'multiple_choice',
  'true_false',
  'true_false_cluster',
  'numeric',
  'short_text',
  'matching',
  'ordering',
  'cloze',
  'essay',
] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export const SHARING = ['private', 'org', 'subtree', 'national'] as const;
export type Sharing = (typeof SHARING)[number];

export const ITEM_STATUSES = ['draft', 'in_review', 'approved', 'retired'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export type CognitiveLevel = 1 | 2 | 3 | 4;

export interface Choice {
  id: string;
  text: string;
  /** Keeps its position when options are shuffled ("all of the above"). */
  fixed?: boolean;
}

export interface Labelled {
  id: string;
  text: string;
}

/** Fields every item has, whatever its type. */
export interface ItemCommon {
  type: ItemType;
  stem: string;
  subject: string;
  grade: number;
  topic: string;
  cognitiveLevel: CognitiveLevel;
  tags?: string[];
  language?: 'vi' | 'en';
  /** @defaultValue 1 */
  points?: number;
  difficulty?: number;
  sharing?: Sharing;
  stimulusId?: string;
  /** @defaultValue true */
  shuffleOptions?: boolean;
}

export interface SingleChoiceItem extends ItemCommon {
  type: 'single_choice';
  options: Choice[];
  correct: [string];
}
export interface MultipleChoiceItem extends ItemCommon {
  type: 'multiple_choice';
  options: Choice[];
  correct: string[];
  scoring?: 'all_or_nothing' | 'partial';
}
export interface TrueFalseItem extends ItemCommon {
  type: 'true_false';
  value: boolean;
}
export interface TrueFalseClusterItem extends ItemCommon {
  type: 'true_false_cluster';
  statements: Labelled[];
  values: Record<string, boolean>;
  /** @defaultValue [0, 0.1, 0.25, 0.5, 1] */
  ladder?: number[];
}
export interface NumericItem extends ItemCommon {
  type: 'numeric';
  value: number;
  /** Absolute tolerance. @defaultValue 0 */
  tolerance?: number;
}
export interface ShortTextItem extends ItemCommon {
  type: 'short_text';
  accepted: string[];
  caseSensitive?: boolean;
  ignoreDiacritics?: boolean;
}
export interface MatchingItem extends ItemCommon {
  type: 'matching';
  premises: Labelled[];
  choices: Labelled[];
  pairs: Record<string, string>;
}
export interface OrderingItem extends ItemCommon {
  type: 'ordering';
  elements: Labelled[];
  order: string[];
  scoring?: 'all_or_nothing' | 'partial';
}
export type ClozeBlank =
  | { id: string; accepted: string[]; caseSensitive?: boolean; ignoreDiacritics?: boolean }
  | { id: string; value: number; tolerance?: number };
export interface ClozeItem extends ItemCommon {
  type: 'cloze';
  text: string;
  blanks: ClozeBlank[];
}
export interface EssayItem extends ItemCommon {
  type: 'essay';
  rubric: { criterion: string; maxPoints: number }[];
  maxWords?: number;
}

/** The authored content of an item: exactly what POST /api/items takes. */
export type ItemContent =
  | SingleChoiceItem
  | MultipleChoiceItem
  | TrueFalseItem
  | TrueFalseClusterItem
  | NumericItem
  | ShortTextItem
  | MatchingItem
  | OrderingItem
  | ClozeItem
  | EssayItem;

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

/** A candidate's response `r`, as sent in the WebSocket `answer` frame (shape depends on the type). */
export type ItemResponse =
  | string
  | number
  | boolean
  | string[]
  | Record<string, string>
  | Record<string, boolean>;

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
}

/**
 * What item analysis learns about an item from real responses. It is kept on
 * the item, not in a revision: statistics describe how candidates answered,
 * not what the author wrote, so recording them must not start a review.
 */
export interface ItemStatistics {
  /** Share of candidates answering right (classical p-value), 0..1. */
  difficulty?: number;
  discrimination?: number;
  pointBiserial?: number;
  /** Number of responses the figures come from. */
  n?: number;
  /** The exam the figures were computed from, and its title when they were written (the write-back names it). */
  examId?: string;
  examTitle?: string;
  /** The revision that exam pinned (the figures describe it, not later edits). */
  revision?: number;
  /** Rasch (1PL) difficulty in logits, on that exam's scale (its calibrated items average 0). */
  raschDifficulty?: number;
  /** Standard error of raschDifficulty. */
  raschSE?: number;
  updatedAt?: Date;
}

/** A shared passage ("ngữ liệu") that several items refer to by `stimulusId`. */
export interface Stimulus {
  id: string;
  title: string;
  /** Same safe HTML subset as stems. */
  content: string;
  subject: string;
  grade?: number;
  topic?: string;
  language?: 'vi' | 'en';
  tags?: string[];
  sharing: Sharing;
  ownerOrgId: string;
  orgPath: string[];
  authorId: string;
  createdAt: Date;
}
