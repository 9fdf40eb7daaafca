import {
  BorderStyle,
  ImageRun,
  ImportedXmlComponent,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
  type IParagraphOptions,
  type ParagraphChild,
} from 'docx';
import { decodeEntities } from '../xml.js';
import { latexToOmml } from './omml-write.js';

/**
 * The bank's rich text (the sanitised HTML subset of docs/item-types.md,
 * with `\( … \)` and `\[ … \]` maths) as Word content: paragraphs with
 * bold, italic, underline, sub- and superscript runs, Word equations,
 * pictures and tables. The HTML has been sanitised by the bank, so a plain
 * tag scanner reads it; anything outside the subset contributes its text.
 */

type Format = { b?: boolean; i?: boolean; u?: boolean; sub?: boolean; sup?: boolean; code?: boolean };

type Inline =
  | { kind: 'text'; text: string; format: Format }
  | { kind: 'math'; tex: string }
  | { kind: 'image'; src: string; width?: number; height?: number }
  | { kind: 'break' };

type RichBlock = { kind: 'para'; inlines: Inline[]; list?: string } | { kind: 'display'; tex: string } | { kind: 'table'; rows: RichBlock[][][] };

/** A picture's bytes for Word; only data: URLs are resolved unless the caller knows more. */
export interface PictureData {
  data: Uint8Array;
  type: 'png' | 'jpg' | 'gif' | 'bmp';
}

export interface RichOptions {
  /** Resolves a picture's `src`; the default reads data: URLs (the bank's form of pictures). */
  picture?: (src: string) => PictureData | undefined;
  /** Widest a picture may print, in pixels at 96 dpi. @defaultValue 500 (about 13 cm) */
  maxImageWidth?: number;
}

const MATH = /\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*?)(\/?)>/g;
const BLOCK_TAGS = new Set(['p', 'div', 'li', 'ul', 'ol', 'table', 'thead', 'tbody', 'tr', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'blockquote']);
const TYPES: Record<string, PictureData['type']> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/jpg': 'jpg', 'image/gif': 'gif', 'image/bmp': 'bmp' };

function attrOf(attrs: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
  if (!m) return undefined;
  return decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
}

function htmlDecode(s: string): string {
  return decodeEntities(s.replace(/&nbsp;/g, '\u00a0'));
}

/** Text with its maths cut out as math atoms. */
function textInlines(text: string, format: Format, out: Inline[], blocks: () => void, display: (tex: string) => void): void {
  let last = 0;
  for (const m of text.matchAll(MATH)) {
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index), format });
    if (m[1] !== undefined) out.push({ kind: 'math', tex: m[1] });
    else {
      blocks();
      display(m[2]!);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last), format });
}

