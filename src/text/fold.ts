/**
 * Text folding for comparing what people type: short-text and cloze scoring,
 * and the question bank's search keys. Every function is pure and returns NFC.
 *
 * Folded strings are comparison keys. `foldTonePlacement` in particular moves
 * marks to places no speller would put them, so never show a key to a person.
 */

/** Canonical composition: "Hà Nội" typed on macOS (NFD) equals the stored NFC form. */
export function toNfc(s: string): string {
  return s.normalize('NFC');
}

// Characters that render as nothing but arrive from copy-paste (Word, web pages)
// and would otherwise make two identical-looking answers differ.
const INVISIBLE = /[\u00AD\u200B\u2060\uFEFF]/g;
// `\s` with the u flag covers NBSP, the U+2000 spaces, ideographic space and line separators.
const WHITESPACE_RUN = /\s+/gu;

/** Drops invisible characters, trims, and turns every whitespace run (NBSP, tabs, newlines) into one space. */
export function foldWhitespace(s: string): string {
  return s.replace(INVISIBLE, '').replace(WHITESPACE_RUN, ' ').trim();
}

/**
 * Locale-independent case folding. Upper-then-lower approximates Unicode full
 * case folding (ß ≡ ss, final sigma) where plain toLowerCase does not.
 */
export function foldCase(s: string): string {
  return toNfc(s.toUpperCase().toLowerCase());
}

const COMBINING_MARK = /\p{Mn}/gu;
// Letters whose stroke is part of the glyph, so NFD does not split it off.
// Ð/ð (U+00D0/U+00F0) are look-alikes of Đ/đ that some Vietnamese fonts and
// keyboards produce, so they fold the same way.
const STROKED: Record<string, string> = { đ: 'd', Đ: 'D', ð: 'd', Ð: 'D' };
const STROKED_RE = /[đĐðÐ]/g;

/**
 * Removes diacritics: every combining mark after NFD (Vietnamese tones, â ă ê
 * ô ơ ư, and Latin accents), and đ/Đ → d/D. "Đà Nẵng" → "Da Nang".
 */
export function foldDiacritics(s: string): string {
  return toNfc(
    s
      .normalize('NFD')
      .replace(COMBINING_MARK, '')
      .replace(STROKED_RE, (c) => STROKED[c] ?? c),
  );
}

// The five Vietnamese tone marks as combining characters: huyền, sắc, ngã, hỏi, nặng.
const TONE_MARK = /[\u0300\u0301\u0303\u0309\u0323]/gu;
const WORD = /[\p{L}\p{M}]+/gu;

/**
 * Makes old-style and new-style tone placement compare equal: "hoà" ≡ "hòa",
 * "thuỷ" ≡ "thủy", "khoẻ" ≡ "khỏe". Both spellings are correct Vietnamese and
 * input methods differ in which one they produce, so a key must not depend on
 * it. In every word carrying exactly one tone mark, the mark is moved after the
 * word's last letter; words with none or several are left alone.
 */
export function foldTonePlacement(s: string): string {
  const moved = s.normalize('NFD').replace(WORD, (word) => {
    const tones = word.match(TONE_MARK);
    if (tones === null || tones.length !== 1) return word;
    return word.replace(TONE_MARK, '') + tones[0];
  });
  return toNfc(moved);
}

/** How strictly `foldText` compares; the defaults are those of a short_text item. */
export interface FoldOptions {
  /** Keep upper and lower case distinct. @defaultValue false */
  caseSensitive?: boolean;
  /** Drop all diacritics, đ included. @defaultValue false */
  ignoreDiacritics?: boolean;
}

/**
 * The comparison key for short-text answers (docs/item-types.md): NFC, trim, whitespace
 * folding, tone placement folding, then case folding unless `caseSensitive`
 * and diacritics folding when `ignoreDiacritics`. Two answers match when their
 * keys are equal.
 */
export function foldText(s: string, options: FoldOptions = {}): string {
  let key = foldWhitespace(toNfc(s));
  if (!options.caseSensitive) key = foldCase(key);
  key = options.ignoreDiacritics ? foldDiacritics(key) : foldTonePlacement(key);
  return key;
}

/** Key for searching the bank: "ha noi", "HÀ NỘI" and "Hà  Nội" all find "Hà Nội". */
export function searchKey(s: string): string {
  return foldText(s, { caseSensitive: false, ignoreDiacritics: true });
}
