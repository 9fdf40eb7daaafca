/**
 * Every revision of an item (revisions are immutable and readable forever),
 * who wrote each and where it stands, and the difference between any two.
 */
import { h } from '../../dom.js';
import { formatDateTime, hasMessage, t } from '../../i18n.js';
import { renderItem } from '../../items/render.js';
import type { ItemView, StatusEvent } from '../api.js';
import { dataTable, errorMessage, field, say, select, statusBadge } from '../components.js';
import { fieldChanges, wordDiff } from '../diff.js';
import { candidateItem, draftOf, flatten, keyResponse } from '../editor/model.js';
import { staffPage } from '../frame.js';
import { personLabel } from '../people.js';

/** `/options/1/text` → "Phương án › 2 › text", with known field names translated. */
export function fieldName(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      if (/^\d+$/.test(part)) return String(Number(part) + 1);
      const key = `staff.field.${part}`;
      return hasMessage(key) ? t(key) : part;
    })
    .join(' › ');
}

function diffCell(pieces: ReturnType<typeof wordDiff>, side: 'before' | 'after'): HTMLElement {
  const cell = h('div', { class: 'diff-text' });
  for (const p of pieces) {
    if (p.kind === 'same') cell.append(p.text);
    else if (p.kind === 'removed' && side === 'before') cell.append(h('del', null, p.text));
    else if (p.kind === 'added' && side === 'after') cell.append(h('ins', null, p.text));
  }
  return cell;
}

/**
 * The workflow steps of a revision with their comments, oldest first:
 * "Chờ duyệt → Nháp — Bạn, 28/11 10:02: “reason”". Steps are plain text in
 * a list, so a screen reader reads them in order.
 */
export function statusLogList(events: readonly StatusEvent[], selfId: string, people?: ItemView['people']): HTMLElement {
  if (!events.length) return h('p', { class: 'muted' }, t('staff.review.logEmpty'));
  return h(
    'ol',
    { class: 'status-log' },
    ...events.map((e) =>
      h(
        'li',
        { 'data-to': e.to },
        statusBadge(e.from),
        ' → ',
        statusBadge(e.to),
        ' ',
        h('span', { class: 'muted' }, t('staff.review.stepBy', { who: personLabel(e.by, people, selfId), at: formatDateTime(e.at) })),
        e.comment ? h('blockquote', { class: 'review-comment' }, e.comment) : null,
      ),
    ),
  );
}

/** The table of what changed from `a` to `b`. */
export function revisionDiff(a: ItemView, b: ItemView): HTMLElement {
  const changes = fieldChanges(flatten(draftOf(a)), flatten(draftOf(b)));
  if (!changes.length) return h('p', { class: 'muted' }, t('staff.history.same'));
  return dataTable(
    t('staff.history.diffCaption', { a: a.revision, b: b.revision }),
    [
      { label: t('staff.history.field'), cell: (c) => fieldName(c.path), class: 'col-field' },
      { label: t('staff.history.before', { revision: a.revision }), cell: (c) => (c.before === undefined ? h('em', { class: 'muted' }, t('staff.history.absent')) : diffCell(wordDiff(c.before, c.after ?? ''), 'before')) },
      { label: t('staff.history.after', { revision: b.revision }), cell: (c) => (c.after === undefined ? h('em', { class: 'muted' }, t('staff.history.absent')) : diffCell(wordDiff(c.before ?? '', c.after), 'after')) },
    ],
    changes,
    { rowAttrs: (c) => ({ 'data-path': c.path }) },
  );
}

export const itemHistoryPage = staffPage('items', (ctx) => {
  const itemId = ctx.params.itemId!;
  let disposed = false;
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(ctx.heading(t('staff.history.title')), status);

  (async () => {
    const latest = await ctx.api.item(itemId);
    const revisions = await Promise.all(Array.from({ length: latest.latestRevision }, (_, i) => (i + 1 === latest.revision ? latest : ctx.api.item(itemId, i + 1))));
    if (disposed) return;
    status.replaceChildren();
    const previewSlot = h('div', { class: 'preview-body' });
    const previewTitle = h('h2', { id: 'rev-preview-title' });
    const show = (rev: ItemView) => {
      previewTitle.textContent = t('staff.history.previewOf', { revision: rev.revision });
      previewSlot.replaceChildren(renderItem(candidateItem(draftOf(rev), `rev-${rev.revision}`), { idPrefix: `rev-${rev.revision}`, initial: keyResponse(draftOf(rev)), readOnly: true }).element);
    };
    const table = dataTable(
      t('staff.history.caption'),
      [
        { label: t('staff.history.revision'), cell: (r) => String(r.revision), class: 'num' },
        { label: t('staff.items.col.status'), cell: (r) => statusBadge(r.status) },
        { label: t('staff.history.author'), cell: (r) => personLabel(r.authorId, r.people, ctx.user.id) },
        { label: t('staff.history.date'), cell: (r) => formatDateTime(r.createdAt) },
        { label: t('staff.history.steps'), cell: (r) => statusLogList(r.statusLog ?? [], ctx.user.id, r.people), class: 'col-steps' },
        {
          label: t('staff.items.col.actions'),
          cell: (r) => {
            const b = h('button', { type: 'button', class: 'button button--ghost button--small' }, t('staff.history.view', { revision: r.revision }));
            b.addEventListener('click', () => {
              show(r);
              previewTitle.focus();
            });
            return b;
          },
        },
      ],
      [...revisions].reverse(),
    );
    previewTitle.setAttribute('tabindex', '-1');

    const options = revisions.map((r): [string, string] => [String(r.revision), t('staff.history.revisionN', { revision: r.revision })]);
    const from = select(options, String(Math.max(1, latest.latestRevision - 1)));
    const to = select(options, String(latest.latestRevision));
    const diffSlot = h('div', { class: 'diff-slot', 'aria-live': 'polite' });
    const drawDiff = () => {
      const a = revisions[Number(from.value) - 1]!;
      const b = revisions[Number(to.value) - 1]!;
      diffSlot.replaceChildren(revisionDiff(a, b));
    };
    from.addEventListener('change', drawDiff);
    to.addEventListener('change', drawDiff);
    drawDiff();
    show(latest);

    ctx.root.append(
      h('p', null, ctx.link(`/staff/items/${encodeURIComponent(itemId)}`, t('staff.history.backToItem'))),
      table,
      h('section', { class: 'panel', 'aria-labelledby': 'diff-title' }, h('h2', { id: 'diff-title' }, t('staff.history.compare')), h('div', { class: 'form-grid form-grid--narrow' }, field(t('staff.history.from'), from), field(t('staff.history.to'), to)), diffSlot),
      h('section', { class: 'panel', 'aria-labelledby': 'rev-preview-title' }, previewTitle, previewSlot),
    );
  })().catch((err) => {
    if (!disposed) say(status, 'error', errorMessage(err));
  });
  return () => {
    disposed = true;
  };
});
