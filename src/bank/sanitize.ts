import sanitizeHtml, { type IOptions } from 'sanitize-html';

/**
 * Content safety for everything the bank stores as HTML (stems, options,
 * statements, cloze texts, rubric criteria, stimuli): the safe subset (ALLOWED_TAGS, docs/item-types.md)
 * survives, everything else is removed by sanitize-html's parser. Scripts and
 * styles lose their content too; other unknown tags keep their text.
 */

// ruby, rb, rt, rp: furigana and pinyin over their base text (ruby annotation), kept as markup, not merged into the text.
export const ALLOWED_TAGS = ['p', 'br', 'b', 'i', 'u', 'sub', 'sup', 'ul', 'ol', 'li', 'table', 'tr', 'td', 'th', 'img', 'code', 'ruby', 'rb', 'rt', 'rp'];

// Raster formats only: an SVG data URL can carry script.
const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;

/**
 * `img` sources the browser will fetch from our own origin: a data URL of a
 * raster image, or a relative reference without scheme or host. sanitize-html
 * has already dropped disallowed schemes; this also refuses `//host` and
 * backslash tricks that some browsers read as a host.
 */
export function isSafeImageSource(src: string | undefined): boolean {
  if (!src) return false;
  const s = src.trim();
  if (s.toLowerCase().startsWith('data:')) return SAFE_DATA_IMAGE.test(s);
  if (s.startsWith('//') || s.includes('\\')) return false;
  // A ':' before the first '/', '?' or '#' would be a scheme.
  const schemeEnd = s.search(/[/?#]/);
  const head = schemeEnd === -1 ? s : s.slice(0, schemeEnd);
  return !head.includes(':');
}

const OPTIONS: IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    img: ['src', 'alt', 'width', 'height'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan'],
  },
  allowedSchemes: [],
  allowedSchemesByTag: { img: ['data'] },
  allowedSchemesAppliedToAttributes: ['src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // The same emphasis under its other names (Moodle, QTI and HTML editors write these): kept, not dropped.
  transformTags: { strong: 'b', em: 'i', ins: 'u' },
  // An image whose source was removed is noise in the stem; drop the element.
  exclusiveFilter: (frame) => frame.tag === 'img' && !isSafeImageSource(frame.attribs.src),
};

// \( … \) and \[ … \]: their content is TeX, where "a<b" is a comparison, not a tag.
const MATH = /\\\(([\s\S]*?)\\\)|\\\[([\s\S]*?)\\\]/g;

/**
 * Escapes < and > inside maths so the HTML parser reads them as text; without
 * this "\(a<b\)" would open a <b> element and swallow the rest of the stem.
 * What it produces is text either way, so it cannot smuggle markup through.
 */
function protectMaths(html: string): string {
  return html.replace(MATH, (whole) => whole.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}

/**
 * Returns the safe form of `html`, NFC. Text without '<', '>' or '&' comes
 * out of sanitize-html unchanged, so it skips the parser: most option texts
 * are plain and bulk imports sanitise thousands of them.
 */
export function sanitizeRichText(html: string): string {
  const nfc = html.normalize('NFC');
  if (!/[<>&]/.test(nfc)) return nfc;
  return sanitizeHtml(protectMaths(nfc), OPTIONS).normalize('NFC');
}

/**
 * The words a reader sees in HTML that {@link sanitizeRichText} produced. That
 * output is well-formed and escapes '<' and '>' everywhere but in its own
 * tags, so dropping `<…>` runs is exact here (and twice as fast as parsing
 * again); never use this on HTML that did not come out of the sanitiser.
 */
export function textOfSafeHtml(safeHtml: string): string {
  if (!/[<>&]/.test(safeHtml)) return safeHtml;
  return safeHtml
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
