/**
 * The language of imported text when the request does not say: Vietnamese
 * when the text has a letter of the Vietnamese alphabet that English has not
 * (đ, ă, â, ê, ô, ơ, ư, or a vowel with a tone mark), English otherwise.
 * Markup, formulas and embedded pictures are not read. Text with too few
 * words to tell (a formula, a number) is left undecided, so the file as a
 * whole decides for it.
 */

/** Vietnamese letters: đ and the vowels with a circumflex, breve, horn or tone mark, either case. */
const VIETNAMESE = /[đĐăĂâÂêÊôÔơƠưƯàáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸìíỉĩịÌÍỈĨỊòóỏõọÒÓỎÕỌùúủũụÙÚỦŨỤỳýỷỹỵỲÝỶỸỴ\u1EA0-\u1EF9]/u;

/** Words of two letters or more: below this many, a text without Vietnamese letters is undecided. */
const MIN_WORDS = 2;

/** What a reader sees of an HTML field: no tags, no `\(…\)` / `\[…\]` formulas, no entities. */
function readable(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ')
    .normalize('NFC');
}

/** `vi` or `en` for a text (HTML allowed), or undefined when it has too few words to tell. */
export function detectLanguage(html: string): 'vi' | 'en' | undefined {
  const text = readable(html);
  if (VIETNAMESE.test(text)) return 'vi';
  const words = text.match(/\p{L}{2,}/gu) ?? [];
  return words.length >= MIN_WORDS ? 'en' : undefined;
}

/** Every text of an item that a candidate reads, for {@link detectLanguage}. */
export function itemTexts(item: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') parts.push(v);
  };
  add(item.stem);
  add(item.text);
  for (const list of ['options', 'statements', 'premises', 'choices', 'elements']) {
    const entries = item[list];
    if (Array.isArray(entries)) for (const e of entries) add((e as { text?: unknown }).text);
  }
  return parts.join('\n');
}
