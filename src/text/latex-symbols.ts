/**
 * What OMML (Word equations) and MathML share on their way to LaTeX: the
 * commands for Unicode maths characters, function names, accents, big
 * operators and fences, and the joining rule that keeps `\alpha x` from
 * becoming `\alphax`. The output targets KaTeX, which the browser client uses.
 */

/** Unicode maths characters and the LaTeX command KaTeX draws them with. */
const SYMBOLS: Record<string, string> = {
  // Greek
  α: '\\alpha', β: '\\beta', γ: '\\gamma', δ: '\\delta', ε: '\\varepsilon', ϵ: '\\epsilon', ζ: '\\zeta', η: '\\eta',
  θ: '\\theta', ϑ: '\\vartheta', ι: '\\iota', κ: '\\kappa', λ: '\\lambda', μ: '\\mu', ν: '\\nu', ξ: '\\xi',
  π: '\\pi', ϖ: '\\varpi', ρ: '\\rho', ϱ: '\\varrho', σ: '\\sigma', ς: '\\varsigma', τ: '\\tau', υ: '\\upsilon',
  φ: '\\varphi', ϕ: '\\phi', χ: '\\chi', ψ: '\\psi', ω: '\\omega',
  Γ: '\\Gamma', Δ: '\\Delta', Θ: '\\Theta', Λ: '\\Lambda', Ξ: '\\Xi', Π: '\\Pi', Σ: '\\Sigma', Υ: '\\Upsilon',
  Φ: '\\Phi', Ψ: '\\Psi', Ω: '\\Omega',
  // relations
  '≤': '\\le', '≥': '\\ge', '≦': '\\leqq', '≧': '\\geqq', '⩽': '\\leqslant', '⩾': '\\geqslant', '≠': '\\ne',
  '≈': '\\approx', '≡': '\\equiv', '≅': '\\cong', '∼': '\\sim', '≃': '\\simeq', '∝': '\\propto', '≪': '\\ll',
  '≫': '\\gg', '∈': '\\in', '∉': '\\notin', '∋': '\\ni', '⊂': '\\subset', '⊃': '\\supset', '⊆': '\\subseteq',
  '⊇': '\\supseteq', '⊄': '\\not\\subset', '⊥': '\\perp', '∥': '\\parallel', '∦': '\\nparallel', '∣': '\\mid',
  '⋮': '\\vdots', '⋯': '\\cdots', '…': '\\ldots', '⋱': '\\ddots',
  // operators
  '±': '\\pm', '∓': '\\mp', '×': '\\times', '÷': '\\div', '⋅': '\\cdot', '·': '\\cdot', '∙': '\\cdot', '∘': '\\circ',
  '∗': '\\ast', '⊕': '\\oplus', '⊗': '\\otimes', '∪': '\\cup', '∩': '\\cap', '∖': '\\setminus', '∧': '\\wedge',
  '∨': '\\vee', '¬': '\\neg', '−': '-', '∕': '/',
  // arrows
  '→': '\\to', '←': '\\leftarrow', '↔': '\\leftrightarrow', '⇒': '\\Rightarrow', '⇐': '\\Leftarrow',
  '⇔': '\\Leftrightarrow', '↦': '\\mapsto', '↑': '\\uparrow', '↓': '\\downarrow', '⟶': '\\longrightarrow',
  '⟹': '\\Longrightarrow', '⟺': '\\Longleftrightarrow', '⇌': '\\rightleftharpoons', '⇄': '\\rightleftarrows',
  // sets, logic, misc
  '∞': '\\infty', '∅': '\\varnothing', '∀': '\\forall', '∃': '\\exists', '∄': '\\nexists', '∂': '\\partial',
  '∇': '\\nabla', 'ℝ': '\\mathbb{R}', 'ℕ': '\\mathbb{N}', 'ℤ': '\\mathbb{Z}', 'ℚ': '\\mathbb{Q}', 'ℂ': '\\mathbb{C}',
  '∠': '\\angle', '△': '\\triangle', '∆': '\\Delta', '°': '^{\\circ}', '′': "'", '″': "''", '‴': "'''", 'ℓ': '\\ell',
  'ℏ': '\\hbar', '∴': '\\therefore', '∵': '\\because', '□': '\\square', '√': '\\surd', '⊤': '\\top',
  '⌊': '\\lfloor', '⌋': '\\rfloor', '⌈': '\\lceil', '⌉': '\\rceil', '⟨': '\\langle', '⟩': '\\rangle', '〈': '\\langle',
  '〉': '\\rangle', '‖': '\\|',
  // big operators written as ordinary characters
  '∑': '\\sum', '∏': '\\prod', '∐': '\\coprod', '∫': '\\int', '∬': '\\iint', '∭': '\\iiint', '∮': '\\oint',
  '⋃': '\\bigcup', '⋂': '\\bigcap', '⋁': '\\bigvee', '⋀': '\\bigwedge', '⨁': '\\bigoplus', '⨂': '\\bigotimes',
  // characters LaTeX reserves
  '#': '\\#', $: '\\$', '%': '\\%', '&': '\\&', _: '\\_', '{': '\\{', '}': '\\}', '\\': '\\backslash', '~': '\\sim',
  // spaces and invisible operators Word and MathType insert
  '\u00a0': ' ', '\u2009': '\\,', '\u200a': '\\,', '\u2005': '\\:', '\u2003': '\\quad', '\u2002': '\\enspace',
  '\u2061': '', '\u2062': '', '\u2063': '', '\u2064': '', '\u200b': '',
};

