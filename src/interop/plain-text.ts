import sanitizeHtml from 'sanitize-html';
import { escapeHtml } from './model.js';

/**
 * Between the bank's HTML and the plain text of formats that have no markup
 * (Aiken everywhere, GIFT's `[plain]` texts and matching answers): text is
 * escaped on the way in, so `<`, `>` and `&` survive; HTML is read as what
 * a reader sees on the way out, entities decoded.
 */

const BREAK = /<\s*(br|\/p|\/div|\/li|\/h[1-6]|\/tr|\/blockquote)\b[^>]*>/gi;
const TO_TEXT: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {} };

/** Plain text as HTML: escaped, line breaks kept as `<br />`. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\n/g, '<br />');
}

/** What a reader sees in `html`, on one line: tags dropped, entities decoded, white space collapsed. */
export function htmlToText(html: string): string {
  if (!/[<>&]/.test(html)) return html.replace(/\s+/g, ' ').trim();
  // sanitize-html decodes every entity and escapes only & < > " again: those four are undone here.
  const text = sanitizeHtml(html.replace(BREAK, ' $&'), TO_TEXT)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return text.replace(/[\s\u00a0]+/g, ' ').trim();
}
