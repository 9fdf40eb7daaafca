import katex from 'katex';
import { attr, decodeEntities, escapeXml, isElement, parseXml, type XElement } from '../xml.js';

/**
 * LaTeX to Word equations (OMML). KaTeX, already the project's renderer,
 * turns the TeX into presentation MathML (`output: 'mathml'`), so every
 * command the web pages render is understood; this module then maps that
 * MathML onto OMML elements: fractions, roots, scripts, n-ary operators
 * with limits, accents and bars, fences, matrices and runs with their
 * style. No maintained MathML-to-OMML library for JavaScript was found (the
 * usual route is Microsoft's MML2OMML.XSL, which ships with Office and needs
 * an XSLT processor), so the mapping is written here and tested
 * through the reader's OMML-to-LaTeX path (omml.ts).
 */

const NARY = new Set(['∑', '∏', '∐', '∫', '∬', '∭', '∮', '∯', '∰', '⋃', '⋂', '⋁', '⋀', '⨁', '⨂', '⨀']);

/** Accent characters KaTeX writes over a base, as the combining marks OMML uses. */
const ACCENTS: Record<string, string> = {
  '^': '\u0302',
  ˆ: '\u0302',
  ˉ: '\u0304',
  '¯': '\u0304',
  '~': '\u0303',
  '˜': '\u0303',
  '⃗': '\u20d7',
  '→': '\u20d7',
  '˙': '\u0307',
  '¨': '\u0308',
  ˇ: '\u030c',
  '˘': '\u0306',
  '´': '\u0301',
  '`': '\u0300',
  '˚': '\u030a',
};
const BARS = new Set(['‾', '¯', '_', '―', '\u0332']);

/** Blackboard letters as their own characters, which every font pairs with Cambria Math. */
const DOUBLE_STRUCK: Record<string, string> = { R: 'ℝ', N: 'ℕ', Z: 'ℤ', Q: 'ℚ', C: 'ℂ', P: 'ℙ', H: 'ℍ' };

/** Invisible operators (function application, invisible times) print nothing. */
const INVISIBLE = /[\u2061-\u2064]/g;

const FONT = '<w:rPr><w:rFonts w:ascii="Cambria Math" w:hAnsi="Cambria Math"/></w:rPr>';

function kids(el: XElement): XElement[] {
  return el.children.filter(isElement);
}

function text(el: XElement): string {
  let out = '';
  for (const c of el.children) {
    if ('text' in c) out += decodeEntities(c.text);
    else if (isElement(c)) out += text(c);
  }
  return out;
}

type Style = 'p' | 'b' | 'i' | 'bi' | undefined;

function run(t: string, style: Style, normalText = false): string {
  const clean = t.replace(INVISIBLE, '');
  if (clean === '') return '';
  const props = `${normalText ? '<m:nor/>' : ''}${style ? `<m:sty m:val="${style}"/>` : ''}`;
  return `<m:r>${props ? `<m:rPr>${props}</m:rPr>` : ''}${FONT}<m:t xml:space="preserve">${escapeXml(clean)}</m:t></m:r>`;
}

function variantStyle(variant: string | undefined, fallback: Style): Style {
  switch (variant) {
    case 'normal':
      return 'p';
    case 'bold':
      return 'b';
    case 'italic':
      return 'i';
    case 'bold-italic':
      return 'bi';
    default:
      return fallback;
  }
}

const arg = (name: string, inner: string) => `<m:${name}>${inner}</m:${name}>`;

/** The operator character of an n-ary base (∑, ∫ …), if it is one. */
function naryChar(el: XElement | undefined): string | undefined {
  if (!el) return undefined;
  if (el.name === 'mo') {
    const t = text(el).trim();
    return NARY.has(t) ? t : undefined;
  }
  if ((el.name === 'mrow' || el.name === 'mstyle') && kids(el).length === 1) return naryChar(kids(el)[0]);
  return undefined;
}

