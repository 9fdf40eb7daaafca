/**
 * The one item renderer, shared by the student client and the staff app.
 *
 * `renderItem(item, options)` turns a candidate-facing item (any of the ten
 * types) into accessible form controls and reads and writes the response `r`
 * in exactly the shape of docs/item-types.md. Text from the item goes through the
 * allow-list sanitiser (items/sanitize.ts); maths between `\( \)` and `\[ \]`
 * is typeset with KaTeX when the page loaded it (the global `katex` of
 * katex.min.js), and left as source text otherwise.
 *
 * An unanswered item reads as `null` (nothing chosen, empty text, an ordering
 * never touched); `null` is also what clears a stored answer on the server.
 */
import type { KatexOptions, render as katexRender } from 'katex';
import { h, idFragment } from '../dom.js';
import { t } from '../i18n.js';
import { plainText, sanitizeHtml } from './sanitize.js';
import { ESSAY_MAX_CHARS, itemIdOf, type CandidateItem, type ItemResponse, type ItemType, type Labelled } from './types.js';

export { ITEM_TYPES, ESSAY_MAX_CHARS, itemIdOf, type CandidateItem, type ItemResponse, type ItemType, type Labelled } from './types.js';
export { plainText, sanitizeHtml, safeImageSrc } from './sanitize.js';

export interface RenderOptions {
  /** Response shown first. @defaultValue null (unanswered) */
  initial?: ItemResponse | null;
  /**
   * Called after each change made by the person answering (never for
   * setResponse). `settled` is false while text is being typed and true for
   * a click, a selection, or a text field losing focus: debounce the former.
   */
  onChange?: (response: ItemResponse | null, settled: boolean) => void;
  /** Shows the response without allowing changes (staff review). @defaultValue false */
  readOnly?: boolean;
  /** Prefix of the element ids; must be unique on the page. @defaultValue `item-<itemId>` */
  idPrefix?: string;
}

export interface RenderedItem {
  readonly item: CandidateItem;
  readonly itemId: string;
  /** The stem and the answer controls. The caller adds numbering, flags and save state around it. */
  readonly element: HTMLElement;
  /** The id of the stem element, for aria-labelledby. */
  readonly stemId: string;
  getResponse(): ItemResponse | null;
  /** Shows `r` (a response of the wrong shape shows as unanswered) without calling onChange. */
  setResponse(r: ItemResponse | null | undefined): void;
  /** Locks or unlocks every control (time up, submitting). */
  setDisabled(disabled: boolean): void;
  /** Moves keyboard focus to the first control. */
  focus(): void;
}

// ---------------------------------------------------------------- rich text

interface KatexGlobal {
  render: typeof katexRender;
}

function katexGlobal(): KatexGlobal | null {
  const k = (globalThis as { katex?: KatexGlobal }).katex;
  return k && typeof k.render === 'function' ? k : null;
}

const KATEX_OPTIONS: KatexOptions = { throwOnError: false, trust: false, strict: 'ignore', maxSize: 50, maxExpand: 1000, output: 'htmlAndMathml' };

/** One formula. KaTeX builds DOM nodes (no HTML strings); without KaTeX the source is shown as text. */
function mathNode(tex: string, display: boolean, source: string): HTMLElement {
  const span = h('span', { class: display ? 'math math-display' : 'math' });
  const katex = katexGlobal();
  if (!katex) {
    span.textContent = source;
    return span;
  }
  try {
    katex.render(tex, span, { ...KATEX_OPTIONS, displayMode: display });
  } catch {
    span.textContent = source;
  }
  return span;
}

/** A `\(…\)` or `\[…\]` formula (global: use with matchAll). */
export const MATH = /\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
const BLANK = /\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}/g;

