import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UnreadableFile } from './model.js';

/**
 * XML reading for Moodle XML and QTI, safe by construction: a document with
 * a DOCTYPE is refused before parsing (so neither external entities nor
 * entity expansion "billion laughs" can happen), the parser runs with entity
 * processing off, and only the five predefined entities and character
 * references are decoded, by {@link decodeEntities}, never anything declared.
 */

export interface XElement {
  name: string;
  /** Attribute values as written (entities not decoded); read them with {@link attr}. */
  attrs: Record<string, string>;
  children: XNode[];
}
export type XNode = XElement | { text: string } | { cdata: string } | { comment: string };

export function isElement(n: XNode): n is XElement {
  return 'name' in n;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Raw = Record<string, unknown>;

function convert(list: unknown): XNode[] {
  const out: XNode[] = [];
  if (!Array.isArray(list)) return out;
  for (const entry of list as Raw[]) {
    for (const key of Object.keys(entry)) {
      if (key === ':@') continue;
      const value = entry[key];
      if (key === '#text') out.push({ text: String(value) });
      else if (key === '#cdata') out.push({ cdata: (value as Raw[]).map((v) => String(v['#text'] ?? '')).join('') });
      else if (key === '#comment') out.push({ comment: (value as Raw[]).map((v) => String(v['#text'] ?? '')).join('') });
      else {
        const attrs: Record<string, string> = {};
        const rawAttrs = entry[':@'] as Record<string, unknown> | undefined;
        if (rawAttrs) for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
        out.push({ name: key, attrs, children: convert(value) });
      }
    }
  }
  return out;
}

/** Parses a document and returns its root element; refuses DTDs and malformed XML with a clear message. */
export function parseXml(text: string, what = 'The file'): XElement {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new UnreadableFile(`${what} has a DOCTYPE or entity declarations; they are refused (no DTDs, no external or custom entities)`);
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) {
    throw new UnreadableFile(`${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (err) {
    // The parser's own limits (tags nested over a hundred deep) are the file's fault.
    throw new UnreadableFile(`${what} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const root = convert(parsed).find(isElement);
  if (!root) throw new UnreadableFile(`${what} has no root element`);
  return root;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; any other `&name;` stays as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

export function attr(el: XElement, name: string): string | undefined {
  const v = el.attrs[name];
  return v === undefined ? undefined : decodeEntities(v);
}

export function elements(el: XElement | undefined, name?: string): XElement[] {
  if (!el) return [];
  return el.children.filter((c): c is XElement => isElement(c) && (name === undefined || c.name === name));
}

export function child(el: XElement | undefined, name: string): XElement | undefined {
  return el?.children.find((c): c is XElement => isElement(c) && c.name === name);
}

/** Depth-first search for elements matching a test. */
export function findAll(el: XElement, test: (e: XElement) => boolean, out: XElement[] = []): XElement[] {
  for (const c of el.children) {
    if (!isElement(c)) continue;
    if (test(c)) out.push(c);
    findAll(c, test, out);
  }
  return out;
}

/** The text content (entities decoded, CDATA as is), of this element and its descendants. */
export function textOf(el: XElement | undefined): string {
  if (!el) return '';
  let s = '';
  for (const c of el.children) {
    if ('text' in c) s += decodeEntities(c.text);
    else if ('cdata' in c) s += c.cdata;
    else if (isElement(c)) s += textOf(c);
  }
  return s;
}

const VOID = new Set(['br', 'img', 'hr', 'col', 'area', 'input', 'wbr', 'source', 'meta', 'link']);

/**
 * The markup of an element's children as HTML: text keeps its entities as
 * written, CDATA is escaped, comments dropped. `replace` may substitute any
 * element (interactions become cloze markers, for instance).
 */
export function innerXml(el: XElement, replace?: (e: XElement) => string | undefined): string {
  let s = '';
  for (const c of el.children) s += nodeXml(c, replace);
  return s;
}

export function outerXml(el: XElement, replace?: (e: XElement) => string | undefined): string {
  return nodeXml(el, replace);
}

function nodeXml(c: XNode, replace?: (e: XElement) => string | undefined): string {
  if ('text' in c) return c.text;
  if ('cdata' in c) return escapeXml(c.cdata);
  if ('comment' in c) return '';
  const substitute = replace?.(c);
  if (substitute !== undefined) return substitute;
  const attrs = Object.entries(c.attrs)
    .map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`)
    .join('');
  if (c.children.length === 0 && VOID.has(c.name)) return `<${c.name}${attrs} />`;
  return `<${c.name}${attrs}>${innerXml(c, replace)}</${c.name}>`;
}

/** Escapes text for an XML text node or a double-quoted attribute. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text in a CDATA section; a `]]>` inside is split across two sections. */
export function cdata(s: string): string {
  return `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/**
 * Line of each start tag `<name` in document order, ignoring CDATA sections
 * and comments (so a stem quoting the tag does not shift the count).
 */
export function tagLines(text: string, name: string): number[] {
  const blanked = text.replace(/<!\[CDATA\[[\s\S]*?]]>|<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  const lines: number[] = [];
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}[\\s/>]`, 'g');
  let line = 1;
  let last = 0;
  for (const m of blanked.matchAll(re)) {
    for (let i = last; i < m.index; i++) if (blanked.charCodeAt(i) === 10) line++;
    last = m.index;
    lines.push(line);
  }
  return lines;
}