/** Reads the HTML into blocks of inlines. */
function parse(html: string): RichBlock[] {
  const root: RichBlock[] = [];
  const containers: RichBlock[][] = [root];
  const tables: { rows: RichBlock[][][] }[] = [];
  const lists: string[] = [];
  const formats: Format[] = [{}];
  let para: Inline[] = [];
  let listLabel: string | undefined;
  const counters: number[] = [];

  const target = () => containers[containers.length - 1]!;
  const flush = () => {
    const meaningful = para.some((i) => i.kind !== 'text' || i.text.trim() !== '');
    if (meaningful) target().push({ kind: 'para', inlines: para, ...(listLabel ? { list: listLabel } : {}) });
    para = [];
    listLabel = undefined;
  };
  const display = (tex: string) => target().push({ kind: 'display', tex });
  const format = () => formats[formats.length - 1]!;

  let last = 0;
  const text = (s: string) => {
    const decoded = htmlDecode(s).replace(/[\r\n\t]+/g, ' ');
    if (decoded !== '') textInlines(decoded, format(), para, flush, display);
  };
  for (const m of html.matchAll(TAG)) {
    if (m.index > last) text(html.slice(last, m.index));
    last = m.index + m[0].length;
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    const attrs = m[3] ?? '';
    if (BLOCK_TAGS.has(name) || name === 'br' || name === 'img') {
      switch (name) {
        case 'br':
          para.push({ kind: 'break' });
          continue;
        case 'img': {
          const src = attrOf(attrs, 'src');
          const width = Number(attrOf(attrs, 'width'));
          const height = Number(attrOf(attrs, 'height'));
          if (src) para.push({ kind: 'image', src, ...(width > 0 ? { width } : {}), ...(height > 0 ? { height } : {}) });
          continue;
        }
        case 'table':
          flush();
          if (closing) {
            const t = tables.pop();
            if (t) target().push({ kind: 'table', rows: t.rows });
          } else tables.push({ rows: [] });
          continue;
        case 'tr':
          flush();
          if (!closing) tables[tables.length - 1]?.rows.push([]);
          continue;
        case 'td':
        case 'th': {
          flush();
          const rows = tables[tables.length - 1]?.rows;
          if (!closing) {
            const cell: RichBlock[] = [];
            rows?.[rows.length - 1]?.push(cell);
            containers.push(cell);
            if (name === 'th') formats.push({ ...format(), b: true });
          } else if (containers.length > 1) {
            containers.pop();
            if (name === 'th') formats.pop();
          }
          continue;
        }
        case 'ul':
        case 'ol':
          flush();
          if (closing) {
            lists.pop();
            counters.pop();
          } else {
            lists.push(name);
            counters.push(0);
          }
          continue;
        case 'li':
          flush();
          if (!closing) {
            const n = (counters[counters.length - 1] ?? 0) + 1;
            if (counters.length) counters[counters.length - 1] = n;
            listLabel = lists[lists.length - 1] === 'ol' ? `${n}. ` : '• ';
          }
          continue;
        default:
          flush();
          continue;
      }
    }
    const key: Partial<Record<string, keyof Format>> = { b: 'b', strong: 'b', i: 'i', em: 'i', u: 'u', sub: 'sub', sup: 'sup', code: 'code' };
    const f = key[name];
    if (!f) continue;
    if (closing) {
      if (formats.length > 1) formats.pop();
    } else if (m[4] !== '/') formats.push({ ...format(), [f]: true });
  }
  if (last < html.length) text(html.slice(last));
  flush();
  while (tables.length) root.push({ kind: 'table', rows: tables.shift()!.rows });
  return root;
}

/** Width and height of a PNG, GIF or JPEG from its header. */
export function imageSize(data: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 24 && data[0] === 0x89 && data[1] === 0x50) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (data.length >= 10 && data[0] === 0x47 && data[1] === 0x49) return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let at = 2;
    while (at + 9 < data.length) {
      if (data[at] !== 0xff) return undefined;
      const marker = data[at + 1]!;
      const length = view.getUint16(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
      at += 2 + length;
    }
  }
  return undefined;
}

/** A picture of a web format (its MIME type) as Word takes it; undefined for formats Word does not embed. */
export function pictureOf(mime: string, data: Uint8Array): PictureData | undefined {
  const type = TYPES[mime.toLowerCase()];
  return type ? { type, data } : undefined;
}

/** Pictures the bank stores: data: URLs of web formats. */
export function dataUrlPicture(src: string): PictureData | undefined {
  const m = /^data:([a-z/+.-]+);base64,([A-Za-z0-9+/=\s]+)$/i.exec(src);
  if (!m) return undefined;
  const type = TYPES[m[1]!.toLowerCase()];
  return type ? { type, data: Buffer.from(m[2]!, 'base64') } : undefined;
}

const parsed = new Map<string, ParagraphChild>();
const MAX_PARSED = 4000;

/**
 * An OMML fragment as a paragraph child (the writer has no typed equation
 * objects for everything OMML can say). Parsed once per distinct equation:
 * the component only describes XML, so every paper of an exam shares it.
 */
export function ommlChild(omml: string): ParagraphChild {
  const hit = parsed.get(omml);
  if (hit) return hit;
  const child = ImportedXmlComponent.fromXmlString(omml) as unknown as ParagraphChild;
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  parsed.set(omml, child);
  return child;
}

function inlineChildren(inlines: Inline[], options: RichOptions): ParagraphChild[] {
  const out: ParagraphChild[] = [];
  const picture = options.picture ?? dataUrlPicture;
  const maxWidth = options.maxImageWidth ?? 500;
  for (const a of inlines) {
    switch (a.kind) {
      case 'text':
        out.push(
          new TextRun({
            text: a.text,
            ...(a.format.b ? { bold: true } : {}),
            ...(a.format.i ? { italics: true } : {}),
            ...(a.format.u ? { underline: {} } : {}),
            ...(a.format.sub ? { subScript: true } : {}),
            ...(a.format.sup ? { superScript: true } : {}),
            ...(a.format.code ? { font: 'Courier New' } : {}),
          }),
        );
        break;
      case 'math':
        out.push(ommlChild(latexToOmml(a.tex, false)));
        break;
      case 'break':
        out.push(new TextRun({ break: 1 }));
        break;
      case 'image': {
        const pic = picture(a.src);
        if (!pic) {
          out.push(new TextRun({ text: '[hình]', italics: true }));
          break;
        }
        const natural = imageSize(pic.data) ?? { width: 200, height: 150 };
        let width = a.width ?? (a.height ? Math.round((natural.width * a.height) / natural.height) : natural.width);
        let height = a.height ?? (a.width ? Math.round((natural.height * a.width) / natural.width) : natural.height);
        if (width > maxWidth) {
          height = Math.round((height * maxWidth) / width);
          width = maxWidth;
        }
        out.push(new ImageRun({ type: pic.type, data: pic.data, transformation: { width: Math.max(1, width), height: Math.max(1, height) } } as ConstructorParameters<typeof ImageRun>[0]));
        break;
      }
    }
  }
  return out;
}

