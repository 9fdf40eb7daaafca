import {
  accentCommand,
  escapeText,
  fence,
  functionName,
  group,
  isFunctionName,
  join,
  joinAll,
  LIMIT_FUNCTIONS,
  mathChars,
  naryOperator,
  braced,
  scripted,
  symbol,
  tidy,
} from '../../text/latex-symbols.js';
import { attr, child, elements, isElement, textOf, type XElement } from '../xml.js';

/**
 * Office Math (OMML, the equations of Word 2007 and later) to LaTeX for
 * KaTeX. Works on the tree of {@link parseXml}, whose names have lost their
 * `m:` prefixes. Every OMML construct Word's equation editor offers has a
 * rule below; an element it does not know contributes its content, so
 * nothing typed is lost.
 */

/** Property `name` of a `…Pr` element: its `val` attribute, `''` when present without one. */
function prop(pr: XElement | undefined, name: string): string | undefined {
  const el = child(pr, name);
  if (!el) return undefined;
  return attr(el, 'val') ?? '';
}

/** OMML on/off properties: present without a value, or with 1/on/true. */
function flag(pr: XElement | undefined, name: string): boolean {
  const v = prop(pr, name);
  return v !== undefined && v !== '0' && v !== 'off' && v !== 'false';
}

/** The LaTeX of an argument element (`m:e`, `m:num`, `m:sub`, …): its children in order. */
function arg(el: XElement | undefined): string {
  if (!el) return '';
  return joinAll(el.children.filter(isElement).map(node));
}



/** A word with a Vietnamese letter, or two words in a row: prose, not a product of variables. */
const PROSE = /[A-Za-z]*[\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF][A-Za-z]*|[A-Za-z]{2,}\s+[A-Za-z]{2,}/;

const STYLE: Record<string, string> = { p: 'mathrm', b: 'mathbf', bi: 'boldsymbol' };
const SCRIPT: Record<string, string> = { 'double-struck': 'mathbb', script: 'mathcal', fraktur: 'mathfrak', 'sans-serif': 'mathsf', monospace: 'mathtt' };

/** A run: text, with Word's "normal text" as `\text{}` and named functions as commands. */
function run(r: XElement): string {
  const pr = child(r, 'rPr');
  const text = elements(r)
    .filter((e) => e.name === 't')
    .map((t) => textOf(t))
    .join('');
  if (text === '') return '';
  // Word's "normal text" inside an equation ("khi", "với"), and words anyone reads as prose.
  if ((flag(pr, 'nor') && /[A-Za-z]/.test(text)) || PROSE.test(text)) return `\\text{${escapeText(text)}}`;
  const word = text.trim();
  if (isFunctionName(word)) return functionName(word);
  let latex = mathChars(text);
  const scr = prop(pr, 'scr');
  const sty = prop(pr, 'sty');
  if (scr !== undefined && SCRIPT[scr]) latex = `\\${SCRIPT[scr]}{${latex}}`;
  else if (sty !== undefined && STYLE[sty] && /[A-Za-z]/.test(text)) latex = `\\${STYLE[sty]}{${latex}}`;
  return latex;
}

function fraction(f: XElement): string {
  const type = prop(child(f, 'fPr'), 'type');
  const num = arg(child(f, 'num'));
  const den = arg(child(f, 'den'));
  if (type === 'lin') return `${braced(num)}/${braced(den)}`;
  if (type === 'noBar') return `{${num} \\atop ${den}}`;
  return `\\frac${group(num)}${group(den)}`;
}

function radical(r: XElement): string {
  const pr = child(r, 'radPr');
  const deg = arg(child(r, 'deg'));
  const e = arg(child(r, 'e'));
  if (flag(pr, 'degHide') || deg === '') return `\\sqrt${group(e)}`;
  return `\\sqrt[${deg}]${group(e)}`;
}

function nary(n: XElement): string {
  const pr = child(n, 'naryPr');
  const chr = prop(pr, 'chr') ?? '∫';
  const op = naryOperator(chr) ?? { cmd: symbol(chr), integral: false };
  const sub = flag(pr, 'subHide') ? '' : arg(child(n, 'sub'));
  const sup = flag(pr, 'supHide') ? '' : arg(child(n, 'sup'));
  let out = op.cmd;
  // Word's "limits above and below" on an integral is a choice the author made; sums do it anyway.
  if (op.integral && prop(pr, 'limLoc') === 'undOvr' && (sub !== '' || sup !== '')) out += '\\limits';
  if (sub !== '') out += `_${group(sub)}`;
  if (sup !== '') out += `^${group(sup)}`;
  return join(out, arg(child(n, 'e')));
}

function delimiter(d: XElement): string {
  const pr = child(d, 'dPr');
  const beg = prop(pr, 'begChr') ?? '(';
  const end = prop(pr, 'endChr') ?? ')';
  const sep = prop(pr, 'sepChr') ?? '|';
  const parts = elements(d, 'e');
  // A left brace around an equation array is a system of equations: cases.
  if (beg === '{' && end === '' && parts.length === 1) {
    const inner = parts[0]!.children.filter(isElement);
    if (inner.length === 1 && inner[0]!.name === 'eqArr') return `\\begin{cases}${rows(inner[0]!)}\\end{cases}`;
  }
  const body = parts.map((e) => arg(e)).join(sep === '' ? ' ' : ` ${symbol(sep)} `);
  return `\\left${fence(beg)} ${body} \\right${fence(end)}`;
}

