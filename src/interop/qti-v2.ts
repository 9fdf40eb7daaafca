import type { XElement, XNode } from './xml.js';

/**
 * QTI 2.1 and 2.2 as QTI 3.0: the versions share their information model and
 * differ in spelling (`choiceInteraction responseIdentifier` against
 * `qti-choice-interaction response-identifier`), so a 2.x document is renamed
 * into a 3.0 tree and one reader serves both.
 *
 * QTI's own elements are renamed; the XHTML of the item body (p, div, img,
 * object…), MathML and SVG keep their names. QTI 2's elements are camelCase
 * or one of the lower-case words listed here; XHTML has no camelCase names.
 */

const LOWERCASE_QTI = new Set([
  'value', 'mapping', 'prompt', 'gap', 'hottext', 'correct', 'variable', 'equal', 'sum', 'not', 'and', 'or', 'match',
  'member', 'lt', 'gt', 'lte', 'gte', 'null', 'delete', 'divide', 'product', 'subtract', 'power', 'round', 'truncate',
  'index', 'random', 'contains', 'substring', 'inside', 'max', 'min', 'gcd', 'lcm', 'default', 'multiple', 'ordered',
  'stylesheet', 'interpretation', 'repeat', 'statsOperator', 'mathConstant',
]);

/** Subtrees whose names belong to another vocabulary. */
const FOREIGN = new Set(['math', 'svg']);

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function isQti2Name(name: string): boolean {
  return /[A-Z]/.test(name) || LOWERCASE_QTI.has(name);
}

function renameAttrs(attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) out[k.includes(':') ? k : kebab(k)] = v;
  return out;
}

function convert(el: XElement): XElement {
  if (FOREIGN.has(el.name)) return el;
  const qti = isQti2Name(el.name);
  return {
    name: qti ? `qti-${kebab(el.name)}` : el.name,
    attrs: qti ? renameAttrs(el.attrs) : el.attrs,
    children: el.children.map((c: XNode) => ('name' in c ? convert(c) : c)),
  };
}

/** True for the root element of a QTI 2.x item or stimulus. */
export function isQti2Root(el: XElement): boolean {
  return el.name === 'assessmentItem' || el.name === 'assessmentStimulus';
}

/** The QTI 3.0 tree of a QTI 2.x document (a 3.0 tree is returned as it is). */
export function asQti3(root: XElement): XElement {
  return isQti2Root(root) ? convert(root) : root;
}