/** LaTeX for one maths character: its command, or the character itself. */
export function symbol(ch: string): string {
  return SYMBOLS[ch] ?? ch;
}

/** Function names KaTeX knows as commands (upright, with the operator spacing). */
export const FUNCTIONS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'coth',
  'log', 'ln', 'lg', 'exp', 'lim', 'limsup', 'liminf', 'max', 'min', 'sup', 'inf', 'det', 'deg', 'dim', 'gcd',
  'arg', 'ker', 'hom', 'Pr',
]);

/** Operators whose limits go under and over rather than beside (`\lim_{x \to 0}`). */
export const LIMIT_FUNCTIONS = new Set(['lim', 'limsup', 'liminf', 'max', 'min', 'sup', 'inf', 'det', 'gcd', 'Pr']);

/** `\sin` for a known function name, `\operatorname{tg}` for the others (Vietnamese tg, cotg). */
export function functionName(name: string): string {
  const n = name.trim();
  if (FUNCTIONS.has(n)) return `\\${n}`;
  return `\\operatorname{${escapeText(n)}}`;
}

/** Names Vietnamese textbooks use that are functions but not TeX commands. */
const LOCAL_FUNCTIONS = new Set(['tg', 'cotg', 'arctg', 'arccotg', 'cotan', 'sgn']);

/** True when a run of letters is a function name written as text. */
export function isFunctionName(name: string): boolean {
  return FUNCTIONS.has(name) || LOCAL_FUNCTIONS.has(name);
}

/** Big operators: the command and whether it is an integral (limits beside, not above). */
const NARY: Record<string, { cmd: string; integral: boolean }> = {
  '∑': { cmd: '\\sum', integral: false }, '∏': { cmd: '\\prod', integral: false }, '∐': { cmd: '\\coprod', integral: false },
  '∫': { cmd: '\\int', integral: true }, '∬': { cmd: '\\iint', integral: true }, '∭': { cmd: '\\iiint', integral: true },
  '∮': { cmd: '\\oint', integral: true }, '∯': { cmd: '\\oiint', integral: true }, '⋃': { cmd: '\\bigcup', integral: false },
  '⋂': { cmd: '\\bigcap', integral: false }, '⋁': { cmd: '\\bigvee', integral: false }, '⋀': { cmd: '\\bigwedge', integral: false },
  '⨁': { cmd: '\\bigoplus', integral: false }, '⨂': { cmd: '\\bigotimes', integral: false },
};

export function naryOperator(ch: string): { cmd: string; integral: boolean } | undefined {
  return NARY[ch];
}

/**
 * The accent command for a combining or spacing accent character, in the
 * wide form when the base is more than one character (a vector over AB is
 * `\overrightarrow{AB}`, over one letter `\vec{u}`).
 */
