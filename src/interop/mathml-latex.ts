import { attr, elements, isElement, parseXml, textOf as xmlText, type XElement } from './xml.js';
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
} from '../text/latex-symbols.js';

/**
 * Presentation MathML to LaTeX for KaTeX: what MathType keeps beside its
 * equations, and what QTI and Moodle files carry. A `<semantics>` element
 * with a TeX annotation gives that TeX as it is. Elements it does not know
 * contribute their content.
 */

/**
 * MathML's named characters that files write as entities (MathType and
 * QTI editors do, without a DTD): the XML reader leaves `&minus;` as
 * written, so they are read here. Invisible operators become nothing.
 */
const NAMED: Record<string, string> = {
  minus: '\u2212', times: '\u00d7', divide: '\u00f7', plusmn: '\u00b1', pm: '\u00b1', mnplus: '\u2213', middot: '\u00b7', sdot: '\u22c5',
  le: '\u2264', leq: '\u2264', ge: '\u2265', geq: '\u2265', ne: '\u2260', approx: '\u2248', equiv: '\u2261', sim: '\u223c', prop: '\u221d',
  lt: '<', gt: '>', amp: '&', infin: '\u221e', deg: '\u00b0', prime: '\u2032', Prime: '\u2033', part: '\u2202', nabla: '\u2207',
  int: '\u222b', sum: '\u2211', prod: '\u220f', radic: '\u221a', isin: '\u2208', notin: '\u2209', sub: '\u2282', sup: '\u2283',
  sube: '\u2286', supe: '\u2287', cup: '\u222a', cap: '\u2229', empty: '\u2205', forall: '\u2200', exist: '\u2203', and: '\u2227', or: '\u2228',
  not: '\u00ac', rarr: '\u2192', larr: '\u2190', harr: '\u2194', rArr: '\u21d2', lArr: '\u21d0', hArr: '\u21d4', RightArrow: '\u2192',
  perp: '\u22a5', ang: '\u2220', deg2: '\u00b0', hellip: '\u2026', cdots: '\u22ef', ctdot: '\u22ef', OverBar: '\u00af', UnderBar: '_', Hat: '^',
  nbsp: ' ', ThinSpace: ' ', MediumSpace: ' ', NegativeThinSpace: '', InvisibleTimes: '', it: '', ApplyFunction: '\u2061', af: '\u2061',
  InvisibleComma: '', ic: '', alpha: '\u03b1', beta: '\u03b2', gamma: '\u03b3', delta: '\u03b4', epsilon: '\u03b5', epsi: '\u03b5', zeta: '\u03b6',
  eta: '\u03b7', theta: '\u03b8', iota: '\u03b9', kappa: '\u03ba', lambda: '\u03bb', mu: '\u03bc', nu: '\u03bd', xi: '\u03be', pi: '\u03c0',
  rho: '\u03c1', sigma: '\u03c3', tau: '\u03c4', upsilon: '\u03c5', phi: '\u03c6', chi: '\u03c7', psi: '\u03c8', omega: '\u03c9',
  Gamma: '\u0393', Delta: '\u0394', Theta: '\u0398', Lambda: '\u039b', Xi: '\u039e', Pi: '\u03a0', Sigma: '\u03a3', Phi: '\u03a6', Psi: '\u03a8', Omega: '\u03a9',
};

function textOf(el: XElement | undefined): string {
  const s = xmlText(el);
  return s.includes('&') ? s.replace(/&([A-Za-z][A-Za-z0-9]*);/g, (whole, name: string) => NAMED[name] ?? whole) : s;
}

function kids(el: XElement): XElement[] {
  return el.children.filter(isElement);
}


const VARIANT: Record<string, string> = {
  normal: 'mathrm',
  bold: 'mathbf',
  italic: 'mathit',
  'bold-italic': 'boldsymbol',
  'double-struck': 'mathbb',
  script: 'mathcal',
  'bold-script': 'mathcal',
  fraktur: 'mathfrak',
  'sans-serif': 'mathsf',
  monospace: 'mathtt',
};

function identifier(el: XElement): string {
  const text = textOf(el).trim();
  if (text === '') return '';
  if (isFunctionName(text)) return functionName(text);
  const variant = attr(el, 'mathvariant');
  const latex = mathChars(text);
  if (variant && VARIANT[variant] && variant !== 'italic') return `\\${VARIANT[variant]}{${latex}}`;
  // A multi-letter identifier is a name, set upright as TeX does for operators.
  if ([...text].length > 1 && /^[A-Za-z]+$/.test(text)) return `\\mathrm{${text}}`;
  return latex;
}

