/**
 * Blueprints ("ma trận đề"): the matrix editor (per section, rows are topics
 * and columns the four cognitive levels) that shows, while counts are typed,
 * how many approved items each cell can draw from; a stored blueprint; and
 * the blueprints seen on this device.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import type { ItemType } from '../../items/types.js';
import type { Blueprint, BlueprintCell, BlueprintSection, NewBlueprint } from '../api.js';
import { busy, button, checkbox, debounce, errorMessage, field, FieldErrors, input, num, pagedTable, parseNumber, say, select } from '../components.js';
import { pathId } from '../editor/type-editors.js';
import { staffPage, type StaffContext } from '../frame.js';
import { gradeOptions, LEVELS, levelLabel, typeLabel, typeOptions } from '../labels.js';
import { orgChoice } from '../org-select.js';
import { remember } from '../recent.js';
import { orgsWith } from '../roles.js';

interface RowDraft {
  topic: string;
  counts: [string, string, string, string];
}

interface SectionDraft {
  title: string;
  type: ItemType | '';
  pointsPerItem: string;
  shuffleItems: boolean;
  shuffleOptions: boolean;
  rows: RowDraft[];
}

const TOPIC = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function count(text: string): number {
  const n = parseNumber(text);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * Where availability comes from: GET /api/blueprints/availability, the
 * approved pool per (topic, level) of the section's type as the owner
 * organisation may draw it, i.e. exactly what assembly will use. Cached per
 * (organisation, subject, grade, type, topic) while the page is open.
 */
class Availability {
  private readonly cache = new Map<string, Promise<{ byLevel: Record<number, number>; capped: boolean }>>();
  constructor(private readonly ctx: StaffContext) {}

  get(subject: string, grade: number, type: string, topic: string, orgId = '') {
    const key = [orgId, subject, grade, type, topic].join('\u0000');
    let p = this.cache.get(key);
    if (!p) {
      p = this.ctx.api.availability({ subject, grade, topics: [topic], ...(type ? { type } : {}), ...(orgId ? { orgId } : {}) }).then((cells) => {
        const byLevel: Record<number, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
        for (const c of cells) if (c.topic === topic) byLevel[c.cognitiveLevel] = c.available;
        return { byLevel, capped: false };
      });
      this.cache.set(key, p);
      // A failed count is asked again next time.
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }
}

export const blueprintListPage = staffPage('blueprints', (ctx) => {
  let disposed = false;
  const q = input({ id: 'bp-q', type: 'search', value: ctx.query.get('q') ?? '' });
  const search = h('form', { class: 'inline-form', role: 'search' }, field(t('staff.blueprint.search'), q), h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.items.search')));
  const openId = input({ spellcheck: 'false', autocomplete: 'off' });
  const open = h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.open'));
  const openForm = h('form', { class: 'inline-form' }, field(t('staff.blueprint.openById'), openId), open);
  openForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (openId.value.trim()) ctx.navigate(`/staff/blueprints/${encodeURIComponent(openId.value.trim())}`);
  });
  const list = pagedTable<Blueprint>({
    caption: t('staff.blueprint.listTitle'),
    empty: t('staff.blueprint.none'),
    columns: [
      { label: t('staff.blueprint.titleField'), cell: (b) => ctx.link(`/staff/blueprints/${encodeURIComponent(b.id)}`, b.title), sort: (b) => b.title },
      { label: t('staff.items.col.class'), cell: (b) => `${b.subject} · ${b.grade}` },
      { label: t('staff.blueprint.itemCount'), cell: (b) => String(b.sections.reduce((x, s) => x + s.cells.reduce((y, c) => y + c.count, 0), 0)), class: 'num' },
      { label: t('staff.history.date'), cell: (b) => formatDateTime(b.createdAt), sort: (b) => b.createdAt },
      { label: t('staff.items.col.actions'), cell: (b) => ctx.link(`/staff/exams/new?blueprintId=${encodeURIComponent(b.id)}`, t('staff.blueprint.createExam'), { class: 'button button--ghost button--small', 'aria-label': `${t('staff.blueprint.createExam')}: ${b.title}` }) },
    ],
    rowAttrs: (b) => ({ 'data-blueprint-id': b.id }),
    page: async (cursor) => {
      const page = await ctx.api.blueprints({ ...(q.value.trim() ? { q: q.value.trim() } : {}), limit: 50, ...(cursor ? { cursor } : {}) });
      return { rows: page.blueprints, nextCursor: page.nextCursor };
    },
    disposed: () => disposed,
  });
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    list.reload();
  });
  ctx.root.replaceChildren(
    ctx.heading(t('staff.blueprint.listTitle')),
    h('div', { class: 'toolbar' }, ctx.link('/staff/blueprints/new', t('staff.blueprint.new'), { class: 'button button--primary' })),
    search,
    list.slot,
    h('div', { class: 'actions' }, list.more),
    openForm,
  );
  list.reload();
  return () => {
    disposed = true;
  };
});

