import path from 'node:path/posix';
import { mathmlToLatex } from '../mathml-latex.js';
import { attr, child, elements, isElement, textOf, type XElement } from '../xml.js';
import { findMathml } from './ole.js';
import { ommlToLatex } from './omml.js';
import type { DocxPackage, Relationship } from './package.js';
import { Rich, type Atom, type ImageRef, type Style } from './rich.js';

/**
 * The body of a Word document as blocks: lines (a paragraph, split at its
 * line breaks) and tables (cells of lines). Numbering Word adds by itself
 * ("Câu 1.", "A.") is written into the line, maths become LaTeX, pictures
 * are collected once each, and a MathType object becomes maths when it
 * carries MathML, else its preview picture with a note.
 */

export type Block = { kind: 'line'; line: Rich } | { kind: 'table'; rows: Rich[][][] };

export interface Media {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface DocumentContent {
  blocks: Block[];
  media: Media[];
  /** Warnings by picture name (MathType previews, unreadable pictures). */
  notes: Map<string, string>;
  /** Document-wide warnings (text boxes not read, linked pictures). */
  warnings: string[];
}

// ----------------------------------------------------------- styles

interface StyleDef {
  basedOn?: string;
  rPr?: XElement;
  numPr?: XElement;
}

function readStyles(pkg: DocxPackage): Map<string, StyleDef> {
  const out = new Map<string, StyleDef>();
  const root = pkg.xml('word/styles.xml');
  for (const s of elements(root, 'style')) {
    const id = attr(s, 'styleId');
    if (!id) continue;
    out.set(id, { basedOn: attr(child(s, 'basedOn') ?? EMPTY, 'val'), rPr: child(s, 'rPr'), numPr: child(child(s, 'pPr'), 'numPr') });
  }
  return out;
}

function onOff(el: XElement | undefined): boolean | undefined {
  if (!el) return undefined;
  const v = attr(el, 'val');
  return v === undefined || !(v === '0' || v === 'false' || v === 'off');
}

/** Applies the run properties of `rPr` over `base`. */
function applyRPr(base: Style, rPr: XElement | undefined): Style {
  if (!rPr) return base;
  const s: Style = { ...base };
  const b = onOff(child(rPr, 'b'));
  if (b !== undefined) s.b = b;
  const i = onOff(child(rPr, 'i'));
  if (i !== undefined) s.i = i;
  const u = child(rPr, 'u');
  if (u) s.u = (attr(u, 'val') ?? 'single') !== 'none';
  const color = attr(child(rPr, 'color') ?? EMPTY, 'val');
  if (color !== undefined) s.color = color === 'auto' || /^0{6}$/.test(color) ? undefined : color.toUpperCase();
  const hl = attr(child(rPr, 'highlight') ?? EMPTY, 'val');
  if (hl !== undefined) s.highlight = hl === 'none' ? undefined : hl;
  const fill = attr(child(rPr, 'shd') ?? EMPTY, 'fill');
  if (fill !== undefined && fill !== 'auto' && !/^F{6}$/i.test(fill) && s.highlight === undefined) s.highlight = fill.toUpperCase();
  const va = attr(child(rPr, 'vertAlign') ?? EMPTY, 'val');
  if (va !== undefined) {
    s.sup = va === 'superscript';
    s.sub = va === 'subscript';
  }
  return s;
}

const EMPTY: XElement = { name: '', attrs: {}, children: [] };

// -------------------------------------------------------- numbering

interface Level {
  format: string;
  text: string;
  start: number;
  rPr?: XElement;
}

class Numbering {
  private readonly levels = new Map<string, Map<number, Level>>();
  private readonly abstractOf = new Map<string, string>();
  private readonly overrides = new Map<string, Map<number, number>>();
  private readonly counters = new Map<string, number[]>();

  constructor(pkg: DocxPackage) {
    const root = pkg.xml('word/numbering.xml');
    for (const a of elements(root, 'abstractNum')) {
      const levels = new Map<number, Level>();
      for (const l of elements(a, 'lvl')) {
        levels.set(Number(attr(l, 'ilvl') ?? 0), {
          format: attr(child(l, 'numFmt') ?? EMPTY, 'val') ?? 'decimal',
          text: attr(child(l, 'lvlText') ?? EMPTY, 'val') ?? '',
          start: Number(attr(child(l, 'start') ?? EMPTY, 'val') ?? 1),
          rPr: child(l, 'rPr'),
        });
      }
      this.levels.set(attr(a, 'abstractNumId') ?? '', levels);
    }
    for (const n of elements(root, 'num')) {
      const id = attr(n, 'numId') ?? '';
      this.abstractOf.set(id, attr(child(n, 'abstractNumId') ?? EMPTY, 'val') ?? '');
      const starts = new Map<number, number>();
      for (const o of elements(n, 'lvlOverride')) {
        const start = attr(child(o, 'startOverride') ?? EMPTY, 'val');
        if (start !== undefined) starts.set(Number(attr(o, 'ilvl') ?? 0), Number(start));
      }
      this.overrides.set(id, starts);
    }
  }

