/**
 * The item contract shared by the server and the browser: the item types, the
 * authored content of each type (docs/item-types.md) and a candidate's response.
 * Browser-safe: no Node or server imports. The server's src/bank/item-types.ts
 * re-exports these; the browser client imports them from here.
 */
import type { PersonName } from './people.js';

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
  /** Shown to a candidate who picked this option, once the exam releases feedback. Not part of the key. */
  feedback?: string;
}

export interface Labelled {
  id: string;
  text: string;
}

/**
 * Feedback a candidate reads after the exam, as its release rules allow
 * (`showFeedback` on the exam): `general` always, and the outcome text that
 * fits the points got on the item — `correct` (all), `partial` (some),
 * `incorrect` (none). HTML in the stem's subset. Not part of the key.
 */
export interface ItemFeedback {
  general?: string;
  correct?: string;
  partial?: string;
  incorrect?: string;
}

/**
 * A recording the candidate listens to (listening sections): an audio file of
 * the media library by its hash, and how many times a candidate may start it
 * during an attempt (absent: no limit). Not part of the key.
 */
export interface ItemAudio {
  /** SHA-256 of the file (the `id` POST /api/media answers); served at `/api/media/<media>`. */
  media: string;
  /** 1..10 */
  maxPlays?: number;
}

/** Where an imported item came from. Every importer fills what its format carries. */
export interface ItemProvenance {
  /** The question's name or title in the source (Moodle `name`, GIFT `::title::`, QTI `title`). */
  title?: string;
  /** The question's id in the source (Moodle `idnumber`, QTI `identifier`). */
  externalId?: string;
  source?: {
    /** File name as uploaded. */
    file?: string;
    /** Format name (src/interop/model.ts FORMATS). */
    format?: string;
    /** Category path in the source, root first, without Moodle's `$course$`/`top` prefix. */
    categoryPath?: string[];
  };
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
  feedback?: ItemFeedback;
  /** Hints in order; released with the feedback, never shown during an exam. */
  hints?: string[];
  provenance?: ItemProvenance;
  /**
   * Notes for staff (teachers, scorers, authors): HTML in the stem's subset.
   * Left out wherever the key is (item reads without key rights, forms whose
   * key is withheld, exports), and never delivered to candidates.
   */
  staffNotes?: string;
  audio?: ItemAudio;
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
/** A blank answered by typing: a text blank or a number blank. */
export type ClozeBlank = { id: string; accepted: string[]; caseSensitive?: boolean; ignoreDiacritics?: boolean } | { id: string; value: number; tolerance?: number };
/** A blank of any of the three kinds: text, number or choice. */
export type ClozeItemBlank = ClozeBlank | ClozeChoiceBlank;
/**
 * A choice (dropdown) blank: the candidate picks one of `options`; any id in
 * `correct` is right. With `multiple` the candidate picks several (Moodle's
 * MULTIRESPONSE) and the blank is right when the picked set is exactly
 * `correct`. `shuffle` deals the options in a per-form order.
 */
export interface ClozeChoiceBlank {
  id: string;
  options: Labelled[];
  correct: string[];
  multiple?: boolean;
  /** @defaultValue false */
  shuffle?: boolean;
}
export interface ClozeItem extends ItemCommon {
  type: 'cloze';
  text: string;
  blanks: ClozeItemBlank[];
}
/** One marking criterion of an essay and the most points it gives. */
export interface RubricRow {
  criterion: string;
  maxPoints: number;
}
export interface EssayItem extends ItemCommon {
  type: 'essay';
  rubric: RubricRow[];
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

/** A candidate's response `r`, as sent in the WebSocket `answer` frame (shape depends on the type). */
export type ItemResponse =
  | string
  | number
  | boolean
  | string[]
  | Record<string, string>
  | Record<string, boolean>
  /** cloze with a multiple choice blank: that blank's value is a list of option ids. */
  | Record<string, string | string[]>;

/**
 * Length caps of responses, in characters (code points of the NFC text): the
 * server refuses a longer answer (src/grading/responses.ts) and the browser's
 * essay box stops at the essay cap.
 */
export const RESPONSE_LIMITS = Object.freeze({
  /** An essay response is at most 20,000 characters. */
  essay: 20_000,
  /** short_text answers and cloze blanks. */
  text: 1_000,
  /** A numeric answer typed as text. */
  numeric: 100,
});

type KeysOf<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/**
 * The fields of every item type in one object, each type's own fields
 * optional: what an item answer carries (a view without the key lacks the
 * key's fields) and what one editor holding any type edits.
 */
export type AnyItemContent = ItemCommon & { [K in Exclude<KeysOf<ItemContent>, keyof ItemCommon | 'blanks'>]?: FieldOf<ItemContent, K> } & {
  /** Order of the item inside its passage's group. */
  stimulusOrder?: number;
  /** A view without the key keeps each blank's id, and a choice blank's options and `multiple`. */
  blanks?: AnyClozeBlank[];
};

/**
 * An item as one editor holds any type, and as POST /api/items and PUT
 * /api/items/:id take it: the content plus, for a new item, the owner
 * organisation (needed only when the author is at several).
 */
export type ItemDraft = AnyItemContent & { ownerOrgId?: string };

/** A cloze blank of any kind, or a view without the key (the id, and a choice blank's options and `multiple`). */
export interface AnyClozeBlank {
  id: string;
  accepted?: string[];
  caseSensitive?: boolean;
  ignoreDiacritics?: boolean;
  value?: number;
  tolerance?: number;
  options?: Labelled[];
  correct?: string[];
  multiple?: boolean;
  shuffle?: boolean;
}

/** Item-analysis figures on an item, put there by an exam's analysis write-back. */
export interface ItemStats {
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
  /** When they were written back. */
  updatedAt?: string;
}

/** One workflow step of a revision, with the comment given (a reviewer's reason for sending it back). */
export interface StatusEvent {
  from: ItemStatus;
  to: ItemStatus;
  at: string;
  by: string;
  comment?: string;
}

/** What an item answer adds to the content: the server's fields. */
export interface ItemServerFields {
  id: string;
  revision: number;
  status: ItemStatus;
  ownerOrgId: string;
  /** Author of this revision. */
  authorId: string;
  /** When this revision was written. */
  createdAt: string;
  /** Who created the item (revision 1). */
  createdBy: string;
  latestRevision: number;
  approvedRevision: number | null;
  /** False when the caller may read but not author or review the item: key and scoring data are left out. */
  keyIncluded: boolean;
  stats?: ItemStats;
  /** Steps of this revision, oldest first (authors and reviewers only). */
  statusLog?: StatusEvent[];
  /** The newest review decision on any revision of the item (authors and reviewers only). */
  lastReview?: StatusEvent & { revision: number };
}

/** Names of the people an answer names by id, as far as the viewer may see them. */
export interface NamedPeople {
  people?: Record<string, PersonName>;
}

/** One item revision as GET /api/items/:id (and every item write) answers it. */
export type ItemView = AnyItemContent & ItemServerFields & NamedPeople;

/** A page of GET /api/items. */
export interface ItemPage {
  items: ItemView[];
  nextCursor: string | null;
}

/** A shared passage ("ngữ liệu") as POST /api/stimuli and PUT /api/stimuli/:id take it. */
export interface NewStimulus {
  title: string;
  /** Same safe HTML subset as stems. */
  content: string;
  subject: string;
  grade?: number;
  topic?: string;
  language?: 'vi' | 'en';
  tags?: string[];
  sharing?: Sharing;
}

/** A passage as GET /api/stimuli lists it. */
export interface StimulusSummary extends NewStimulus {
  id: string;
  sharing: Sharing;
  ownerOrgId: string;
  authorId: string;
  createdAt: string;
  /** Bumped by every edit; sent back with the next one. */
  revision: number;
  updatedAt?: string;
}

/** A passage opened on its own (GET /api/stimuli/:id and every write): with the items attached to it that the caller may see. */
export interface StimulusView extends StimulusSummary {
  items: { id: string; revision: number; status: ItemStatus; type: ItemType; stimulusOrder?: number }[];
}