export const blueprintEditorPage = staffPage('blueprints', (ctx) => {
  let disposed = false;
  const availability = new Availability(ctx);
  const summary = h('div', { class: 'error-summary', role: 'alert' });
  const errors = new FieldErrors(summary);
  const result = h('div', { class: 'message-slot' });

  const title = input({ id: pathId('/title') });
  const subject = input({ id: pathId('/subject'), value: ctx.query.get('subject') ?? '' });
  const grade = select(gradeOptions(null), ctx.query.get('grade') ?? '12', { id: pathId('/grade') });
  const duration = input({ id: pathId('/durationMinutes'), inputmode: 'numeric', value: '90', class: 'input--short' });
  const overlap = input({ id: pathId('/constraints/maxItemOverlap'), inputmode: 'decimal', value: '30', class: 'input--short' });
  const tolerance = input({ id: pathId('/constraints/difficultyTolerance'), inputmode: 'decimal', value: '0,05', class: 'input--short' });
  const owner = orgChoice(ctx, orgsWith(ctx.user, 'exam_manager'), t('staff.editor.owner'), '/orgId', errors, pathId('/orgId'));

  const sections: SectionDraft[] = [
    { title: t('staff.blueprint.sectionN', { n: 'I' }), type: 'single_choice', pointsPerItem: '0,25', shuffleItems: true, shuffleOptions: true, rows: [{ topic: '', counts: ['', '', '', ''] }] },
  ];
  const sectionsBox = h('div', { class: 'sections' });
  const totals = h('p', { class: 'blueprint-totals', role: 'status' });
  /** Availability badges to refresh, per section. */
  let refreshers: (() => void)[] = [];

  function drawTotals(): void {
    let items = 0;
    let points = 0;
    for (const s of sections) {
      const n = s.rows.reduce((sum, r) => sum + r.counts.reduce((x, c) => x + count(c), 0), 0);
      items += n;
      const p = parseNumber(s.pointsPerItem);
      if (!Number.isNaN(p)) points += n * p;
    }
    totals.textContent = t('staff.blueprint.totals', { items, points: num(points) });
  }

  function sectionPanel(s: SectionDraft, si: number): HTMLElement {
    const base = `/sections/${si}`;
    const sTitle = input({ id: pathId(`${base}/title`), value: s.title });
    sTitle.addEventListener('input', () => (s.title = sTitle.value));
    const sType = select(typeOptions(t('staff.blueprint.anyType')), s.type, { id: pathId(`${base}/type`) });
    const points = input({ id: pathId(`${base}/pointsPerItem`), value: s.pointsPerItem, inputmode: 'decimal', class: 'input--short' });
    points.addEventListener('input', () => {
      s.pointsPerItem = points.value;
      drawTotals();
    });
    const shuffleItems = checkbox(t('staff.blueprint.shuffleItems'), s.shuffleItems);
    shuffleItems.box.addEventListener('change', () => (s.shuffleItems = shuffleItems.box.checked));
    const shuffleOptions = checkbox(t('staff.blueprint.shuffleOptions'), s.shuffleOptions);
    shuffleOptions.box.addEventListener('change', () => (s.shuffleOptions = shuffleOptions.box.checked));

    const tbody = h('tbody');
    const colTotals = LEVELS.map(() => h('td', { class: 'num' }));
    const sectionTotal = h('td', { class: 'num total' });
    const badges: { row: RowDraft; level: number; badge: HTMLElement }[] = [];

    const sums = () => {
      LEVELS.forEach((_, li) => (colTotals[li]!.textContent = String(s.rows.reduce((x, r) => x + count(r.counts[li]!), 0))));
      sectionTotal.textContent = String(s.rows.reduce((x, r) => x + r.counts.reduce((y, c) => y + count(c), 0), 0));
      drawTotals();
    };

    /** Shows, for every cell, the approved items it can draw from (and whether that is enough). */
    const refresh = () => {
      const subj = subject.value.trim();
      const gr = Number(grade.value);
      for (const b of badges) {
        const topic = b.row.topic.trim();
        if (!subj || !TOPIC.test(topic)) {
          b.badge.textContent = '';
          b.badge.className = 'avail';
          continue;
        }
        b.badge.textContent = t('staff.blueprint.checking');
        b.badge.className = 'avail avail--pending';
        availability
          .get(subj, gr, s.type, topic, owner.value())
          .then(({ byLevel, capped }) => {
            if (disposed) return;
            const have = byLevel[b.level] ?? 0;
            const now = count(b.row.counts[b.level - 1]!);
            b.badge.textContent = now > have ? t('staff.blueprint.short', { available: have, missing: now - have }) : t('staff.blueprint.available', { available: `${have}${capped ? '+' : ''}` });
            b.badge.className = `avail ${now > have ? 'avail--short' : now > 0 ? 'avail--ok' : ''}`;
            b.badge.dataset.available = String(have);
          })
          .catch(() => {
            b.badge.textContent = t('staff.blueprint.unknown');
            b.badge.className = 'avail';
          });
      }
    };
    const refreshSoon = debounce(refresh, 350);
    refreshers.push(refresh);

    s.rows.forEach((row, ri) => {
      const rowBase = `${base}/rows/${ri}`;
      const topic = input({ id: pathId(`${rowBase}/topic`), value: row.topic, spellcheck: 'false', autocapitalize: 'none', 'aria-label': t('staff.blueprint.topicN', { n: ri + 1 }), class: 'topic-input' });
      topic.addEventListener('input', () => {
        row.topic = topic.value.trim();
        refreshSoon();
      });
      const topicCell = h('th', { scope: 'row', class: 'topic-cell' }, topic);
      errors.register(`${rowBase}/topic`, topicCell, topic);
      const cells = LEVELS.map((level) => {
        const cellPath = `${rowBase}/levels/${level}`;
        const badge = h('span', { class: 'avail', id: pathId(cellPath, 'avail') });
        const n = input({
          id: pathId(cellPath),
          inputmode: 'numeric',
          value: row.counts[level - 1],
          class: 'count-input',
          'aria-label': t('staff.blueprint.cellLabel', { n: ri + 1, level: `${level} – ${levelLabel(level)}` }),
          'aria-describedby': badge.id,
          'data-level': level,
        });
        n.addEventListener('input', () => {
          row.counts[level - 1] = n.value;
          sums();
          refresh();
        });
        badges.push({ row, level, badge });
        const td = h('td', { class: 'count-cell' }, n, badge);
        errors.register(cellPath, td, n);
        return td;
      });
      const rowTotal = h('td', { class: 'num' }, String(row.counts.reduce((x, c) => x + count(c), 0)));
      const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('staff.blueprint.removeRow', { n: ri + 1 }), disabled: s.rows.length === 1 }, '×');
      remove.addEventListener('click', () => {
        s.rows.splice(ri, 1);
        redraw(pathId(`${base}/addRow`));
      });
      const tr = h('tr', { 'data-row': ri }, topicCell, ...cells, rowTotal, h('td', null, remove));
      tr.addEventListener('input', () => (rowTotal.textContent = String(row.counts.reduce((x, c) => x + count(c), 0))));
      tbody.append(tr);
    });

    const addRow = button(t('staff.blueprint.addRow'), 'secondary', { id: pathId(`${base}/addRow`), class: 'button button--secondary button--small' });
    addRow.addEventListener('click', () => {
      s.rows.push({ topic: '', counts: ['', '', '', ''] });
      redraw(pathId(`${base}/rows/${s.rows.length - 1}/topic`));
    });
    const removeSection = button(t('staff.blueprint.removeSection'), 'ghost');
    removeSection.disabled = sections.length === 1;
    removeSection.addEventListener('click', () => {
      sections.splice(si, 1);
      redraw(pathId('/addSection'));
    });
    sType.addEventListener('change', () => {
      s.type = sType.value as ItemType | '';
      refresh();
    });

    const table = h(
      'table',
      { class: 'matrix' },
      h('caption', null, t('staff.blueprint.matrixCaption', { title: s.title || String(si + 1) })),
      h(
        'thead',
        null,
        h('tr', null, h('th', { scope: 'col' }, t('staff.blueprint.topic')), ...LEVELS.map((l) => h('th', { scope: 'col' }, `${l}. ${levelLabel(l)}`)), h('th', { scope: 'col' }, t('staff.blueprint.total')), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('staff.items.col.actions')))),
      ),
      tbody,
      h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, t('staff.blueprint.total')), ...colTotals, sectionTotal, h('td'))),
    );
    const panel = h(
      'section',
      { class: 'panel section-panel', 'aria-labelledby': pathId(base, 'h') },
      h('div', { class: 'section-head' }, h('h2', { id: pathId(base, 'h') }, t('staff.blueprint.section', { n: si + 1 })), removeSection),
      h(
        'div',
        { class: 'form-grid' },
        field(t('staff.blueprint.sectionTitle'), sTitle, { path: `${base}/title`, errors }),
        field(t('staff.item.type'), sType, { path: `${base}/type`, errors }),
        field(t('staff.blueprint.pointsPerItem'), points, { path: `${base}/pointsPerItem`, errors }),
      ),
      h('div', { class: 'checks' }, shuffleItems.wrap, shuffleOptions.wrap),
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'actions actions--tight' }, addRow),
    );
    errors.register(`${base}/cells`, panel, table);
    sums();
    return panel;
  }

  function redraw(focusId?: string): void {
    refreshers = [];
    sectionsBox.replaceChildren(...sections.map(sectionPanel));
    for (const r of refreshers) r();
    drawTotals();
    if (focusId) document.getElementById(focusId)?.focus();
  }

  const addSection = button(t('staff.blueprint.addSection'), 'secondary', { id: pathId('/addSection') });
  addSection.addEventListener('click', () => {
    const roman = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'][sections.length] ?? String(sections.length + 1);
    sections.push({ title: t('staff.blueprint.sectionN', { n: roman }), type: '', pointsPerItem: '1', shuffleItems: true, shuffleOptions: true, rows: [{ topic: '', counts: ['', '', '', ''] }] });
    redraw(pathId(`/sections/${sections.length - 1}/title`));
  });
  const refreshAll = debounce(() => refreshers.forEach((r) => r()), 350);
  subject.addEventListener('input', refreshAll);
  grade.addEventListener('change', refreshAll);
  // The pool is the owner organisation's: another owner may draw from another bank.
  owner.element?.addEventListener('change', refreshAll);

  /** The request body, and where each cell came from (to put errors on the right input). */
  function body(): { blueprint: NewBlueprint; origin: { row: number; level: number }[][] } {
    const origin: { row: number; level: number }[][] = [];
    const out: BlueprintSection[] = sections.map((s, si) => {
      const cells: BlueprintCell[] = [];
      origin[si] = [];
      s.rows.forEach((r, ri) =>
        LEVELS.forEach((level) => {
          const raw = r.counts[level - 1]!.trim();
          if (raw === '' || raw === '0') return;
          const n = parseNumber(raw);
          cells.push({ topic: r.topic, cognitiveLevel: level, count: (Number.isInteger(n) ? n : raw) as number });
          origin[si]!.push({ row: ri, level });
        }),
      );
      const p = parseNumber(s.pointsPerItem);
      return {
        title: s.title,
        ...(s.type ? { type: s.type } : {}),
        ...(s.pointsPerItem.trim() ? { pointsPerItem: (Number.isNaN(p) ? s.pointsPerItem : p) as number } : {}),
        shuffleItems: s.shuffleItems,
        shuffleOptions: s.shuffleOptions,
        cells,
      };
    });
    const d = parseNumber(duration.value);
    const o = parseNumber(overlap.value);
    const tol = parseNumber(tolerance.value);
    return {
      blueprint: {
        title: title.value.trim(),
        subject: subject.value.trim(),
        grade: Number(grade.value),
        ...(duration.value.trim() ? { durationMinutes: (Number.isNaN(d) ? duration.value : d) as number } : {}),
        sections: out,
        ...(owner.value() ? { orgId: owner.value() } : {}),
        constraints: {
          ...(overlap.value.trim() ? { maxItemOverlap: (Number.isNaN(o) ? overlap.value : o / 100) as number } : {}),
          ...(tolerance.value.trim() ? { difficultyTolerance: (Number.isNaN(tol) ? tolerance.value : tol) as number } : {}),
        },
      },
      origin,
    };
  }

  const save = h('button', { type: 'submit', class: 'button button--primary' }, t('staff.blueprint.save'));
  const form = h(
    'form',
    { class: 'blueprint-form', novalidate: true },
    summary,
    h(
      'section',
      { class: 'panel' },
      h('div', { class: 'form-grid' }, field(t('staff.blueprint.titleField'), title, { path: '/title', errors, class: 'field--wide' }), field(t('staff.item.subject'), subject, { path: '/subject', errors, hint: t('staff.editor.subjectHint') }), field(t('staff.item.grade'), grade, { path: '/grade', errors }), field(t('staff.blueprint.duration'), duration, { path: '/durationMinutes', errors })),
      h(
        'div',
        { class: 'form-grid' },
        field(t('staff.blueprint.overlap'), overlap, { path: '/constraints/maxItemOverlap', errors, hint: t('staff.blueprint.overlapHint') }),
        field(t('staff.blueprint.tolerance'), tolerance, { path: '/constraints/difficultyTolerance', errors, hint: t('staff.blueprint.toleranceHint') }),
      ),
      owner.element,
      h('p', { class: 'hint' }, t('staff.blueprint.availabilityHint')),
    ),
    sectionsBox,
    h('div', { class: 'actions' }, addSection),
    h('div', { class: 'actions sticky-actions' }, totals, save),
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    say(result, null);
    const { blueprint, origin } = body();
    if (!blueprint.sections.some((s) => s.cells.length)) {
      say(result, 'error', t('staff.blueprint.empty'));
      return;
    }
    void busy(save, t('staff.saving'), async () => {
      try {
        const created = await ctx.api.createBlueprint(blueprint);
        remember(ctx.user.id, 'blueprints', { id: created.id, title: created.title });
        ctx.navigate(`/staff/exams/new?blueprintId=${encodeURIComponent(created.id)}&fromBlueprint=1`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'validation_failed') {
          // Cells are sent without the empty ones: point /sections/i/cells/j back at the input it came from.
          const details = err.details.map((d) => {
            const detail = d as { instancePath?: string };
            const m = /^\/sections\/(\d+)\/cells\/(\d+)(\/(\w+))?/.exec(detail.instancePath ?? '');
            const at = m ? origin[Number(m[1])]?.[Number(m[2])] : undefined;
            if (!m || !at) return d;
            const leaf = m[4] === 'topic' ? `/rows/${at.row}/topic` : `/rows/${at.row}/levels/${at.level}`;
            return { ...detail, instancePath: `/sections/${m[1]}${leaf}` };
          });
          errors.show(details, t('staff.editor.invalid', { count: details.length }));
        } else say(result, 'error', errorMessage(err));
      }
    });
  });

  ctx.root.replaceChildren(ctx.heading(t('staff.blueprint.new')), form);
  redraw();
  title.focus();
  return () => {
    disposed = true;
  };
});

