import { escapeHtml } from '../model.js';

/**
 * A line of a Word document as the exam reader sees it: text runs with the
 * formatting that can mark a key (bold, underline, colour, highlight), maths,
 * pictures and tabs. `plain` is the line as a string, one character per tab
 * and per object (U+FFFC), so the grammar matches labels with regular
 * expressions and then slices the line by the same offsets.
 */

export interface Style {
  b?: boolean;
  i?: boolean;
  u?: boolean;
  /** Hex RGB in upper case, without `#`; absent for automatic (black). */
  color?: string;
  /** Highlight or shading colour name/hex; absent when none. */
  highlight?: string;
  sub?: boolean;
  sup?: boolean;
}

export interface ImageRef {
  /** Name of the picture among the result's media. */
  name: string;
  width?: number;
  height?: number;
}

export type Atom =
  | { kind: 'text'; text: string; style: Style }
  | { kind: 'tab' }
  | { kind: 'math'; latex: string; display: boolean }
  | { kind: 'image'; image: ImageRef };

export const OBJECT = '\uFFFC';

function plainOf(a: Atom): string {
  switch (a.kind) {
    case 'text':
      return a.text;
    case 'tab':
      return '\t';
    default:
      return OBJECT;
  }
}

/** Which formatting features a piece of text shows; the key detection compares these between options. */
export interface Marks {
  u: boolean;
  b: boolean;
  red: boolean;
  highlight: string | undefined;
  color: string | undefined;
}

/** True for a colour a reader calls red (the usual key colour): strong red, weak green and blue. */
export function isRed(hex: string | undefined): boolean {
  if (!hex || !/^[0-9A-F]{6}$/.test(hex)) return false;
  const r = Number.parseInt(hex.slice(0, 2), 16);
  const g = Number.parseInt(hex.slice(2, 4), 16);
  const b = Number.parseInt(hex.slice(4, 6), 16);
  return r >= 0xa0 && g <= 0x60 && b <= 0x60;
}

export class Rich {
  readonly plain: string;
  private readonly starts: number[];

  constructor(readonly atoms: readonly Atom[]) {
    let offset = 0;
    this.starts = atoms.map((a) => {
      const s = offset;
      offset += plainOf(a).length;
      return s;
    });
    this.plain = atoms.map(plainOf).join('');
  }

  static empty(): Rich {
    return new Rich([]);
  }

  get length(): number {
    return this.plain.length;
  }

  /** The part of the line between two offsets of `plain`. */
  slice(from: number, to = this.plain.length): Rich {
    const out: Atom[] = [];
    this.atoms.forEach((a, i) => {
      const start = this.starts[i]!;
      const end = start + plainOf(a).length;
      if (end <= from || start >= to) return;
      if (a.kind === 'text') {
        const text = a.text.slice(Math.max(0, from - start), Math.min(a.text.length, to - start));
        if (text !== '') out.push({ kind: 'text', text, style: a.style });
      } else out.push(a);
    });
    return new Rich(out);
  }

  /** Without leading and trailing whitespace (tabs included). */
  trim(): Rich {
    const start = this.plain.search(/\S/);
    if (start === -1) return Rich.empty();
    const end = this.plain.length - (this.plain.length - this.plain.trimEnd().length);
    return this.slice(start, end);
  }

  /** The line with `from..to` replaced by one atom. */
  replace(from: number, to: number, atom: Atom): Rich {
    return new Rich([...this.slice(0, from).atoms, atom, ...this.slice(to).atoms]);
  }

  concat(other: Rich): Rich {
    return new Rich([...this.atoms, ...other.atoms]);
  }

  get isBlank(): boolean {
    return this.plain.trim() === '';
  }

  get hasObjects(): boolean {
    return this.atoms.some((a) => a.kind === 'math' || a.kind === 'image');
  }

  /** Formatting features shown by the non-blank text of the line (a feature counts when any visible text has it). */
  marks(): Marks {
    const m: Marks = { u: false, b: false, red: false, highlight: undefined, color: undefined };
    for (const a of this.atoms) {
      if (a.kind !== 'text' || a.text.trim() === '') continue;
      if (a.style.u) m.u = true;
      if (a.style.b) m.b = true;
      if (isRed(a.style.color)) m.red = true;
      if (a.style.highlight && m.highlight === undefined) m.highlight = a.style.highlight;
      if (a.style.color && m.color === undefined) m.color = a.style.color;
    }
    return m;
  }

  /** HTML in the bank's subset; `strip` drops formatting that served as a key mark so the key cannot show. */
  html(render: (image: ImageRef) => string, strip: ReadonlySet<'u' | 'b'> = NONE): string {
    // Bold or italics over all the text is the paper's typeface (a bold paper, an italic instruction), not emphasis.
    const visible = this.atoms.filter((a): a is Extract<Atom, { kind: 'text' }> => a.kind === 'text' && a.text.trim() !== '');
    const allBold = visible.length > 0 && visible.every((a) => a.style.b);
    const allItalic = visible.length > 0 && visible.every((a) => a.style.i);
    let out = '';
    for (const a of this.atoms) {
      switch (a.kind) {
        case 'text': {
          let s = escapeHtml(a.text);
          if (a.style.sub) s = `<sub>${s}</sub>`;
          else if (a.style.sup) s = `<sup>${s}</sup>`;
          if (a.style.u && !strip.has('u') && a.text.trim() !== '') s = `<u>${s}</u>`;
          if (a.style.i && !allItalic && a.text.trim() !== '') s = `<i>${s}</i>`;
          if (a.style.b && !allBold && !strip.has('b') && a.text.trim() !== '') s = `<b>${s}</b>`;
          out += s;
          break;
        }
        case 'tab':
          out += ' ';
          break;
        case 'math':
          out += escapeHtml(a.display ? `\\[${a.latex}\\]` : `\\(${a.latex}\\)`);
          break;
        case 'image':
          out += render(a.image);
          break;
      }
    }
    // Adjacent runs with the same formatting read better as one element.
    return out.replace(/<\/(b|i|u|sub|sup)><\1>/g, '').replace(/[ \t]{2,}/g, ' ');
  }
}

const NONE: ReadonlySet<'u' | 'b'> = new Set();
