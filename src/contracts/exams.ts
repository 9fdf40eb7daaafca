/**
 * The exam contract shared by the server and the browser: blueprint matrices,
 * exam statuses and result visibility, and the summary of an assembled form.
 * Browser-safe: no Node or server imports.
 */
import type { CognitiveLevel, ItemType } from './items.js';

export const SHOW_RESULTS = ['never', 'after_submit', 'after_close'] as const;
export type ShowResults = (typeof SHOW_RESULTS)[number];

/** `draft` → (assemble any number of times) → `published` (forms frozen). */
export const EXAM_STATUSES = ['draft', 'published'] as const;
export type ExamStatus = (typeof EXAM_STATUSES)[number];

/** One cell of the matrix: `count` items of the section's type, this topic and this level. */
export interface BlueprintCell {
  topic: string;
  cognitiveLevel: CognitiveLevel;
  count: number;
}

export interface BlueprintSection {
  title: string;
  /** Item type drawn by every cell; absent means any type. */
  type?: ItemType;
  /** Overrides each item's own points. */
  pointsPerItem?: number;
  /** Shuffle the order of items (stimulus groups move as a unit) inside the section. @defaultValue false */
  shuffleItems?: boolean;
  /** Shuffle options of choice items, except `fixed` ones; an item's own `shuffleOptions: false` wins. @defaultValue true */
  shuffleOptions?: boolean;
  cells: BlueprintCell[];
}

/** One assembled form as the assemble answer and the form list summarise it. */
export interface FormSummary {
  code: string;
  itemCount: number;
  totalPoints: number;
  meanDifficulty: number;
  hash: string;
}