/** A stored blueprint's matrix, read-only. */
export function blueprintTables(bp: Blueprint): HTMLElement {
  const box = h('div', { class: 'blueprint-view' });
  bp.sections.forEach((s) => {
    const topics = [...new Set(s.cells.map((c) => c.topic))];
    const n = (topic: string, level: number) => s.cells.filter((c) => c.topic === topic && c.cognitiveLevel === level).reduce((x, c) => x + c.count, 0);
    box.append(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'matrix matrix--view' },
          h('caption', null, `${s.title} — ${s.type ? typeLabel(s.type) : t('staff.blueprint.anyType')}${s.pointsPerItem ? ` · ${t('staff.blueprint.pointsEach', { points: num(s.pointsPerItem) })}` : ''}`),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('staff.blueprint.topic')), ...LEVELS.map((l) => h('th', { scope: 'col' }, `${l}. ${levelLabel(l)}`)), h('th', { scope: 'col' }, t('staff.blueprint.total')))),
          h(
            'tbody',
            null,
            ...topics.map((topic) => h('tr', null, h('th', { scope: 'row' }, topic), ...LEVELS.map((l) => h('td', { class: 'num' }, String(n(topic, l) || ''))), h('td', { class: 'num' }, String(LEVELS.reduce((x, l) => x + n(topic, l), 0))))),
          ),
        ),
      ),
    );
  });
  return box;
}