function nary(chr: string, lower: string, upper: string, body: string, underOver: boolean): string {
  const props = [`<m:chr m:val="${escapeXml(chr)}"/>`, `<m:limLoc m:val="${underOver ? 'undOvr' : 'subSup'}"/>`];
  if (lower === '') props.push('<m:subHide m:val="1"/>');
  if (upper === '') props.push('<m:supHide m:val="1"/>');
  return `<m:nary><m:naryPr>${props.join('')}</m:naryPr>${arg('sub', lower)}${arg('sup', upper)}${arg('e', body)}</m:nary>`;
}

/** Children of a row, where an n-ary operator with limits takes the element after it as its operand. */
function sequence(list: XElement[]): string {
  let out = '';
  for (let i = 0; i < list.length; i++) {
    const el = list[i]!;
    const parts = kids(el);
    const limited = ['msubsup', 'munderover', 'msub', 'munder', 'msup', 'mover'].includes(el.name) ? naryChar(parts[0]) : undefined;
    if (limited !== undefined) {
      const under = el.name === 'munderover' || el.name === 'munder' || el.name === 'mover';
      const hasLower = el.name === 'msubsup' || el.name === 'munderover' || el.name === 'msub' || el.name === 'munder';
      const lower = hasLower ? convert(parts[1]) : '';
      const upper = el.name === 'msubsup' || el.name === 'munderover' ? convert(parts[2]) : el.name === 'msup' || el.name === 'mover' ? convert(parts[1]) : '';
      const next = list[i + 1];
      const body = next ? convert(next) : '';
      if (next) i++;
      out += nary(limited, lower, upper, body, under);
      continue;
    }
    out += convert(el);
  }
  return out;
}

function isFence(el: XElement | undefined): boolean {
  return el?.name === 'mo' && attr(el, 'fence') === 'true';
}

function row(el: XElement): string {
  const list = kids(el);
  // \left( … \right) and \begin{cases}: a delimiter object around the inside.
  if (list.length >= 2 && isFence(list[0])) {
    const closing = isFence(list[list.length - 1]);
    const inner = list.slice(1, closing ? -1 : undefined);
    const beg = text(list[0]!).trim();
    const end = closing ? text(list[list.length - 1]!).trim() : '';
    return `<m:d><m:dPr><m:begChr m:val="${escapeXml(beg)}"/><m:endChr m:val="${escapeXml(end)}"/></m:dPr>${arg('e', sequence(inner))}</m:d>`;
  }
  return sequence(list);
}

function accentOrLimit(el: XElement, over: boolean): string {
  const [base, mark] = kids(el);
  const markText = mark && mark.name === 'mo' ? text(mark).trim() : undefined;
  if (markText !== undefined && BARS.has(markText)) {
    return `<m:bar><m:barPr><m:pos m:val="${over ? 'top' : 'bot'}"/></m:barPr>${arg('e', convert(base))}</m:bar>`;
  }
  const accent = markText !== undefined ? ACCENTS[markText] : undefined;
  if (over && accent) return `<m:acc><m:accPr><m:chr m:val="${accent}"/></m:accPr>${arg('e', convert(base))}</m:acc>`;
  return over ? `<m:limUpp>${arg('e', convert(base))}${arg('lim', convert(mark))}</m:limUpp>` : `<m:limLow>${arg('e', convert(base))}${arg('lim', convert(mark))}</m:limLow>`;
}

function table(el: XElement): string {
  const rows = kids(el).filter((r) => r.name === 'mtr' || r.name === 'mlabeledtr');
  const columns = Math.max(1, ...rows.map((r) => kids(r).filter((c) => c.name === 'mtd').length));
  const body = rows
    .map((r) => {
      const cells = kids(r).filter((c) => c.name === 'mtd');
      const filled = [...cells.map((c) => arg('e', sequence(kids(c)))), ...Array.from({ length: columns - cells.length }, () => arg('e', ''))];
      return arg('mr', filled.join(''));
    })
    .join('');
  return `<m:m><m:mPr><m:mcs><m:mc><m:mcPr><m:count m:val="${columns}"/><m:mcJc m:val="left"/></m:mcPr></m:mc></m:mcs></m:mPr>${body}</m:m>`;
}