function operator(el: XElement): string {
  const text = textOf(el).trim();
  if (isFunctionName(text)) return functionName(text);
  return mathChars(text);
}

function children(el: XElement): string {
  return joinAll(kids(el).map(node));
}

/** The argument at position `i` of a fixed-arity element (msub's base is 0, its subscript 1). */
function at(el: XElement, i: number): string {
  const k = kids(el)[i];
  return k ? node(k) : '';
}

function baseText(el: XElement, i: number): string {
  const k = kids(el)[i];
  return k ? textOf(k).trim() : '';
}


/** munder / mover / munderover: limits of big operators and lim, accents, braces, or stacked text. */
function underOver(el: XElement, under: string, over: string): string {
  const text = baseText(el, 0);
  const nary = naryOperator(text);
  if (nary) return scripted(nary.cmd, under, over);
  if (LIMIT_FUNCTIONS.has(text)) return scripted(`\\${text}`, under, over);
  const base = at(el, 0);
  let out = base;
  if (over !== '') {
    const overText = baseText(el, kids(el).length - 1);
    const cmd = el.name !== 'munder' ? accentCommand(overText, [...text].length > 1) : undefined;
    out = cmd ? `${cmd}${group(base)}` : `\\overset${group(over)}${group(out)}`;
  }
  if (under !== '') {
    const underText = baseText(el, 1);
    out = underText === '\u23df' ? `\\underbrace${group(out)}` : underText === '_' || underText === '\u0332' ? `\\underline${group(out)}` : `\\underset${group(under)}${group(out)}`;
  }
  return out;
}

function table(el: XElement): string {
  const rows = kids(el)
    .filter((r) => r.name === 'mtr' || r.name === 'mlabeledtr')
    .map((r) => {
      const cells = kids(r).filter((c) => c.name === 'mtd');
      // A labelled row's first cell is its equation number.
      return (r.name === 'mlabeledtr' ? cells.slice(1) : cells).map(children).join(' & ');
    });
  return `\\begin{matrix}${rows.join(' \\\\ ')}\\end{matrix}`;
}

function fenced(el: XElement): string {
  const open = attr(el, 'open') ?? '(';
  const close = attr(el, 'close') ?? ')';
  const seps = (attr(el, 'separators') ?? ',').replace(/\s+/g, '');
  const parts = kids(el).map(node);
  let body = parts[0] ?? '';
  for (let i = 1; i < parts.length; i++) body += ` ${symbol(seps[Math.min(i - 1, seps.length - 1)] ?? '')} ${parts[i]}`;
  return `\\left${fence(open)} ${body} \\right${fence(close)}`;
}

/** A row whose first child is `{` and that holds a table and nothing to close it: a system of equations. */
function casesRow(el: XElement): string | undefined {
  const k = kids(el);
  if (k.length !== 2 || k[0]!.name !== 'mo' || textOf(k[0]).trim() !== '{' || k[1]!.name !== 'mtable') return undefined;
  const rows = kids(k[1]!)
    .filter((r) => r.name === 'mtr')
    .map((r) => kids(r).filter((c) => c.name === 'mtd').map(children).join(' & '));
  return `\\begin{cases}${rows.join(' \\\\ ')}\\end{cases}`;
}

function enclose(el: XElement): string {
  const body = children(el);
  const notation = attr(el, 'notation') ?? 'longdiv';
  if (/\bbox\b|\broundedbox\b/.test(notation)) return `\\boxed${group(body)}`;
  if (/\bupdiagonalstrike\b|\bdowndiagonalstrike\b/.test(notation)) return `\\cancel${group(body)}`;
  if (/\btop\b/.test(notation)) return `\\overline${group(body)}`;
  if (/\bbottom\b/.test(notation)) return `\\underline${group(body)}`;
  return body;
}