  /** The label Word shows for the next paragraph of list `numId` at `ilvl`, and its formatting. */
  next(numId: string, ilvl: number): { label: string; rPr?: XElement } | undefined {
    const abstract = this.abstractOf.get(numId);
    const levels = abstract === undefined ? undefined : this.levels.get(abstract);
    const level = levels?.get(ilvl);
    if (!levels || !level || numId === '0') return undefined;
    // Lists sharing an abstract definition continue one numbering, as Word does.
    const key = abstract!;
    const counts = this.counters.get(key) ?? [];
    for (let l = 0; l <= ilvl; l++) {
      if (counts[l] === undefined) counts[l] = (this.overrides.get(numId)?.get(l) ?? levels.get(l)?.start ?? 1) - 1;
    }
    counts[ilvl]! += 1;
    counts.length = ilvl + 1;
    this.counters.set(key, counts);
    if (level.format === 'bullet' || level.format === 'none') return undefined;
    const label = level.text.replace(/%(\d)/g, (_, d: string) => {
      const l = Number(d) - 1;
      return formatNumber(counts[l] ?? 1, levels.get(l)?.format ?? 'decimal');
    });
    return { label, rPr: level.rPr };
  }
}

function formatNumber(n: number, format: string): string {
  switch (format) {
    case 'upperLetter':
      return String.fromCharCode(64 + (((n - 1) % 26) + 1));
    case 'lowerLetter':
      return String.fromCharCode(96 + (((n - 1) % 26) + 1));
    case 'upperRoman':
      return roman(n);
    case 'lowerRoman':
      return roman(n).toLowerCase();
    default:
      return String(n);
  }
}

function roman(n: number): string {
  const table: [number, string][] = [[1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'], [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];
  let out = '';
  let rest = n;
  for (const [v, s] of table) while (rest >= v) { out += s; rest -= v; }
  return out;
}

// ------------------------------------------------- symbol fonts

/** The Symbol font's code points that exam documents use, as Unicode. */
const SYMBOL_FONT: Record<number, string> = {
  0x22: '∀', 0x24: '∃', 0x2b: '+', 0x2d: '−', 0x3c: '<', 0x3d: '=', 0x3e: '>', 0x5c: '∴', 0x5e: '⊥', 0x7e: '∼',
  0x41: 'Α', 0x42: 'Β', 0x43: 'Χ', 0x44: 'Δ', 0x45: 'Ε', 0x46: 'Φ', 0x47: 'Γ', 0x48: 'Η', 0x49: 'Ι', 0x4b: 'Κ',
  0x4c: 'Λ', 0x4d: 'Μ', 0x4e: 'Ν', 0x4f: 'Ο', 0x50: 'Π', 0x51: 'Θ', 0x52: 'Ρ', 0x53: 'Σ', 0x54: 'Τ', 0x55: 'Υ',
  0x57: 'Ω', 0x58: 'Ξ', 0x59: 'Ψ', 0x5a: 'Ζ', 0x61: 'α', 0x62: 'β', 0x63: 'χ', 0x64: 'δ', 0x65: 'ε', 0x66: 'φ',
  0x67: 'γ', 0x68: 'η', 0x69: 'ι', 0x6a: 'ϕ', 0x6b: 'κ', 0x6c: 'λ', 0x6d: 'μ', 0x6e: 'ν', 0x6f: 'ο', 0x70: 'π',
  0x71: 'θ', 0x72: 'ρ', 0x73: 'σ', 0x74: 'τ', 0x75: 'υ', 0x76: 'ϖ', 0x77: 'ω', 0x78: 'ξ', 0x79: 'ψ', 0x7a: 'ζ',
  0xa2: '′', 0xa3: '≤', 0xa5: '∞', 0xab: '↔', 0xac: '←', 0xad: '↑', 0xae: '→', 0xaf: '↓', 0xb0: '°', 0xb1: '±',
  0xb2: '″', 0xb3: '≥', 0xb4: '×', 0xb6: '∂', 0xb7: '•', 0xb8: '÷', 0xb9: '≠', 0xba: '≡', 0xbb: '≈', 0xbc: '…',
  0xc6: '∅', 0xc7: '∩', 0xc8: '∪', 0xc9: '⊃', 0xca: '⊇', 0xcc: '⊂', 0xcd: '⊆', 0xce: '∈', 0xcf: '∉', 0xd0: '∠',
  0xd1: '∇', 0xd5: '∏', 0xd6: '√', 0xd7: '⋅', 0xdb: '⇔', 0xdc: '⇐', 0xde: '⇒', 0xe5: '∑', 0xf2: '∫',
};

function symbolChar(sym: XElement): string {
  const code = Number.parseInt(attr(sym, 'char') ?? '', 16);
  if (Number.isNaN(code)) return '';
  const font = (attr(sym, 'font') ?? '').toLowerCase();
  const low = code >= 0xf000 ? code - 0xf000 : code;
  if (font === 'symbol') return SYMBOL_FONT[low] ?? '';
  return code >= 0xf000 ? '' : String.fromCodePoint(code);
}

// ----------------------------------------------------------- walker

const EMU_PER_PX = 9525;

class Walker {
  private readonly styles: Map<string, StyleDef>;
  private readonly numbering: Numbering;
  private readonly rels: Map<string, Relationship>;
  readonly media: Media[] = [];
  private readonly mediaByPart = new Map<string, string>();
  readonly notes = new Map<string, string>();
  readonly warnings: string[] = [];
  private textBoxes = 0;
  private linked = 0;

  constructor(private readonly pkg: DocxPackage) {
    this.styles = readStyles(pkg);
    this.numbering = new Numbering(pkg);
    this.rels = pkg.relationships(pkg.documentPath);
  }

  /** The style a style id resolves to, following basedOn (bounded: style chains can loop in broken files). */
  private styleRPr(id: string | undefined, base: Style): Style {
    const chain: XElement[] = [];
    let cur = id;
    for (let i = 0; cur && i < 20; i++) {
      const def = this.styles.get(cur);
      if (!def) break;
      if (def.rPr) chain.unshift(def.rPr);
      cur = def.basedOn;
    }
    return chain.reduce((s, rPr) => applyRPr(s, rPr), base);
  }

  private styleNumPr(id: string | undefined): XElement | undefined {
    let cur = id;
    for (let i = 0; cur && i < 20; i++) {
      const def = this.styles.get(cur);
      if (!def) return undefined;
      if (def.numPr) return def.numPr;
      cur = def.basedOn;
    }
    return undefined;
  }

  body(): Block[] {
    const doc = this.pkg.xml(this.pkg.documentPath)!;
    const body = child(doc, 'body') ?? doc;
    const out: Block[] = [];
    this.blocks(body, out);
    if (this.textBoxes) this.warnings.push(`${this.textBoxes} text box(es) were not read: text in text boxes and shapes is not part of a question`);
    if (this.linked) this.warnings.push(`${this.linked} linked picture(s) point outside the file and were left out`);
    return out;
  }

  private blocks(container: XElement, out: Block[]): void {
    for (const el of container.children) {
      if (!isElement(el)) continue;
      if (el.name === 'p') for (const line of this.paragraph(el)) out.push({ kind: 'line', line });
      else if (el.name === 'tbl') out.push({ kind: 'table', rows: this.table(el) });
      else if (el.name === 'sdt') this.blocks(child(el, 'sdtContent') ?? EMPTY, out);
      else if (el.name === 'customXml' || el.name === 'ins' || el.name === 'smartTag') this.blocks(el, out);
      else if (el.name === 'AlternateContent') this.blocks(child(el, 'Choice') ?? child(el, 'Fallback') ?? EMPTY, out);
    }
  }

  private table(tbl: XElement): Rich[][][] {
    return elements(tbl, 'tr').map((tr) =>
      [...elements(tr, 'tc'), ...elements(tr, 'sdt').flatMap((s) => elements(child(s, 'sdtContent'), 'tc'))].map((tc) => {
        const inner: Block[] = [];
        this.blocks(tc, inner);
        // A table inside a cell is read row by row, its cells as lines.
        return inner.flatMap((b) => (b.kind === 'line' ? [b.line] : b.rows.flatMap((r) => r.flat())));
      }),
    );
  }

  private paragraph(p: XElement): Rich[] {
    const pPr = child(p, 'pPr');
    const pStyle = attr(child(pPr, 'pStyle') ?? EMPTY, 'val');
    const base = this.styleRPr(pStyle, {});
    const atoms: Atom[] = [];
    const numPr = child(pPr, 'numPr') ?? this.styleNumPr(pStyle);
    if (numPr) {
      const numId = attr(child(numPr, 'numId') ?? EMPTY, 'val');
      const ilvl = Number(attr(child(numPr, 'ilvl') ?? EMPTY, 'val') ?? 0);
      const label = numId === undefined ? undefined : this.numbering.next(numId, ilvl);
      if (label) atoms.push({ kind: 'text', text: `${label.label} `, style: applyRPr(applyRPr(base, child(pPr, 'rPr')), label.rPr) });
    }
    const lines: Atom[][] = [atoms];
    this.inline(p, base, lines);
    return lines.map((l) => new Rich(l));
  }

  /** Adds the inline content of `el` to the last line; a line break starts a new one. */
  private inline(el: XElement, style: Style, lines: Atom[][]): void {
    const push = (a: Atom) => lines[lines.length - 1]!.push(a);
    for (const c of el.children) {
      if (!isElement(c)) continue;
      switch (c.name) {
        case 'r':
          this.run(c, style, lines);
          break;
        case 'oMath':
          push({ kind: 'math', latex: ommlToLatex(c), display: false });
          break;
        case 'oMathPara':
          for (const m of elements(c, 'oMath')) push({ kind: 'math', latex: ommlToLatex(m), display: true });
          break;
        case 'hyperlink':
        case 'ins':
        case 'smartTag':
        case 'customXml':
        case 'fldSimple':
        case 'dir':
        case 'bdo':
          this.inline(c, style, lines);
          break;
        case 'sdt':
          this.inline(child(c, 'sdtContent') ?? EMPTY, style, lines);
          break;
        case 'AlternateContent':
          this.inline(child(c, 'Choice') ?? child(c, 'Fallback') ?? EMPTY, style, lines);
          break;
        default:
          // pPr, bookmarks, proofing marks, deleted text (del), comments: nothing to read.
          break;
      }
    }
  }

  private run(r: XElement, paragraphStyle: Style, lines: Atom[][]): void {
    const rPr = child(r, 'rPr');
    const style = applyRPr(this.styleRPr(attr(child(rPr, 'rStyle') ?? EMPTY, 'val'), paragraphStyle), rPr);
    const push = (a: Atom) => lines[lines.length - 1]!.push(a);
    for (const c of r.children) {
      if (!isElement(c)) continue;
      switch (c.name) {
        case 't':
          push({ kind: 'text', text: textOf(c), style });
          break;
        case 'tab':
        case 'ptab':
          push({ kind: 'tab' });
          break;
        case 'br':
        case 'cr':
          if (attr(c, 'type') === 'page' || attr(c, 'type') === 'column') break;
          lines.push([]);
          break;
        case 'noBreakHyphen':
          push({ kind: 'text', text: '-', style });
          break;
        case 'sym': {
          const ch = symbolChar(c);
          if (ch) push({ kind: 'text', text: ch, style });
          break;
        }
        case 'drawing':
          for (const a of this.drawing(c)) push(a);
          break;
        case 'pict':
          for (const a of this.pict(c)) push(a);
          break;
        case 'object':
          for (const a of this.object(c)) push(a);
          break;
        case 'AlternateContent': {
          const chosen = child(c, 'Choice') ?? child(c, 'Fallback');
          if (chosen) this.run({ ...r, children: chosen.children }, paragraphStyle, lines);
          break;
        }
        default:
          break;
      }
    }
  }

  private countTextBoxes(el: XElement): void {
    const walk = (e: XElement) => {
      for (const c of e.children) {
        if (!isElement(c)) continue;
        if (c.name === 'txbxContent') {
          if (textOf(c).trim() !== '') this.textBoxes++;
        } else walk(c);
      }
    };
    walk(el);
  }

  private drawing(d: XElement): Atom[] {
    this.countTextBoxes(d);
    const out: Atom[] = [];
    for (const frame of d.children.filter(isElement)) {
      const extent = child(frame, 'extent');
      const width = extent ? Math.round(Number(attr(extent, 'cx') ?? 0) / EMU_PER_PX) : undefined;
      const height = extent ? Math.round(Number(attr(extent, 'cy') ?? 0) / EMU_PER_PX) : undefined;
      const blips: XElement[] = [];
      const find = (e: XElement) => {
        for (const c of e.children) if (isElement(c)) (c.name === 'blip' ? blips.push(c) : find(c));
      };
      find(frame);
      for (const blip of blips) {
        const image = this.image(attr(blip, 'embed') ?? attr(blip, 'link'), width, height);
        if (image) out.push({ kind: 'image', image });
      }
    }
    return out;
  }

  /** VML pictures (older documents, and the Fallback of newer ones). */
  private pict(p: XElement): Atom[] {
    this.countTextBoxes(p);
    const out: Atom[] = [];
    for (const shape of elements(p).filter((e) => e.name === 'shape' || e.name === 'rect')) {
      const data = child(shape, 'imagedata');
      if (!data) continue;
      const size = vmlSize(attr(shape, 'style'));
      const image = this.image(attr(data, 'id') ?? attr(data, 'relid'), size.width, size.height);
      if (image) out.push({ kind: 'image', image });
    }
    return out;
  }

  /** An embedded object: MathType (or Equation 3.0) becomes maths when it carries MathML, else its preview. */
  private object(o: XElement): Atom[] {
    const ole = child(o, 'OLEObject');
    const shape = elements(o).find((e) => e.name === 'shape');
    const data = shape && child(shape, 'imagedata');
    const progId = (ole && attr(ole, 'ProgID')) ?? '';
    const isEquation = /^Equation\./i.test(progId) || /mathtype/i.test(progId);
    if (ole && isEquation) {
      const rel = this.rels.get(attr(ole, 'id') ?? '');
      const bin = rel && !rel.external ? this.pkg.bytes(rel.target) : undefined;
      const mathml = bin ? findMathml(bin) : undefined;
      if (mathml) {
        try {
          return [{ kind: 'math', latex: mathmlToLatex(mathml), display: false }];
        } catch {
          // Unreadable MathML: the preview below stands in for it.
        }
      }
    }
    if (!data) return [];
    const size = vmlSize(shape && attr(shape, 'style'));
    const image = this.image(attr(data, 'id'), size.width, size.height);
    if (!image) return [];
    if (isEquation) {
      this.notes.set(image.name, `A ${/DSMT|mathtype/i.test(progId) ? 'MathType' : 'Microsoft Equation'} equation has no MathML in the file; its picture (${image.name}) stands in for it — retype it as a Word equation or save MathType equations with MathML`);
    } else {
      this.notes.set(image.name, `An embedded object (${progId || 'unknown type'}) is shown by its picture (${image.name})`);
    }
    return [{ kind: 'image', image }];
  }

  private image(relId: string | undefined, width?: number, height?: number): ImageRef | undefined {
    if (!relId) return undefined;
    const rel = this.rels.get(relId);
    if (!rel) return undefined;
    if (rel.external) {
      this.linked++;
      return undefined;
    }
    const bytes = this.pkg.bytes(rel.target);
    if (!bytes) return undefined;
    let name = this.mediaByPart.get(rel.target);
    if (!name) {
      const base = path.basename(rel.target);
      name = this.media.some((m) => m.name === base) ? `${this.media.length + 1}-${base}` : base;
      this.mediaByPart.set(rel.target, name);
      this.media.push({ name, contentType: this.pkg.contentType(rel.target), bytes });
    }
    return { name, ...(width ? { width } : {}), ...(height ? { height } : {}) };
  }
}

/** Width and height in CSS pixels from a VML style ("width:120pt;height:30.5pt"). */
function vmlSize(style: string | undefined): { width?: number; height?: number } {
  const out: { width?: number; height?: number } = {};
  for (const m of (style ?? '').matchAll(/(width|height)\s*:\s*([\d.]+)(pt|px|in|cm|mm)?/g)) {
    const n = Number(m[2]);
    const unit = m[3] ?? 'px';
    const px = unit === 'pt' ? (n * 4) / 3 : unit === 'in' ? n * 96 : unit === 'cm' ? (n * 96) / 2.54 : unit === 'mm' ? (n * 96) / 25.4 : n;
    out[m[1] as 'width' | 'height'] = Math.round(px);
  }
  return out;
}

/** Reads the main document of a package into blocks, with its pictures. */
export function readDocument(pkg: DocxPackage): DocumentContent {
  const w = new Walker(pkg);
  const blocks = w.body();
  return { blocks, media: w.media, notes: w.notes, warnings: w.warnings };
}