function convert(el: XElement | undefined): string {
  if (!el) return '';
  const parts = kids(el);
  switch (el.name) {
    case 'math':
    case 'mrow':
    case 'mstyle':
    case 'mpadded':
    case 'menclose':
    case 'merror':
    case 'span':
      return row(el);
    case 'semantics':
      return convert(parts.find((p) => p.name !== 'annotation' && p.name !== 'annotation-xml'));
    case 'annotation':
    case 'annotation-xml':
    case 'mphantom':
    case 'none':
    case 'mprescripts':
      return '';
    case 'mi': {
      const t = text(el);
      const variant = attr(el, 'mathvariant');
      if (variant === 'double-struck') return run([...t].map((ch) => DOUBLE_STRUCK[ch] ?? ch).join(''), 'p');
      // A single letter is italic by default; names (sin, log) are upright.
      return run(t, variantStyle(variant, [...t].length > 1 ? 'p' : undefined));
    }
    case 'mn':
    case 'mo':
      return run(text(el), variantStyle(attr(el, 'mathvariant'), 'p'));
    case 'mtext':
    case 'ms':
      return run(text(el), variantStyle(attr(el, 'mathvariant'), 'p'), true);
    case 'mspace': {
      const width = Number.parseFloat(attr(el, 'width') ?? '0');
      return width >= 0.5 ? run('\u2003', 'p') : width > 0 ? run(' ', 'p') : '';
    }
    case 'mfrac': {
      const noBar = /^0(\.0*)?[a-z%]*$/.test(attr(el, 'linethickness') ?? '');
      return `<m:f>${noBar ? '<m:fPr><m:type m:val="noBar"/></m:fPr>' : ''}${arg('num', convert(parts[0]))}${arg('den', convert(parts[1]))}</m:f>`;
    }
    case 'msqrt':
      return `<m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/>${arg('e', row(el))}</m:rad>`;
    case 'mroot':
      return `<m:rad>${arg('deg', convert(parts[1]))}${arg('e', convert(parts[0]))}</m:rad>`;
    case 'msup':
      return `<m:sSup>${arg('e', convert(parts[0]))}${arg('sup', convert(parts[1]))}</m:sSup>`;
    case 'msub':
      return `<m:sSub>${arg('e', convert(parts[0]))}${arg('sub', convert(parts[1]))}</m:sSub>`;
    case 'msubsup':
      return `<m:sSubSup>${arg('e', convert(parts[0]))}${arg('sub', convert(parts[1]))}${arg('sup', convert(parts[2]))}</m:sSubSup>`;
    case 'mover':
      return accentOrLimit(el, true);
    case 'munder':
      return accentOrLimit(el, false);
    case 'munderover': {
      const inner = `<m:limLow>${arg('e', convert(parts[0]))}${arg('lim', convert(parts[1]))}</m:limLow>`;
      return `<m:limUpp>${arg('e', inner)}${arg('lim', convert(parts[2]))}</m:limUpp>`;
    }
    case 'mtable':
      return table(el);
    case 'mtr':
    case 'mtd':
    case 'mlabeledtr':
      return sequence(parts);
    default:
      // Unknown elements give their content, or their text.
      return parts.length ? sequence(parts) : run(text(el), 'p');
  }
}

/** MathML (a `<math>` element, possibly inside KaTeX's wrapper) as the content of an `<m:oMath>`. */
export function mathmlToOmml(mathml: string): string {
  return convert(parseXml(mathml, 'The MathML'));
}

const cache = new Map<string, string>();
const MAX_CACHED = 2000;

/**
 * A TeX formula as an OMML element: `<m:oMath>` inline, `<m:oMathPara>`
 * for display. Formulas KaTeX cannot parse come out as their TeX in an
 * upright run, so the paper still shows what the author wrote.
 */
export function latexToOmml(tex: string, display: boolean): string {
  const cacheKey = `${display ? 'D' : 'I'}${tex}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  let inner: string;
  try {
    inner = mathmlToOmml(katex.renderToString(tex, { output: 'mathml', throwOnError: true, strict: 'ignore', displayMode: display }));
  } catch {
    inner = run(tex, 'p', true);
  }
  const omml = display ? `<m:oMathPara><m:oMath>${inner}</m:oMath></m:oMathPara>` : `<m:oMath>${inner}</m:oMath>`;
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, omml);
  return omml;
}
