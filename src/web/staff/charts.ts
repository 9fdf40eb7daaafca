/**
 * Two charts drawn as SVG with no library: a histogram and a scatter plot.
 * Each is a labelled figure (role="img" with a text summary) and is paired by
 * its page with a table of the same numbers for people who cannot see it.
 * Colours come from classes in styles.css; sizes are SVG attributes.
 */

const NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

export interface Bar {
  label: string;
  value: number;
  /** Tooltip and accessible text of the bar. */
  title: string;
}

export interface ChartText {
  title: string;
  /** One sentence read by screen readers instead of the drawing. */
  summary: string;
  xLabel: string;
  yLabel: string;
}

const W = 640;
const H = 300;
const M = { top: 16, right: 16, bottom: 52, left: 56 };

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function frame(text: ChartText, className: string): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: `chart ${className}`, role: 'img', 'aria-label': `${text.title}. ${text.summary}`, preserveAspectRatio: 'xMidYMid meet' });
  root.append(svg('title', {}, text.title), svg('desc', {}, text.summary));
  root.append(
    svg('text', { x: M.left + (W - M.left - M.right) / 2, y: H - 8, class: 'axis-label', 'text-anchor': 'middle' }, text.xLabel),
    svg('text', { x: 14, y: M.top + (H - M.top - M.bottom) / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})` }, text.yLabel),
  );
  return root;
}

/** Gridlines and labels at 0, step, 2·step … max. */
function yAxis(root: SVGSVGElement, max: number, step: number, format: (v: number) => string, scale: (v: number) => number): void {
  for (let i = 0; i * step <= max + 1e-9; i++) {
    const v = i * step;
    const y = scale(v);
    root.append(svg('line', { x1: M.left, x2: W - M.right, y1: y, y2: y, class: 'grid' }), svg('text', { x: M.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, format(v)));
  }
}

/** Vertical bars, one per bin, labelled underneath. */
export function histogram(bars: Bar[], text: ChartText): SVGSVGElement {
  const root = frame(text, 'chart--histogram');
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  // Counts are whole numbers: ticks at whole steps (at most five lines), never 0.5 of an attempt.
  const highest = Math.max(0, ...bars.map((b) => b.value));
  const tick = Math.max(1, niceMax(Math.ceil(highest / 4)));
  const max = Math.max(tick, Math.ceil(highest / tick) * tick);
  const y = (v: number) => M.top + plotH - (v / max) * plotH;
  yAxis(root, max, tick, (v) => String(v), y);
  const step = plotW / Math.max(1, bars.length);
  const gap = Math.min(8, step * 0.15);
  bars.forEach((b, i) => {
    const x = M.left + i * step + gap / 2;
    const top = y(b.value);
    const rect = svg('rect', { x, y: top, width: Math.max(1, step - gap), height: Math.max(0, M.top + plotH - top), class: 'bar' }, svg('title', {}, b.title));
    root.append(rect);
    if (b.value > 0) root.append(svg('text', { x: x + (step - gap) / 2, y: top - 4, class: 'bar-value', 'text-anchor': 'middle' }, String(b.value)));
    root.append(svg('text', { x: x + (step - gap) / 2, y: M.top + plotH + 16, class: 'tick', 'text-anchor': 'middle' }, b.label));
  });
  root.append(svg('line', { x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH, class: 'axis' }));
  return root;
}

export interface Point {
  x: number;
  y: number;
  label: string;
  title: string;
  /** A class for points that need attention (flagged items). */
  tone?: 'flag';
}

export interface Band {
  /** Data coordinates of a shaded area with a caption. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  caption: string;
}

/** Points on fixed axes (x 0..1, y from yMin to 1), with shaded bands for the zones to watch. */
export function scatter(points: Point[], text: ChartText, options: { yMin: number; bands?: Band[] }): SVGSVGElement {
  const root = frame(text, 'chart--scatter');
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (v: number) => M.left + Math.min(1, Math.max(0, v)) * plotW;
  const y = (v: number) => M.top + plotH - ((Math.min(1, Math.max(options.yMin, v)) - options.yMin) / (1 - options.yMin)) * plotH;
  for (const band of options.bands ?? []) {
    root.append(svg('rect', { x: x(band.x0), y: y(band.y1), width: x(band.x1) - x(band.x0), height: y(band.y0) - y(band.y1), class: 'band' }));
    root.append(svg('text', { x: x(band.x0) + 4, y: y(band.y1) + 12, class: 'band-label' }, band.caption));
  }
  for (let i = 0; i <= 5; i++) {
    const vx = i / 5;
    root.append(svg('line', { x1: x(vx), x2: x(vx), y1: M.top, y2: M.top + plotH, class: 'grid' }), svg('text', { x: x(vx), y: M.top + plotH + 16, class: 'tick', 'text-anchor': 'middle' }, vx.toFixed(1)));
  }
  const steps = Math.round((1 - options.yMin) / 0.25);
  for (let i = 0; i <= steps; i++) {
    const vy = options.yMin + i * 0.25;
    root.append(svg('line', { x1: M.left, x2: W - M.right, y1: y(vy), y2: y(vy), class: vy === 0 ? 'axis' : 'grid' }), svg('text', { x: M.left - 6, y: y(vy) + 4, class: 'tick', 'text-anchor': 'end' }, vy.toFixed(2)));
  }
  for (const p of points) {
    const dot = svg('circle', { cx: x(p.x), cy: y(p.y), r: 6, class: `dot${p.tone ? ` dot--${p.tone}` : ''}`, tabindex: 0, role: 'img', 'aria-label': p.title }, svg('title', {}, p.title));
    root.append(dot, svg('text', { x: x(p.x) + 8, y: y(p.y) - 6, class: 'dot-label' }, p.label));
  }
  return root;
}