export const blueprintViewPage = staffPage('blueprints', (ctx) => {
  const id = ctx.params.blueprintId!;
  let disposed = false;
  const heading = ctx.heading(t('staff.blueprint.viewTitle'));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(heading, status);
  ctx.api
    .blueprint(id)
    .then((bp) => {
      if (disposed) return;
      remember(ctx.user.id, 'blueprints', { id: bp.id, title: bp.title });
      heading.textContent = bp.title;
      status.replaceChildren();
      const items = bp.sections.reduce((x, s) => x + s.cells.reduce((y, c) => y + c.count, 0), 0);
      ctx.root.append(
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, t('staff.item.subject')),
          h('dd', null, `${bp.subject} · ${bp.grade}`),
          h('dt', null, t('staff.blueprint.duration')),
          h('dd', null, bp.durationMinutes ? t('staff.minutes', { n: bp.durationMinutes }) : '—'),
          h('dt', null, t('staff.blueprint.itemCount')),
          h('dd', null, String(items)),
          h('dt', null, t('staff.blueprint.overlap')),
          h('dd', null, bp.constraints?.maxItemOverlap !== undefined ? `${num(bp.constraints.maxItemOverlap * 100, 0)}%` : '—'),
        ),
        blueprintTables(bp),
        h('div', { class: 'actions' }, ctx.link(`/staff/exams/new?blueprintId=${encodeURIComponent(bp.id)}`, t('staff.blueprint.createExam'), { class: 'button button--primary' })),
      );
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
  };
});
