/**
 * The candidate-facing item as the server delivers it (the `items` of the
 * WebSocket `state` message; server side: src/exams/candidate-form.ts) and
 * the response shapes of docs/item-types.md. The item types, labelled parts and
 * responses come from the shared contract (src/contracts/items.ts), which the
 * server uses too; the delivered item's own shape is the browser's view of it.
 */

import { RESPONSE_LIMITS, type ItemType, type Labelled } from '../../contracts/items.js';

export { ITEM_TYPES } from '../../contracts/items.js';
export type { ItemResponse, ItemType, Labelled } from '../../contracts/items.js';

export interface CandidateItem {
  /** The item id; staff views may pass `id` instead. */
  itemId?: string;
  id?: string;
  type: ItemType;
  /** 1-based position on the form. */
  number?: number;
  /** HTML subset with `\( \)` / `\[ \]` maths. */
  stem: string;
  options?: Labelled[];
  statements?: Labelled[];
  premises?: Labelled[];
  choices?: Labelled[];
  elements?: Labelled[];
  /** cloze: HTML subset with `{{blankId}}` markers. */
  text?: string;
  /** A choice blank carries its options (delivered ids) and, when several are picked, `multiple`. */
  blanks?: ({ id: string; options?: Labelled[]; multiple?: boolean } | string)[];
  /** essay: names of the marking criteria. */
  criteria?: string[];
  maxWords?: number;
  /** The shared passage the item reads (its text comes in the state's `stimuli`). */
  stimulusId?: string;
  /** The recording to listen to: its library address and how many plays are allowed (absent: no limit). */
  audio?: { url: string; maxPlays?: number };
}

/** The essay box stops where the server's cap on an essay response is. */
export const ESSAY_MAX_CHARS = RESPONSE_LIMITS.essay;

export function itemIdOf(item: CandidateItem): string {
  return String(item.itemId ?? item.id ?? '');
}