function multiscripts(el: XElement): string {
  const k = kids(el);
  const split = k.findIndex((e) => e.name === 'mprescripts');
  const post = split === -1 ? k.slice(1) : k.slice(1, split);
  const pre = split === -1 ? [] : k.slice(split + 1);
  const pairs = (list: XElement[]) => {
    let sub = '';
    let sup = '';
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (list[i]!.name !== 'none') sub += node(list[i]!);
      if (list[i + 1]!.name !== 'none') sup += node(list[i + 1]!);
    }
    return { sub, sup };
  };
  const before = pairs(pre);
  const after = pairs(post);
  const base = k[0] ? node(k[0]) : '';
  const prefix = before.sub !== '' || before.sup !== '' ? scripted('', before.sub, before.sup) : '';
  return join(prefix, scripted(base, after.sub, after.sup));
}

function node(el: XElement): string {
  switch (el.name) {
    case 'math':
    case 'mrow':
    case 'mstyle':
    case 'mpadded':
    case 'merror':
    case 'mtd':
      return casesRow(el) ?? children(el);
    case 'semantics': {
      const tex = elements(el, 'annotation').find((a) => /tex/i.test(attr(a, 'encoding') ?? ''));
      if (tex) return undelimited(textOf(tex).trim());
      const first = kids(el).find((k) => k.name !== 'annotation' && k.name !== 'annotation-xml');
      return first ? node(first) : '';
    }
    case 'annotation':
    case 'annotation-xml':
    case 'none':
    case 'mprescripts':
    case 'maligngroup':
    case 'malignmark':
      return '';
    case 'mi':
      return identifier(el);
    case 'mn':
      return mathChars(textOf(el).trim());
    case 'mo':
      return operator(el);
    case 'mtext':
    case 'ms': {
      const text = textOf(el);
      return text.trim() === '' ? (text === '' ? '' : '\\ ') : `\\text{${escapeText(text)}}`;
    }
    case 'mspace':
      return '\\ ';
    case 'mphantom':
      return `\\phantom${group(children(el))}`;
    case 'msub':
      return scripted(at(el, 0), at(el, 1), '');
    case 'msup':
      return scripted(at(el, 0), '', at(el, 1));
    case 'msubsup':
      return scripted(at(el, 0), at(el, 1), at(el, 2));
    case 'mfrac': {
      const thickness = attr(el, 'linethickness');
      if (thickness !== undefined && /^0(\.0*)?([a-z]+)?$/.test(thickness.trim())) return `{${at(el, 0)} \\atop ${at(el, 1)}}`;
      if (attr(el, 'bevelled') === 'true') return `${braced(at(el, 0))}/${braced(at(el, 1))}`;
      return `\\frac${group(at(el, 0))}${group(at(el, 1))}`;
    }
    case 'msqrt':
      return `\\sqrt${group(children(el))}`;
    case 'mroot':
      return `\\sqrt[${at(el, 1)}]${group(at(el, 0))}`;
    case 'mfenced':
      return fenced(el);
    case 'munder':
      return underOver(el, at(el, 1), '');
    case 'mover':
      return underOver(el, '', at(el, 1));
    case 'munderover':
      return underOver(el, at(el, 1), at(el, 2));
    case 'mtable':
      return table(el);
    case 'menclose':
      return enclose(el);
    case 'mmultiscripts':
      return multiscripts(el);
    default:
      return children(el);
  }
}

/** A TeX annotation without the delimiters some editors keep in it (`\[…\]`, `\(…\)`, `$$…$$`, `$…$`): the caller delimits. */
function undelimited(tex: string): string {
  const m = /^(?:\\\[([\s\S]*)\\\]|\\\(([\s\S]*)\\\)|\$\$([\s\S]*)\$\$|\$([^$]*)\$)$/.exec(tex);
  return m ? (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim() : tex;
}

/** LaTeX of a parsed `<math>` element (or any MathML element). */
export function mathmlElementToLatex(el: XElement): string {
  return tidy(node(el));
}

/**
 * LaTeX of MathML text. Namespace prefixes (`mml:math`) are accepted; input
 * that is not well-formed XML, or holds no `<math>`, throws.
 */
export function mathmlToLatex(mathml: string): string {
  const root = parseXml(mathml.trim(), 'The MathML');
  const math = root.name === 'math' ? root : findMath(root);
  if (!math) throw new Error('The MathML has no <math> element');
  return mathmlElementToLatex(math);
}

function findMath(el: XElement): XElement | undefined {
  for (const k of kids(el)) {
    if (k.name === 'math') return k;
    const found = findMath(k);
    if (found) return found;
  }
  return undefined;
}