function splitMath(text: string): (string | Node)[] {
  const out: (string | Node)[] = [];
  let last = 0;
  for (const m of text.matchAll(MATH)) {
    if (m.index! > last) out.push(text.slice(last, m.index));
    out.push(m[1] !== undefined ? mathNode(m[1], false, m[0]) : mathNode(m[2]!, true, m[0]));
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export interface RichTextOptions {
  /** Cloze: the node to put in place of a `{{blankId}}` marker; null leaves the marker as text. */
  blank?: (id: string) => Node | null;
}

/** Item HTML, sanitised, with maths typeset (and cloze markers replaced when asked). */
export function renderRichText(html: string, options: RichTextOptions = {}): DocumentFragment {
  const fragment = sanitizeHtml(html ?? '');
  const texts: Text[] = [];
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
  for (const text of texts) {
    if (text.parentElement?.closest('code')) continue;
    const pieces: (string | Node)[] = [];
    let last = 0;
    const data = text.data;
    if (options.blank) {
      for (const m of data.matchAll(BLANK)) {
        const node = options.blank(m[1]!);
        if (!node) continue;
        pieces.push(...splitMath(data.slice(last, m.index)), node);
        last = m.index! + m[0].length;
      }
    }
    pieces.push(...splitMath(data.slice(last)));
    if (pieces.length === 1 && pieces[0] === data) continue;
    text.replaceWith(...pieces.filter((p) => p !== ''));
  }
  return fragment;
}

/** Plain text (not HTML) with its `\\(…\\)` and `\\[…\\]` maths typeset: for excerpts in tables and lists. */
export function renderMathText(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  fragment.append(...splitMath(text).filter((p) => p !== ''));
  return fragment;
}

// ---------------------------------------------------------------- responses

/** Whether `r` is an answer at all (not null, not an empty list, map or text). */
export function hasAnswer(r: ItemResponse | null | undefined): boolean {
  if (r === null || r === undefined) return false;
  if (typeof r === 'string') return r.trim() !== '';
  if (Array.isArray(r)) return r.length > 0;
  if (typeof r === 'object') return Object.keys(r).length > 0;
  return true;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Equality of two responses, ignoring key order in maps. */
export function sameResponse(a: ItemResponse | null | undefined, b: ItemResponse | null | undefined): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed ? trimmed.split(/\s+/u).length : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------- item types

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLButtonElement;

interface Context {
  item: CandidateItem;
  idp: string;
  stemId: string;
  emit(settled: boolean): void;
}

interface Part {
  body: Node;
  get(): ItemResponse | null;
  set(r: unknown): void;
  controls(): Control[];
  /** Own locking, where controls have states of their own (first/last arrow buttons). */
  lock?(disabled: boolean): void;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const letter = (i: number) => LETTERS[i] ?? String(i + 1);
const lower = (i: number) => (LETTERS[i] ?? String(i + 1)).toLowerCase();

function list(values: Labelled[] | undefined): Labelled[] {
  return (values ?? []).map((v) => ({ id: String(v.id), text: String(v.text ?? '') }));
}

function choiceItem(ctx: Context, multiple: boolean): Part {
  const options = list(ctx.item.options);
  const group = h('div', { class: 'choices', role: multiple ? 'group' : 'radiogroup', 'aria-labelledby': ctx.stemId });
  const inputs = options.map((option, i) => {
    const input = h('input', { type: multiple ? 'checkbox' : 'radio', name: `${ctx.idp}-option`, value: option.id, id: `${ctx.idp}-option-${i}` });
    input.addEventListener('change', () => ctx.emit(true));
    group.append(
      h('label', { class: 'choice', for: input.id }, input, h('span', { class: 'choice-key' }, `${letter(i)}.`), h('span', { class: 'choice-text' }, renderRichText(option.text))),
    );
    return input;
  });
  return {
    body: group,
    controls: () => inputs,
    get() {
      const picked = inputs.filter((x) => x.checked).map((x) => x.value);
      if (multiple) return picked.length ? picked : null;
      return picked[0] ?? null;
    },
    set(r) {
      const wanted = new Set(multiple ? (Array.isArray(r) ? r.map(String) : []) : typeof r === 'string' ? [r] : []);
      for (const input of inputs) input.checked = wanted.has(input.value);
    },
  };
}

function trueFalsePair(name: string, idBase: string, emit: Context['emit']): { row: HTMLElement; yes: HTMLInputElement; no: HTMLInputElement } {
  const yes = h('input', { type: 'radio', name, value: 'true', id: `${idBase}-true` });
  const no = h('input', { type: 'radio', name, value: 'false', id: `${idBase}-false` });
  for (const input of [yes, no]) input.addEventListener('change', () => emit(true));
  const row = h(
    'div',
    { class: 'tf-pair' },
    h('label', { class: 'choice choice--tf', for: yes.id }, yes, h('span', { id: `${yes.id}-label` }, t('item.true'))),
    h('label', { class: 'choice choice--tf', for: no.id }, no, h('span', { id: `${no.id}-label` }, t('item.false'))),
  );
  return { row, yes, no };
}

const readBool = (yes: HTMLInputElement, no: HTMLInputElement): boolean | null => (yes.checked ? true : no.checked ? false : null);
const writeBool = (yes: HTMLInputElement, no: HTMLInputElement, value: unknown) => {
  yes.checked = value === true;
  no.checked = value === false;
};

function trueFalseItem(ctx: Context): Part {
  const pair = trueFalsePair(`${ctx.idp}-tf`, `${ctx.idp}-tf`, ctx.emit);
  pair.row.setAttribute('role', 'radiogroup');
  pair.row.setAttribute('aria-labelledby', ctx.stemId);
  return {
    body: pair.row,
    controls: () => [pair.yes, pair.no],
    get: () => readBool(pair.yes, pair.no),
    set: (r) => writeBool(pair.yes, pair.no, r),
  };
}

function clusterItem(ctx: Context): Part {
  const statements = list(ctx.item.statements);
  const body = h('div', { class: 'tf-cluster' });
  const rows = statements.map((statement, i) => {
    const legendId = `${ctx.idp}-st-${i}-text`;
    const pair = trueFalsePair(`${ctx.idp}-st-${i}`, `${ctx.idp}-st-${i}`, ctx.emit);
    // Each radio is named with its statement ("a) … Đúng"), not just "Đúng", for screen readers and voice control.
    for (const input of [pair.yes, pair.no]) input.setAttribute('aria-labelledby', `${legendId} ${input.id}-label`);
    body.append(
      h(
        'fieldset',
        { class: 'tf-statement', 'aria-labelledby': legendId },
        h('legend', { id: legendId }, h('span', { class: 'choice-key' }, `${lower(i)})`), ' ', h('span', { class: 'statement-text' }, renderRichText(statement.text))),
        pair.row,
      ),
    );
    return { id: statement.id, ...pair };
  });
  return {
    body,
    controls: () => rows.flatMap((r) => [r.yes, r.no]),
    get() {
      const out: Record<string, boolean> = {};
      for (const row of rows) {
        const value = readBool(row.yes, row.no);
        if (value !== null) out[row.id] = value;
      }
      return Object.keys(out).length ? out : null;
    },
    set(r) {
      const values = isRecord(r) ? r : {};
      for (const row of rows) writeBool(row.yes, row.no, values[row.id]);
    },
  };
}

function textItem(ctx: Context, numeric: boolean): Part {
  const inputId = `${ctx.idp}-answer`;
  const hintId = `${inputId}-hint`;
  const input = h('input', {
    type: 'text',
    id: inputId,
    class: numeric ? 'answer-input answer-input--numeric' : 'answer-input',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: numeric ? 'off' : null,
    maxlength: numeric ? 100 : 1000,
    'aria-describedby': numeric ? hintId : null,
  });
  input.addEventListener('input', () => ctx.emit(false));
  input.addEventListener('change', () => ctx.emit(true));
  const body = h('div', { class: 'text-answer' }, h('label', { for: inputId }, t('item.answer')), input, numeric && h('p', { class: 'hint', id: hintId }, t('item.numericHint')));
  return {
    body,
    controls: () => [input],
    // A numeric response keeps the decimal comma ("-1,5"): the text goes as typed, only trimmed.
    get: () => (input.value.trim() === '' ? null : input.value.trim()),
    set(r) {
      input.value = typeof r === 'string' ? r : numeric && typeof r === 'number' && Number.isFinite(r) ? String(r) : '';
    },
  };
}

function matchingItem(ctx: Context): Part {
  const premises = list(ctx.item.premises);
  const choices = list(ctx.item.choices);
  const choiceList = h('ol', { class: 'match-choices' });
  choices.forEach((choice, i) => choiceList.append(h('li', null, h('span', { class: 'choice-key' }, `${i + 1}.`), ' ', h('span', null, renderRichText(choice.text)))));
  const rows = premises.map((premise, i) => {
    const textId = `${ctx.idp}-premise-${i}`;
    const select = h('select', { id: `${textId}-select`, 'aria-labelledby': textId });
    select.append(h('option', { value: '' }, t('item.choose')));
    choices.forEach((choice, j) => select.append(h('option', { value: choice.id }, `${j + 1}. ${plainText(choice.text)}`)));
    select.addEventListener('change', () => ctx.emit(true));
    const row = h('div', { class: 'match-row' }, h('div', { class: 'match-premise', id: textId }, h('span', { class: 'choice-key' }, `${lower(i)})`), ' ', h('span', null, renderRichText(premise.text))), select);
    return { id: premise.id, select, row };
  });
  const body = h(
    'div',
    { class: 'matching' },
    h('div', { class: 'match-premises', role: 'group', 'aria-labelledby': ctx.stemId }, ...rows.map((r) => r.row)),
    h('div', { class: 'match-choices-box' }, h('p', { class: 'match-choices-title' }, t('item.choices')), choiceList),
  );
  return {
    body,
    controls: () => rows.map((r) => r.select),
    get() {
      const out: Record<string, string> = {};
      for (const row of rows) if (row.select.value) out[row.id] = row.select.value;
      return Object.keys(out).length ? out : null;
    },
    set(r) {
      const values = isRecord(r) ? r : {};
      for (const row of rows) {
        const value = values[row.id];
        row.select.value = typeof value === 'string' && choices.some((c) => c.id === value) ? value : '';
      }
    },
  };
}

function orderingItem(ctx: Context): Part {
  const elements = list(ctx.item.elements);
  const original = elements.map((e) => e.id);
  let chosen = false;
  let locked = false;
  const listEl = h('ol', { class: 'order-list', 'aria-labelledby': ctx.stemId });
  const status = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const chosenNote = h('span', { class: 'order-chosen' });
  const keep = h('button', { type: 'button', class: 'button button--secondary order-keep' }, t('item.keepOrder'));
  const rows = new Map<string, { li: HTMLLIElement; up: HTMLButtonElement; down: HTMLButtonElement; pos: HTMLElement; label: string }>();

  for (const element of elements) {
    const label = plainText(element.text);
    const up = h('button', { type: 'button', class: 'icon-button', 'aria-label': `${t('item.moveUp')}: ${label}` }, '↑');
    const down = h('button', { type: 'button', class: 'icon-button', 'aria-label': `${t('item.moveDown')}: ${label}` }, '↓');
    const pos = h('span', { class: 'order-pos', 'aria-hidden': 'true' });
    const li = h('li', { class: 'order-row', 'data-id': element.id }, pos, h('div', { class: 'order-text' }, renderRichText(element.text)), h('div', { class: 'order-buttons' }, up, down));
    rows.set(element.id, { li, up, down, pos, label });
    up.addEventListener('click', () => move(element.id, -1, up, down));
    down.addEventListener('click', () => move(element.id, 1, down, up));
    listEl.append(li);
  }
  keep.addEventListener('click', () => {
    chosen = true;
    refresh();
    ctx.emit(true);
  });

  function currentOrder(): string[] {
    return Array.from(listEl.children).map((li) => (li as HTMLElement).dataset.id ?? '');
  }

  function refresh(): void {
    const order = currentOrder();
    order.forEach((id, i) => {
      const row = rows.get(id)!;
      row.pos.textContent = String(i + 1);
      row.up.disabled = locked || i === 0;
      row.down.disabled = locked || i === order.length - 1;
    });
    keep.disabled = locked;
    keep.hidden = chosen;
    chosenNote.textContent = chosen ? t('item.orderChosen') : t('item.orderHint');
  }

  function move(id: string, delta: -1 | 1, pressed: HTMLButtonElement, other: HTMLButtonElement): void {
    if (locked) return;
    const row = rows.get(id)!;
    const sibling = delta < 0 ? row.li.previousElementSibling : row.li.nextElementSibling;
    if (!sibling) return;
    if (delta < 0) listEl.insertBefore(row.li, sibling);
    else listEl.insertBefore(sibling, row.li);
    chosen = true;
    refresh();
    // Moving the row must not lose the keyboard user's place.
    (pressed.disabled ? other : pressed).focus();
    const order = currentOrder();
    status.textContent = t('item.movedTo', { text: row.label, pos: order.indexOf(id) + 1, total: order.length });
    ctx.emit(true);
  }

  refresh();
  return {
    body: h('div', { class: 'ordering' }, listEl, h('div', { class: 'order-footer' }, keep, chosenNote), status),
    controls: () => [...rows.values()].flatMap((r) => [r.up, r.down]).concat(keep),
    get: () => (chosen ? currentOrder() : null),
    set(r) {
      const ids = Array.isArray(r) ? r.map(String).filter((id) => rows.has(id)) : [];
      const order = ids.length ? [...new Set(ids), ...original.filter((id) => !ids.includes(id))] : original;
      for (const id of order) listEl.append(rows.get(id)!.li);
      chosen = ids.length > 0;
      refresh();
    },
    lock(disabled) {
      locked = disabled;
      refresh();
    },
  };
}

function clozeItem(ctx: Context): Part {
  const blanks = (ctx.item.blanks ?? []).map((b) => (typeof b === 'string' ? { id: b } : { ...b, id: String(b.id) }));
  const declared = blanks.map((b) => b.id);
  const choicesOf = new Map(blanks.filter((b) => Array.isArray(b.options)).map((b) => [b.id, b]));
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const makeInput = (id: string): HTMLInputElement | HTMLSelectElement => {
    const attrs = { class: 'cloze-blank', id: `${ctx.idp}-blank-${idFragment(id)}`, 'data-blank-id': id, 'aria-label': t('item.blank', { n: inputs.size + 1 }) };
    const choice = choicesOf.get(id);
    let input: HTMLInputElement | HTMLSelectElement;
    if (choice) {
      // A dropdown blank: one pick from a native <select>, or several from a multiple-selection list.
      const select = h('select', choice.multiple ? { ...attrs, class: 'cloze-blank cloze-choice', multiple: true, size: Math.min(choice.options!.length, 6) } : { ...attrs, class: 'cloze-blank cloze-choice' });
      if (!choice.multiple) select.append(h('option', { value: '' }, t('item.choose')));
      for (const o of list(choice.options)) select.append(h('option', { value: o.id }, plainText(o.text)));
      select.addEventListener('change', () => ctx.emit(true));
      input = select;
    } else {
      const text = h('input', { ...attrs, type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: 1000, size: 10 });
      text.addEventListener('input', () => ctx.emit(false));
      text.addEventListener('change', () => ctx.emit(true));
      input = text;
    }
    inputs.set(id, input);
    return input;
  };
  const text = renderRichText(ctx.item.text ?? '', {
    blank: (id) => (inputs.has(id) || (declared.length > 0 && !declared.includes(id)) ? null : makeInput(id)),
  });
  const body = h('div', { class: 'cloze-text' }, text);
  const missing = declared.filter((id) => !inputs.has(id));
  if (missing.length) {
    const extra = h('ol', { class: 'cloze-extra' });
    for (const id of missing) {
      const n = inputs.size + 1;
      const input = makeInput(id);
      extra.append(h('li', null, h('label', { for: input.id }, t('item.blank', { n })), ' ', input));
    }
    body.append(extra);
  }
  return {
    body,
    controls: () => [...inputs.values()],
    get() {
      const out: Record<string, string | string[]> = {};
      for (const [id, input] of inputs) {
        if (input instanceof HTMLSelectElement && input.multiple) {
          const picked = [...input.selectedOptions].map((o) => o.value);
          if (picked.length) out[id] = picked;
        } else if (input.value.trim() !== '') {
          out[id] = input.value.trim();
        }
      }
      return Object.keys(out).length ? out : null;
    },
    set(r) {
      const values = isRecord(r) ? r : {};
      for (const [id, input] of inputs) {
        const value = values[id];
        if (input instanceof HTMLSelectElement && input.multiple) {
          const picked = new Set(Array.isArray(value) ? value.map(String) : []);
          for (const o of input.options) o.selected = picked.has(o.value);
        } else if (input instanceof HTMLSelectElement) {
          input.value = typeof value === 'string' && [...input.options].some((o) => o.value === value) ? value : '';
        } else {
          input.value = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
        }
      }
    },
  };
}

function essayItem(ctx: Context): Part {
  const maxWords = typeof ctx.item.maxWords === 'number' && ctx.item.maxWords > 0 ? ctx.item.maxWords : null;
  const areaId = `${ctx.idp}-essay`;
  const counterId = `${areaId}-count`;
  const area = h('textarea', { id: areaId, class: 'essay', rows: 12, maxlength: ESSAY_MAX_CHARS, 'aria-describedby': counterId, spellcheck: 'true' });
  const counter = h('p', { class: 'word-count', id: counterId });
  const update = () => {
    const words = countWords(area.value);
    const over = maxWords !== null && words > maxWords;
    counter.textContent = maxWords !== null ? t('item.wordsOf', { count: words, max: maxWords }) : t('item.words', { count: words });
    if (over) counter.textContent += ` — ${t('item.tooManyWords', { max: maxWords })}`;
    counter.classList.toggle('word-count--over', over);
  };
  area.addEventListener('input', () => {
    update();
    ctx.emit(false);
  });
  area.addEventListener('change', () => ctx.emit(true));
  const criteria = (ctx.item.criteria ?? []).map(String).filter(Boolean);
  const body = h(
    'div',
    { class: 'essay-answer' },
    criteria.length > 0 && h('div', { class: 'criteria' }, h('p', { class: 'criteria-title' }, t('item.criteria')), h('ul', null, ...criteria.map((c) => h('li', null, c)))),
    h('label', { for: areaId }, t('item.essay')),
    area,
    counter,
  );
  update();
  return {
    body,
    controls: () => [area],
    get: () => (area.value.trim() === '' ? null : area.value),
    set(r) {
      area.value = typeof r === 'string' ? r.slice(0, ESSAY_MAX_CHARS) : '';
      update();
    },
  };
}

function unsupportedItem(ctx: Context): Part {
  return { body: h('p', { class: 'error-text' }, t('item.unsupported', { type: String(ctx.item.type) })), controls: () => [], get: () => null, set: () => undefined };
}

const BUILDERS: Record<ItemType, (ctx: Context) => Part> = {
  single_choice: (ctx) => choiceItem(ctx, false),
  multiple_choice: (ctx) => choiceItem(ctx, true),
  true_false: trueFalseItem,
  true_false_cluster: clusterItem,
  numeric: (ctx) => textItem(ctx, true),
  short_text: (ctx) => textItem(ctx, false),
  matching: matchingItem,
  ordering: orderingItem,
  cloze: clozeItem,
  essay: essayItem,
};

/** Renders one item. See RenderOptions and RenderedItem. */
export function renderItem(item: CandidateItem, options: RenderOptions = {}): RenderedItem {
  const itemId = itemIdOf(item);
  const idp = options.idPrefix ?? `item-${idFragment(itemId)}`;
  const stemId = `${idp}-stem`;
  let silent = true;
  const ctx: Context = {
    item,
    idp,
    stemId,
    emit(settled) {
      if (!silent) options.onChange?.(part.get(), settled);
    },
  };
  const builder = Object.hasOwn(BUILDERS, item.type) ? BUILDERS[item.type] : unsupportedItem;
  const part = builder(ctx);
  const element = h(
    'div',
    { class: `item item--${String(item.type).replace(/[^a-z_]/g, '')}`, 'data-item-id': itemId, 'data-item-type': String(item.type) },
    h('div', { class: 'item-stem', id: stemId }, renderRichText(item.stem ?? '')),
    h('div', { class: 'item-answer' }, part.body),
  );

  const setDisabled = (disabled: boolean) => {
    if (part.lock) return part.lock(disabled);
    for (const control of part.controls()) {
      // Text stays selectable and readable when locked.
      if (control instanceof HTMLTextAreaElement || (control instanceof HTMLInputElement && control.type === 'text')) control.readOnly = disabled;
      else control.disabled = disabled;
    }
  };

  part.set(options.initial ?? null);
  if (options.readOnly) setDisabled(true);
  silent = false;

  return {
    item,
    itemId,
    element,
    stemId,
    getResponse: () => part.get(),
    setResponse(r) {
      silent = true;
      part.set(r ?? null);
      silent = false;
    },
    setDisabled: (disabled) => setDisabled(options.readOnly ? true : disabled),
    focus() {
      const first = part.controls().find((c) => !c.disabled);
      first?.focus();
    },
  };
}