export function accentCommand(ch: string, wide: boolean): string | undefined {
  switch (ch) {
    case '\u0302': case '^': case 'ˆ':
      return wide ? '\\widehat' : '\\hat';
    case '\u0303': case '~': case '˜':
      return wide ? '\\widetilde' : '\\tilde';
    case '\u0304': case '\u0305': case '¯': case '‾': case '_':
      return wide ? '\\overline' : '\\bar';
    case '\u20d7': case '→': case '⃗': case '⟶':
      return wide ? '\\overrightarrow' : '\\vec';
    case '\u20d6': case '←':
      return '\\overleftarrow';
    case '\u20e1': case '↔':
      return '\\overleftrightarrow';
    case '\u0307': case '˙':
      return '\\dot';
    case '\u0308': case '¨':
      return '\\ddot';
    case '\u0306': case '˘':
      return '\\breve';
    case '\u030c': case 'ˇ':
      return '\\check';
    case '\u0301': case '´':
      return '\\acute';
    case '\u0300': case '`':
      return '\\grave';
    case '\u23de': case '⏞':
      return '\\overbrace';
    default:
      return undefined;
  }
}

/** The `\left`/`\right` argument for a fence character; an empty one is `.` (no fence). */
export function fence(ch: string | undefined): string {
  if (ch === undefined || ch === '') return '.';
  switch (ch) {
    case '{': return '\\{';
    case '}': return '\\}';
    case '|': case '∣': return '|';
    case '‖': case '∥': return '\\|';
    case '⟨': case '〈': return '\\langle';
    case '⟩': case '〉': return '\\rangle';
    case '⌊': return '\\lfloor';
    case '⌋': return '\\rfloor';
    case '⌈': return '\\lceil';
    case '⌉': return '\\rceil';
    case '[': case ']': case '(': case ')': case '/':
      return ch;
    default:
      return symbol(ch);
  }
}

/** Escapes text for `\text{…}`. */
export function escapeText(s: string): string {
  return s.replace(/[\\{}#$%&_^~]/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '^' ? '\\textasciicircum{}' : c === '~' ? '\\textasciitilde{}' : `\\${c}`));
}

/**
 * Maths characters as LaTeX, one by one. A decimal comma between digits is
 * braced (`1{,}5`), as Vietnamese authors write it, so TeX does not add the
 * space it puts after a list comma.
 */
export function mathChars(s: string): string {
  let out = '';
  const chars = [...s];
  chars.forEach((ch, i) => {
    if (ch === ',' && /\d/.test(chars[i - 1] ?? '') && /\d/.test(chars[i + 1] ?? '')) out = join(out, '{,}');
    else out = join(out, symbol(ch));
  });
  return out;
}

/** True when LaTeX needs braces to take `s` as one argument (`x` and `\alpha` do not). */
export function needsBraces(s: string): boolean {
  return !/^(?:[A-Za-z0-9]|\\[A-Za-z]+)$/.test(s);
}

/** `s` as one TeX argument. */
export function group(s: string): string {
  return `{${s}}`;
}

/** `s` braced only when TeX needs it. */
export function braced(s: string): string {
  return needsBraces(s) ? group(s) : s;
}

/** A base with optional subscript and superscript; an empty base is `{}` (pre-scripts). */
export function scripted(base: string, sub: string, sup: string): string {
  let out = base === '' ? '{}' : braced(base);
  if (sub !== '') out += `_${group(sub)}`;
  if (sup !== '') out += `^${group(sup)}`;
  return out;
}

/**
 * Concatenates LaTeX pieces, adding a space where a command would otherwise
 * run into the letters after it.
 */
export function join(a: string, b: string): string {
  if (a === '' || b === '') return a + b;
  if (/\\[A-Za-z]+$/.test(a) && /^[A-Za-z]/.test(b)) return `${a} ${b}`;
  return a + b;
}

/** Joins many pieces with {@link join}. */
export function joinAll(parts: readonly string[]): string {
  return parts.reduce((acc, p) => join(acc, p), '');
}

/** Tidies converter output: no doubled or edge spaces. */
export function tidy(latex: string): string {
  return latex.replace(/\s{2,}/g, ' ').trim();
}
