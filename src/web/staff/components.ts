/**
 * Small building blocks of the staff screens: labelled fields, validation
 * errors placed next to their field, notices, tables, badges, dialogs.
 * Everything is built with dom.ts (no HTML strings) and styled by class.
 */
import { ApiError } from '../api.js';
import { append, h, type Child } from '../dom.js';
import { hasMessage, t, type MessageKey } from '../i18n.js';
import { MATH } from '../items/render.js';

let counter = 0;
/** A fresh element id. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface FieldOptions {
  hint?: string;
  /** JSON pointer of the value in the request body, for placing validation errors. */
  path?: string;
  errors?: FieldErrors;
  class?: string;
}

function describe(control: HTMLElement, id: string): void {
  const current = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  if (!current.includes(id)) control.setAttribute('aria-describedby', [...current, id].join(' '));
}

function undescribe(control: HTMLElement, id: string): void {
  const rest = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((x) => x && x !== id);
  if (rest.length) control.setAttribute('aria-describedby', rest.join(' '));
  else control.removeAttribute('aria-describedby');
}

/** A label, the control, an optional hint, and a slot for its validation error. */
export function field(label: string, control: Control, options: FieldOptions = {}): HTMLElement {
  if (!control.id) control.id = uid('f');
  const wrap = h('div', { class: `field${options.class ? ` ${options.class}` : ''}` }, h('label', { for: control.id }, label), control);
  if (options.hint) {
    const hint = h('p', { class: 'hint', id: uid('hint') }, options.hint);
    wrap.append(hint);
    describe(control, hint.id);
  }
  if (options.path !== undefined && options.errors) options.errors.register(options.path, wrap, control);
  return wrap;
}

/** A group of controls (radios, checkboxes, a list) with a legend and an error slot. */
export function fieldset(legend: string, options: FieldOptions, ...children: Child[]): HTMLFieldSetElement {
  const set = h('fieldset', { class: `fieldset${options.class ? ` ${options.class}` : ''}` }, h('legend', null, legend), ...children);
  if (options.hint) {
    const hint = h('p', { class: 'hint', id: uid('hint') }, options.hint);
    set.append(hint);
    describe(set, hint.id);
  }
  if (options.path !== undefined && options.errors) options.errors.register(options.path, set, set);
  return set;
}

