import { searchKey } from '../text/fold.js';
import type { ItemContent } from './item-types.js';
import { textOfSafeHtml } from './sanitize.js';

/**
 * Search without $text (FerretDB 1.24 has none): every item stores the folded
 * words of its stem and options in `tokens`, which is indexed, and `q` matches
 * when all of its folded words are among them (`$all`). Folding is the shared
 * search key of src/text/fold.ts: NFC/NFD-independent, case-insensitive,
 * diacritics and đ/Đ removed — "PHƯƠNG TRÌNH" typed in NFD finds "Phương trình".
 */

/** Longer "words" are base64 or URLs, never something a person types into a search box. */
const MAX_TOKEN_LENGTH = 40;
/** A query with more words than this is a pasted paragraph; the first ones are enough to narrow. */
export const MAX_QUERY_TOKENS = 12;

const SEPARATOR = /[^\p{L}\p{N}]+/u;

/** The distinct folded words of a plain text. */
export function textTokens(text: string): string[] {
  const out = new Set<string>();
  for (const word of searchKey(text).split(SEPARATOR)) {
    if (word.length > 0 && word.length <= MAX_TOKEN_LENGTH) out.add(word);
  }
  return [...out];
}

/**
 * Words of everything a candidate reads: stem, options, statements, premises,
 * choices, elements and the cloze text. Never the key (accepted answers,
 * values), which a caller without key access must not be able to probe by search.
 */
export function itemTokens(item: ItemContent): string[] {
  const texts: string[] = [item.stem];
  switch (item.type) {
    case 'single_choice':
    case 'multiple_choice':
      for (const o of item.options) texts.push(o.text);
      break;
    case 'true_false_cluster':
      for (const s of item.statements) texts.push(s.text);
      break;
    case 'matching':
      for (const p of item.premises) texts.push(p.text);
      for (const c of item.choices) texts.push(c.text);
      break;
    case 'ordering':
      for (const e of item.elements) texts.push(e.text);
      break;
    case 'cloze':
      texts.push(item.text.replace(/\{\{[^}]*\}\}/g, ' '));
      break;
    default:
      break;
  }
  // One folding pass over all of it: a newline separates words like any other non-letter.
  return textTokens(texts.map(textOfSafeHtml).join('\n'));
}

/** The folded words of a search box entry, at most {@link MAX_QUERY_TOKENS}. */
export function queryTokens(q: string): string[] {
  return textTokens(q).slice(0, MAX_QUERY_TOKENS);
}
