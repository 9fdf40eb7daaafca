/**
 * Allow-list HTML sanitiser for item text. The server already strips item
 * HTML to the safe subset (docs/item-types.md) on write; this is the second line: whatever
 * arrives is parsed in an inert document (DOMParser runs no script and loads
 * nothing) and rebuilt node by node in the page's document. Only the tags
 * below survive, with only the attributes named for them; nothing from the
 * parsed tree is adopted as is, and no string is ever assigned to innerHTML.
 */

import { isLibraryMedia, showLibraryImage } from './media.js';

/** The safe subset of item HTML: `p br b i u sub sup ul ol li table tr td th img code ruby rb rt rp`. */
const ALLOWED_TAGS = new Set(['p', 'br', 'b', 'i', 'u', 'sub', 'sup', 'ul', 'ol', 'li', 'table', 'tr', 'td', 'th', 'img', 'code', 'ruby', 'rb', 'rt', 'rp']);

/** Elements dropped with everything inside them; other unknown elements are unwrapped (their text stays). */
const DROPPED_WITH_CONTENT = new Set([
  'script', 'style', 'template', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'noscript', 'noembed',
  'noframes', 'svg', 'math', 'title', 'textarea', 'select', 'option', 'canvas', 'audio', 'video', 'head', 'meta',
  'link', 'base', 'xmp', 'plaintext',
]);

const SMALL_INTEGER = /^\d{1,4}$/;

/** `src` of an image: a data: image or a same-origin http(s) URL; anything else is refused. */
export function safeImageSrc(src: string): string | null {
  const value = src.trim();
  if (/^data:image\/(png|gif|jpeg|jpg|webp|avif|bmp|svg\+xml)[;,]/i.test(value)) return value;
  try {
    const url = new URL(value, document.baseURI);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === location.origin) return url.pathname + url.search;
  } catch {
    // Not a URL at all.
  }
  return null;
}

function copyAttributes(from: Element, to: HTMLElement, tag: string, media: boolean): boolean {
  if (tag === 'img') {
    const src = safeImageSrc(from.getAttribute('src') ?? '');
    if (!src) return false;
    // A media library picture needs the session's token (media.ts); text-only uses never fetch it.
    if (isLibraryMedia(src)) {
      if (media) showLibraryImage(to as HTMLImageElement, src);
    } else {
      to.setAttribute('src', src);
    }
    to.setAttribute('alt', from.getAttribute('alt') ?? '');
    for (const name of ['width', 'height']) {
      const value = from.getAttribute(name);
      if (value && SMALL_INTEGER.test(value)) to.setAttribute(name, value);
    }
  } else if (tag === 'td' || tag === 'th') {
    for (const name of ['colspan', 'rowspan']) {
      const value = from.getAttribute(name);
      if (value && /^\d{1,2}$/.test(value)) to.setAttribute(name, value);
    }
  }
  return true;
}

function rebuild(source: Node, target: Node, doc: Document, depth: number, media: boolean): void {
  // Deeper nesting than any item needs is flattened to its text.
  for (let node = source.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.appendChild(doc.createTextNode(node.nodeValue ?? ''));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const element = node as Element;
    const tag = element.localName.toLowerCase();
    if (element.namespaceURI !== 'http://www.w3.org/1999/xhtml' || DROPPED_WITH_CONTENT.has(tag)) continue;
    if (ALLOWED_TAGS.has(tag) && depth < 32) {
      const copy = doc.createElement(tag);
      if (!copyAttributes(element, copy, tag, media)) continue;
      target.appendChild(copy);
      rebuild(element, copy, doc, depth + 1, media);
    } else {
      rebuild(element, target, doc, depth + 1, media);
    }
  }
}

/** Sanitised HTML as a fragment of `doc` (default: the page's document); `media: false` leaves library pictures unfetched (text only). */
export function sanitizeHtml(html: string, doc: Document = document, media = true): DocumentFragment {
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${String(html)}`, 'text/html');
  const fragment = doc.createDocumentFragment();
  rebuild(parsed.body, fragment, doc, 0, media);
  return fragment;
}

/** The text of item HTML without markup or maths delimiters (for `<option>` labels and aria-labels). */
export function plainText(html: string): string {
  return (sanitizeHtml(html, document, false).textContent ?? '')
    .replace(/\\[()[\]]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