/** Rows of an equation array; `&` typed in a row is Word's alignment mark, kept as TeX's. */
function rows(eqArr: XElement): string {
  return elements(eqArr, 'e')
    .map((e) => arg(e).replace(/\\&/g, '&'))
    .join(' \\\\ ');
}

function matrix(m: XElement): string {
  const body = elements(m, 'mr')
    .map((r) => elements(r, 'e').map(arg).join(' & '))
    .join(' \\\\ ');
  return `\\begin{matrix}${body}\\end{matrix}`;
}

/** The plain name of a function-name argument, when it is only text. */
function plainName(el: XElement | undefined): string | undefined {
  if (!el) return undefined;
  const kids = el.children.filter(isElement);
  if (!kids.every((k) => k.name === 'r' || k.name === 'rPr' || k.name === 'ctrlPr')) return undefined;
  return kids.filter((k) => k.name === 'r').map((k) => textOf(child(k, 't'))).join('').trim();
}

function func(f: XElement): string {
  const fName = child(f, 'fName');
  const e = arg(child(f, 'e'));
  const name = plainName(fName);
  const head = name !== undefined && name !== '' ? functionName(name) : arg(fName);
  return join(head, e);
}

function limit(l: XElement, under: boolean): string {
  const base = child(l, 'e');
  const lim = arg(child(l, 'lim'));
  const name = plainName(base);
  if (name !== undefined && LIMIT_FUNCTIONS.has(name)) return `\\${name}${under ? '_' : '^'}${group(lim)}`;
  const e = arg(base);
  return under ? `\\underset${group(lim)}${group(e)}` : `\\overset${group(lim)}${group(e)}`;
}

function accent(a: XElement): string {
  const chr = prop(child(a, 'accPr'), 'chr') ?? '\u0302';
  const e = arg(child(a, 'e'));
  const wide = [...textOf(child(a, 'e'))].length > 1;
  const cmd = accentCommand(chr, wide);
  return cmd ? `${cmd}${group(e)}` : `\\overset${group(symbol(chr))}${group(e)}`;
}

function bar(b: XElement): string {
  const pos = prop(child(b, 'barPr'), 'pos') ?? 'bot';
  const e = arg(child(b, 'e'));
  return pos === 'top' ? `\\overline${group(e)}` : `\\underline${group(e)}`;
}

function groupChr(g: XElement): string {
  const pr = child(g, 'groupChrPr');
  const chr = prop(pr, 'chr') ?? '\u23df';
  const pos = prop(pr, 'pos') ?? 'bot';
  const e = arg(child(g, 'e'));
  if (chr === '\u23df') return `\\underbrace${group(e)}`;
  if (chr === '\u23de') return `\\overbrace${group(e)}`;
  return pos === 'top' ? `\\overset${group(e)}${group(symbol(chr))}` : `\\underset${group(e)}${group(symbol(chr))}`;
}

function node(el: XElement): string {
  switch (el.name) {
    case 'r':
      return run(el);
    case 'f':
      return fraction(el);
    case 'sSub':
      return scripted(arg(child(el, 'e')), arg(child(el, 'sub')), '');
    case 'sSup':
      return scripted(arg(child(el, 'e')), '', arg(child(el, 'sup')));
    case 'sSubSup':
      return scripted(arg(child(el, 'e')), arg(child(el, 'sub')), arg(child(el, 'sup')));
    case 'sPre':
      return join(scripted('', arg(child(el, 'sub')), arg(child(el, 'sup'))), braced(arg(child(el, 'e'))));
    case 'rad':
      return radical(el);
    case 'nary':
      return nary(el);
    case 'd':
      return delimiter(el);
    case 'm':
      return matrix(el);
    case 'eqArr':
      return `\\begin{aligned}${rows(el)}\\end{aligned}`;
    case 'func':
      return func(el);
    case 'limLow':
      return limit(el, true);
    case 'limUpp':
      return limit(el, false);
    case 'acc':
      return accent(el);
    case 'bar':
      return bar(el);
    case 'groupChr':
      return groupChr(el);
    case 'borderBox':
      return `\\boxed${group(arg(child(el, 'e')))}`;
    case 'box':
      return arg(child(el, 'e'));
    case 'phant':
      return flag(child(el, 'phantPr'), 'show') ? arg(child(el, 'e')) : `\\phantom${group(arg(child(el, 'e')))}`;
    case 'oMath':
      return arg(el);
    case 'oMathPara':
      return elements(el, 'oMath').map(arg).join(' \\\\ ');
    default:
      // Properties (…Pr), control properties and Word run markup carry no maths.
      if (el.name.endsWith('Pr') || el.name === 'bookmarkStart' || el.name === 'bookmarkEnd' || el.name === 'proofErr') return '';
      return arg(el);
  }
}

/** LaTeX of an `m:oMath` or `m:oMathPara` element (no delimiters around it). */
export function ommlToLatex(el: XElement): string {
  return tidy(node(el));
}