const CELL_BORDER = { style: BorderStyle.SINGLE, size: 4, color: '000000' };

function renderBlocks(blocks: RichBlock[], options: RichOptions, lead: ParagraphChild[], paragraph: Omit<IParagraphOptions, 'children'>): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = [];
  let pendingLead = lead;
  const takeLead = () => {
    const l = pendingLead;
    pendingLead = [];
    return l;
  };
  for (const b of blocks) {
    if (b.kind === 'para') {
      const label = b.list ? [new TextRun(b.list)] : [];
      out.push(new Paragraph({ ...paragraph, children: [...takeLead(), ...label, ...inlineChildren(b.inlines, options)] }));
    } else if (b.kind === 'display') {
      if (pendingLead.length) out.push(new Paragraph({ ...paragraph, children: takeLead() }));
      out.push(new Paragraph({ ...paragraph, children: [ommlChild(latexToOmml(b.tex, true))] }));
    } else {
      if (pendingLead.length) out.push(new Paragraph({ ...paragraph, children: takeLead() }));
      const columns = Math.max(1, ...b.rows.map((r) => r.length));
      const rows = b.rows
        .filter((r) => r.length > 0)
        .map(
          (r) =>
            new TableRow({
              children: [...r, ...Array.from({ length: columns - r.length }, () => [] as RichBlock[])].map((cell) => {
                const content = renderBlocks(cell, options, [], {});
                return new TableCell({
                  borders: { top: CELL_BORDER, bottom: CELL_BORDER, left: CELL_BORDER, right: CELL_BORDER },
                  children: content.length ? content : [new Paragraph({})],
                });
              }),
            }),
        );
      if (rows.length) out.push(new Table({ rows, width: { size: 100, type: WidthType.PERCENTAGE } }));
      // Word needs a paragraph between a table and what follows it in a cell or after a question.
      out.push(new Paragraph({}));
    }
  }
  if (pendingLead.length) out.push(new Paragraph({ ...paragraph, children: pendingLead }));
  return out;
}

/** Rich text as Word blocks; `lead` (a question number) starts the first paragraph. */
export function richBlocks(html: string, options: RichOptions = {}, lead: ParagraphChild[] = [], paragraph: Omit<IParagraphOptions, 'children'> = {}): (Paragraph | Table)[] {
  return renderBlocks(parse(html), options, lead, paragraph);
}

/**
 * Rich text as the runs of one paragraph (options, statements): paragraphs
 * become line breaks, display maths an inline equation, tables their text.
 */
export function richInline(html: string, options: RichOptions = {}): ParagraphChild[] {
  const out: Inline[] = [];
  const walk = (blocks: RichBlock[]) => {
    for (const b of blocks) {
      if (out.length) out.push({ kind: 'break' });
      if (b.kind === 'para') out.push(...(b.list ? [{ kind: 'text' as const, text: b.list, format: {} }] : []), ...b.inlines);
      else if (b.kind === 'display') out.push({ kind: 'math', tex: b.tex });
      else for (const r of b.rows) walk(r.flat());
    }
  };
  walk(parse(html));
  return inlineChildren(out, options);
}

/** Whether rich text is short enough to share a line with others (options laid out in columns). */
export function plainLength(html: string): number {
  if (/<(img|table|br|li)\b|\\\[/i.test(html)) return Number.POSITIVE_INFINITY;
  const text = htmlDecode(html.replace(/<[^>]+>/g, '')).replace(MATH, (_m, a: string | undefined) => (a ?? '').replace(/\\[a-z]+|[{}^_ ]/gi, '').padEnd(1, 'x'));
  return [...text.trim()].length;
}
