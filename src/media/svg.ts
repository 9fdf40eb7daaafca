import sanitizeHtml, { type IOptions } from 'sanitize-html';
import { svgRootAt } from './detect.js';

/**
 * SVG sanitising. SVG is XML that a browser runs: it can carry `<script>`,
 * event handlers (`onload`), links to `javascript:`, `<foreignObject>` HTML,
 * animations that rewrite attributes, and references to other documents
 * (`<image href="https://…">`, `<use href="other.svg#x">`, `url(https://…)`
 * in styles) that leak who looks at it. The library keeps an SVG only in the
 * form this produces: an allow-list of drawing elements and presentation
 * attributes, every reference local (`#id`), no styles that import or fetch.
 *
 * Built on sanitize-html, the sanitiser the bank already uses for item HTML
 * (src/bank/sanitize.ts), in its XML mode (case kept: `viewBox`,
 * `linearGradient`): an allow-list over a real parser, maintained upstream,
 * and no server-side DOM to pull in (DOMPurify would need jsdom).
 */

const ELEMENTS = [
  'svg', 'g', 'defs', 'symbol', 'use', 'title', 'desc',
  'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon',
  'text', 'tspan', 'textPath',
  'linearGradient', 'radialGradient', 'stop', 'clipPath', 'mask', 'pattern', 'marker',
  'filter', 'feGaussianBlur', 'feOffset', 'feBlend', 'feColorMatrix', 'feFlood', 'feComposite', 'feMerge', 'feMergeNode', 'feMorphology',
];

const ATTRIBUTES = [
  'id', 'class', 'style', 'transform', 'xmlns', 'xmlns:xlink', 'version', 'href', 'xlink:href',
  'x', 'y', 'width', 'height', 'viewBox', 'preserveAspectRatio', 'd', 'points', 'pathLength',
  'cx', 'cy', 'r', 'rx', 'ry', 'x1', 'y1', 'x2', 'y2', 'fx', 'fy', 'dx', 'dy', 'rotate', 'lengthAdjust', 'textLength', 'startOffset',
  'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-linecap', 'stroke-linejoin',
  'stroke-dasharray', 'stroke-dashoffset', 'stroke-miterlimit', 'opacity', 'color', 'visibility', 'display', 'overflow',
  'clip-path', 'clip-rule', 'clipPathUnits', 'mask', 'maskUnits', 'maskContentUnits', 'filter', 'filterUnits', 'primitiveUnits',
  'marker-start', 'marker-mid', 'marker-end', 'markerWidth', 'markerHeight', 'markerUnits', 'refX', 'refY', 'orient',
  'offset', 'stop-color', 'stop-opacity', 'gradientUnits', 'gradientTransform', 'spreadMethod', 'patternUnits', 'patternContentUnits', 'patternTransform',
  'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline', 'alignment-baseline', 'baseline-shift',
  'letter-spacing', 'word-spacing', 'text-decoration', 'writing-mode', 'vector-effect', 'shape-rendering', 'text-rendering',
  'stdDeviation', 'in', 'in2', 'result', 'mode', 'values', 'type', 'operator', 'k1', 'k2', 'k3', 'k4', 'radius',
  'flood-color', 'flood-opacity',
];

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A value that could reach outside the document or run code. */
function unsafeValue(name: string, value: string): boolean {
  // Browsers skip white space and control characters inside a scheme ("java\tscript:").
  const v = [...value].filter((ch) => ch.charCodeAt(0) > 0x20).join('').toLowerCase();
  if (name === 'href' || name === 'xlink:href') return !value.trim().startsWith('#');
  if (v.includes('javascript:') || v.includes('data:') || v.includes('@import') || v.includes('expression(')) return true;
  // url(...) only to an element of this document: url(#id), url('#id'), url("#id").
  for (const m of v.matchAll(/url\(([^)]*)\)?/g)) if (!/^['"]?#/.test(m[1] ?? '')) return true;
  return false;
}

const OPTIONS: IOptions = {
  allowedTags: ELEMENTS,
  allowedAttributes: { '*': ATTRIBUTES },
  allowedSchemes: [],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Their text is code or markup, not drawing.
  nonTextTags: ['script', 'style', 'foreignObject', 'textarea', 'noscript', 'iframe'],
  parser: { xmlMode: true, decodeEntities: true },
  transformTags: {
    '*': (tagName, attribs) => {
      const kept: Record<string, string> = {};
      for (const [name, value] of Object.entries(attribs)) {
        if (unsafeValue(name, value) || name === 'xmlns:xlink') continue;
        // SVG 2's plain href: no xlink namespace to declare (an undeclared prefix would break the document).
        kept[name === 'xlink:href' ? 'href' : name] = value;
      }
      if (tagName === 'svg') kept.xmlns = SVG_NS;
      return { tagName, attribs: kept };
    },
  },
};

/**
 * The safe form of an SVG document (UTF-8), or null when nothing drawable
 * is left (no `<svg>` root after sanitising).
 */
export function sanitizeSvg(bytes: Uint8Array): Buffer | null {
  const text = Buffer.from(bytes).toString('utf8');
  // The prologue goes first: a doctype's internal subset can declare entities, which are never expanded.
  const root = svgRootAt(text);
  if (root < 0) return null;
  const clean = sanitizeHtml(text.slice(root), OPTIONS).trim();
  if (!/^<svg[\s>]/.test(clean)) return null;
  return Buffer.from(clean, 'utf8');
}
