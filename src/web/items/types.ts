/**
 * The candidate-facing item as the server delivers it (the `items` of the
 * WebSocket `state` message; server side: src/exams/candidate-form.ts) and
 * the response shapes of docs/item-types.md. The browser build cannot import server
 * modules, so the shapes are restated here; test/web checks the type list
 * against src/bank/item-types.ts.
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

export interface Labelled {
  id: string;
  text: string;
}

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
  blanks?: ({ id: string } | string)[];
  /** essay: names of the marking criteria. */
  criteria?: string[];
  maxWords?: number;
  /** The shared passage the item reads (its text comes in the state's `stimuli`). */
  stimulusId?: string;
}

/**
 * A response `r` (docs/item-types.md): single_choice "B", multiple_choice ["A","C"],
 * true_false true, true_false_cluster {"a":true}, numeric "-1,5" (or -1.5),
 * short_text / essay "text", matching {"p1":"c3"}, ordering ["e2","e1"],
 * cloze {"b1":"…"}.
 */
export type ItemResponse = string | number | boolean | string[] | Record<string, string> | Record<string, boolean>;

/** An essay response is at most 20,000 characters. */
export const ESSAY_MAX_CHARS = 20_000;

export function itemIdOf(item: CandidateItem): string {
  return String(item.itemId ?? item.id ?? '');
}