export function input(attrs: Record<string, string | number | boolean | null | undefined> = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function textarea(attrs: Record<string, string | number | boolean | null | undefined> = {}): HTMLTextAreaElement {
  return h('textarea', { rows: 3, ...attrs });
}

export function select(options: [value: string, label: string][], value = '', attrs: Record<string, string | number | boolean | null | undefined> = {}): HTMLSelectElement {
  const el = h('select', attrs);
  for (const [v, label] of options) el.append(h('option', { value: v }, label));
  el.value = value;
  return el;
}

export function checkbox(label: string, checked: boolean, attrs: Record<string, string | number | boolean | null | undefined> = {}): { wrap: HTMLLabelElement; box: HTMLInputElement } {
  const box = h('input', { type: 'checkbox', ...attrs });
  box.checked = checked;
  return { wrap: h('label', { class: 'check' }, box, h('span', null, label)), box };
}

// ---------------------------------------------------------------- validation errors

interface Detail {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The JSON pointer a detail is about (a missing property names itself). */
export function detailPath(detail: Detail): string {
  const base = detail.instancePath ?? '';
  const missing = detail.params?.missingProperty;
  if (detail.keyword === 'required' && typeof missing === 'string' && missing !== '' && !/[/~]/.test(missing)) return `${base}/${missing}`;
  const extra = detail.params?.additionalProperty ?? detail.params?.unevaluatedProperty;
  if (typeof extra === 'string') return `${base}/${extra}`;
  return base;
}

const KEYWORD_MESSAGES: Record<string, MessageKey> = {
  required: 'staff.err.required',
  pattern: 'staff.err.pattern',
  enum: 'staff.err.enum',
  const: 'staff.err.enum',
  uniqueItems: 'staff.err.uniqueItems',
  uniqueId: 'staff.err.uniqueId',
  knownId: 'staff.err.knownId',
  safeContent: 'staff.err.safeContent',
  clozeMarker: 'staff.err.clozeMarker',
  ladderLength: 'staff.err.ladderLength',
  permutation: 'staff.err.permutation',
  duplicateText: 'staff.err.duplicateText',
  mathDelimiters: 'staff.err.mathDelimiters',
  oneOf: 'staff.err.clozeBlank',
  not: 'staff.err.clozeBlank',
  additionalProperties: 'staff.err.additional',
  unevaluatedProperties: 'staff.err.additional',
  format: 'staff.err.format',
  media: 'staff.err.media',
};

/** A validation detail as a sentence in the current language (the server's own text when no better one is known). */
export function detailMessage(detail: Detail): string {
  const p = detail.params ?? {};
  const limit = typeof p.limit === 'number' ? p.limit : undefined;
  switch (detail.keyword) {
    case 'minLength':
      return limit === 1 ? t('staff.err.empty') : t('staff.err.minLength', { limit: String(limit ?? '') });
    case 'maxLength':
      return t('staff.err.maxLength', { limit: String(limit ?? '') });
    case 'minimum':
    case 'exclusiveMinimum':
      return t('staff.err.minimum', { limit: String(limit ?? '') });
    case 'maximum':
    case 'exclusiveMaximum':
      return t('staff.err.maximum', { limit: String(limit ?? '') });
    case 'minItems':
      return t('staff.err.minItems', { limit: String(limit ?? '') });
    case 'maxItems':
      return t('staff.err.maxItems', { limit: String(limit ?? '') });
    case 'type':
      return p.type === 'number' || p.type === 'integer' ? t('staff.err.number') : p.type === 'boolean' ? t('staff.err.boolean') : t('staff.err.type');
    default: {
      const key = detail.keyword ? KEYWORD_MESSAGES[detail.keyword] : undefined;
      if (key) {
        const params: Record<string, string> = { id: String(p.id ?? ''), name: String(p.additionalProperty ?? p.unevaluatedProperty ?? ''), same: String(p.same ?? '') };
        return t(key, params);
      }
      return detail.message ?? t('staff.err.invalid');
    }
  }
}

interface FieldSlot {
  wrap: HTMLElement;
  control: HTMLElement;
  error: HTMLElement;
}

/**
 * Where a form's validation errors go: each registered JSON pointer has a
 * field; a detail lands on the field with the longest pointer that is a
 * prefix of its instancePath (`/options/2/text` → that option's text box,
 * `/correct/0` → the "correct answer" group). What matches no field is
 * listed in the summary at the top, which also links to every error.
 */
export class FieldErrors {
  private readonly slots = new Map<string, FieldSlot>();

  constructor(readonly summary: HTMLElement) {
    summary.hidden = true;
    summary.setAttribute('tabindex', '-1');
  }

  register(path: string, wrap: HTMLElement, control: HTMLElement): void {
    const error = h('p', { class: 'field-error', id: uid('err'), hidden: true });
    wrap.append(error);
    const slot: FieldSlot = { wrap, control, error };
    this.slots.set(path, slot);
    // An error is about what was sent: once the author edits the field, it no longer describes it.
    const resolved = () => this.resolve(slot);
    wrap.addEventListener('input', resolved);
    wrap.addEventListener('change', resolved);
  }

  /** Takes one field's error down, and its line in the summary (the summary goes when it is empty). */
  private resolve(slot: FieldSlot): void {
    if (slot.error.hidden) return;
    slot.error.hidden = true;
    slot.error.textContent = '';
    slot.wrap.classList.remove('field--invalid');
    slot.control.removeAttribute('aria-invalid');
    undescribe(slot.control, slot.error.id);
    const target = `#${slot.control.id || slot.wrap.id}`;
    for (const link of this.summary.querySelectorAll<HTMLAnchorElement>('li > a')) if (link.getAttribute('href') === target) link.parentElement!.remove();
    if (!this.summary.querySelector('li')) {
      this.summary.hidden = true;
      this.summary.replaceChildren();
    }
  }

  /** Forgets fields no longer on the page (lists rebuilt after adding or removing a row). */
  private prune(): void {
    for (const [path, slot] of this.slots) if (!slot.wrap.isConnected) this.slots.delete(path);
  }

  clear(): void {
    this.prune();
    for (const slot of this.slots.values()) {
      slot.error.hidden = true;
      slot.error.textContent = '';
      slot.wrap.classList.remove('field--invalid');
      slot.control.removeAttribute('aria-invalid');
      undescribe(slot.control, slot.error.id);
    }
    this.summary.hidden = true;
    this.summary.replaceChildren();
  }

  private slotFor(path: string): FieldSlot | null {
    let best: [string, FieldSlot] | null = null;
    for (const entry of this.slots) {
      const p = entry[0];
      if ((path === p || path.startsWith(`${p}/`) || p === '') && (!best || p.length > best[0].length)) best = entry;
    }
    return best?.[1] ?? null;
  }

  /** Shows the details of a validation_failed answer; returns how many landed on a field. */
  show(details: unknown[], heading: string): number {
    this.clear();
    const byField = new Map<FieldSlot, string[]>();
    const unplaced: string[] = [];
    for (const raw of details) {
      if (!raw || typeof raw !== 'object') continue;
      const detail = raw as Detail;
      const message = detailMessage(detail);
      const slot = this.slotFor(detailPath(detail));
      if (!slot) {
        unplaced.push(`${detailPath(detail) || '/'}: ${message}`);
        continue;
      }
      const list = byField.get(slot) ?? [];
      if (!list.includes(message)) list.push(message);
      byField.set(slot, list);
    }
    const links: HTMLElement[] = [];
    for (const [slot, messages] of byField) {
      slot.error.textContent = messages.join(' ');
      slot.error.hidden = false;
      slot.wrap.classList.add('field--invalid');
      slot.control.setAttribute('aria-invalid', 'true');
      describe(slot.control, slot.error.id);
      const label = slot.wrap.dataset.label ?? slot.wrap.querySelector(':scope > label, :scope > legend')?.textContent ?? slot.control.getAttribute('aria-label') ?? '';
      const link = h('a', { href: `#${slot.control.id || slot.wrap.id}` }, `${label}: ${messages.join(' ')}`);
      link.addEventListener('click', (event) => {
        event.preventDefault();
        const target = slot.control.matches('fieldset') ? slot.control.querySelector<HTMLElement>('input, select, textarea, button') : slot.control;
        (target ?? slot.control).focus();
      });
      links.push(h('li', null, link));
    }
    for (const text of unplaced) links.push(h('li', null, text));
    this.summary.replaceChildren(h('p', { class: 'error-summary-title' }, heading), h('ul', null, ...links));
    this.summary.hidden = links.length === 0;
    if (!this.summary.hidden) this.summary.focus();
    return byField.size;
  }
}

// ---------------------------------------------------------------- messages

/** The text for an API error in the current language. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    for (const key of [`staff.error.${err.code}`, `error.${err.code}`]) if (hasMessage(key)) return t(key);
    return t('error.generic', { message: err.message });
  }
  return t('error.generic', { message: err instanceof Error ? err.message : String(err) });
}

export type NoticeKind = 'info' | 'success' | 'error' | 'warning';

/** A message box; errors are announced at once, others politely. */
export function notice(kind: NoticeKind, ...content: Child[]): HTMLElement {
  return h('div', { class: `notice notice--${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...content);
}

/** Replaces an element's children; null, undefined and false children are left out. */
export function fill(el: HTMLElement, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** Replaces `slot`'s content with a notice (or empties it). */
export function say(slot: HTMLElement, kind: NoticeKind | null, ...content: Child[]): void {
  if (!kind) slot.replaceChildren();
  else slot.replaceChildren(notice(kind, ...content));
}

export function badge(text: string, tone: 'neutral' | 'active' | 'done' | 'warn' | 'danger' = 'neutral'): HTMLElement {
  return h('span', { class: `badge badge--${tone}` }, text);
}

const STATUS_TONES: Record<string, 'neutral' | 'active' | 'done' | 'warn' | 'danger'> = {
  draft: 'neutral',
  in_review: 'warn',
  approved: 'done',
  retired: 'danger',
  published: 'active',
  not_started: 'neutral',
  in_progress: 'active',
  submitted: 'done',
  graded: 'done',
  pending_manual: 'warn',
};

/** A status word as a coloured badge (item, exam, candidate or result status). */
export function statusBadge(status: string): HTMLElement {
  const key = `staff.status.${status}`;
  const label = hasMessage(key) ? t(key) : hasMessage(`status.${status}`) ? t(`status.${status}` as MessageKey) : status;
  const el = badge(label, STATUS_TONES[status] ?? 'neutral');
  el.dataset.status = status;
  return el;
}

// ---------------------------------------------------------------- tables

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  class?: string;
  /** Sort key; columns with one get a sort button in their header. */
  sort?: (row: T) => string | number;
}

/** One page of a cursor-paginated list route. */
export interface ListPage<T> {
  rows: T[];
  nextCursor: string | null;
}

/**
 * A list read page by page from a cursor route: a table, a "more" button and
 * a reload that starts over. A reload started while a page is on its way wins:
 * answers of older ones are dropped.
 */
export function pagedTable<T>(options: {
  caption: string;
  empty: string;
  columns: Column<T>[];
  rowAttrs: (row: T) => Record<string, string>;
  page: (cursor: string | null) => Promise<ListPage<T>>;
  disposed: () => boolean;
}): { slot: HTMLElement; more: HTMLButtonElement; reload: () => void } {
  const slot = h('div', { class: 'list-slot', 'aria-live': 'polite' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  const more = button(t('staff.items.more'), 'secondary');
  more.hidden = true;
  const rows: T[] = [];
  let cursor: string | null = null;
  let generation = 0;
  const draw = () =>
    slot.replaceChildren(rows.length ? dataTable(options.caption, options.columns, rows, { captionHidden: true, rowAttrs: options.rowAttrs }) : h('p', { class: 'empty' }, options.empty));
  const load = async () => {
    const mine = generation;
    const page = await options.page(cursor);
    if (options.disposed() || mine !== generation) return;
    rows.push(...page.rows);
    cursor = page.nextCursor;
    more.hidden = !cursor;
    draw();
  };
  more.addEventListener('click', () => void busy(more, t('staff.loading'), () => load().catch((err) => say(slot, 'error', errorMessage(err)))));
  const reload = () => {
    generation++;
    rows.length = 0;
    cursor = null;
    load().catch((err) => !options.disposed() && say(slot, 'error', errorMessage(err)));
  };
  return { slot, more, reload };
}

/**
 * A table in a horizontally scrolling box (wide tables never widen the page),
 * with optional sorting by column.
 */
export function dataTable<T>(caption: string, columns: Column<T>[], rows: T[], options: { rowAttrs?: (row: T) => Record<string, string>; captionHidden?: boolean } = {}): HTMLElement {
  let sortIndex = -1;
  let ascending = true;
  const tbody = h('tbody');
  const headers = columns.map((col, i) => {
    const th = h('th', { scope: 'col', class: col.class });
    if (col.sort) {
      const button = h('button', { type: 'button', class: 'sort-button' }, col.label);
      button.addEventListener('click', () => {
        ascending = sortIndex === i ? !ascending : true;
        sortIndex = i;
        fill();
      });
      th.append(button);
    } else th.textContent = col.label;
    return th;
  });
  function fill(): void {
    let list = rows;
    if (sortIndex >= 0) {
      const key = columns[sortIndex]!.sort!;
      list = [...rows].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'vi');
        return ascending ? c : -c;
      });
    }
    headers.forEach((th, i) => {
      if (i === sortIndex) th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    tbody.replaceChildren(
      ...list.map((row) => h('tr', options.rowAttrs?.(row) ?? null, ...columns.map((col) => h('td', { class: col.class }, col.cell(row))))),
    );
  }
  fill();
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'data-table' }, h('caption', { class: options.captionHidden ? 'visually-hidden' : null }, caption), h('thead', null, h('tr', null, ...headers)), tbody),
  );
}

// ---------------------------------------------------------------- actions

/** Runs `work` with the button disabled and showing `busyText`; restores it after. */
export async function busy<T>(button: HTMLButtonElement, busyText: string, work: () => Promise<T>): Promise<T> {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

export function button(text: string, kind: 'primary' | 'secondary' | 'danger' | 'ghost' = 'secondary', attrs: Record<string, string | number | boolean | null | undefined> = {}): HTMLButtonElement {
  return h('button', { type: 'button', class: `button button--${kind}`, ...attrs }, text);
}

/** A modal yes/no question; resolves true for yes. Escape and the cancel button say no. */
export function confirmDialog(title: string, body: Child, ok: string, cancel: string = t('staff.cancel'), danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const yes = button(ok, danger ? 'danger' : 'primary');
    const no = button(cancel, 'secondary');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, h('h2', { id: titleId }, title), h('div', { class: 'dialog-body' }, body), h('div', { class: 'actions' }, no, yes));
    document.body.append(dialog);
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    dialog.showModal();
    no.focus();
  });
}

/** Formats a number for people (Vietnamese uses a decimal comma). */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN', { maximumFractionDigits: digits }).format(value);
}

/** Reads a number typed with a decimal comma or point; NaN when it is not one. */
export function parseNumber(text: string): number {
  const s = text.trim().replace(/\s+/g, '').replace(',', '.');
  if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Number.NaN;
  return Number(s);
}

/** Debounces `fn` by `ms`; `.cancel()` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const wrapped = (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  wrapped.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return wrapped;
}

/** A short, stable excerpt of item HTML for lists. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let cut = max - 1;
  // Never cut inside a formula: a half formula would show as raw LaTeX. Keep it whole, or drop it.
  for (const m of flat.matchAll(MATH)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (start < cut && end > cut) {
      cut = end <= max + 40 ? end : start;
      break;
    }
  }
  return `${flat.slice(0, cut).trimEnd()}…`;
}
