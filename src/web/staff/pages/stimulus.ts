/**
 * Shared passages ("ngữ liệu"): write one with a live preview, and open one
 * with the items attached to it. Items refer to a passage by its id and
 * travel with it into forms.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { renderRichText } from '../../items/render.js';
import type { Sharing, Stimulus } from '../api.js';
import { busy, button, dataTable, debounce, errorMessage, field, FieldErrors, input, pagedTable, say, select, statusBadge, textarea } from '../components.js';
import { pathId } from '../editor/type-editors.js';
import { staffPage, type StaffContext } from '../frame.js';
import { gradeOptions, SHARING_VALUES, sharingLabel, typeLabel } from '../labels.js';
import { hasRole } from '../roles.js';

/**
 * The passage form with its live preview: a new passage, or (with
 * `existing`) a new revision of one, sent with the revision it was based on.
 */
function stimulusEditor(ctx: StaffContext, existing: Stimulus | null): HTMLElement {
  const summary = h('div', { class: 'error-summary', role: 'alert' });
  const errors = new FieldErrors(summary);
  const title = input({ id: pathId('/title'), value: existing?.title ?? '' });
  const content = textarea({ id: pathId('/content'), rows: 10, class: 'rich-input' });
  content.value = existing?.content ?? '';
  const subject = input({ id: pathId('/subject'), value: existing?.subject ?? ctx.query.get('subject') ?? '' });
  const grade = select(gradeOptions(t('staff.none')), existing?.grade ? String(existing.grade) : '', { id: pathId('/grade') });
  const topic = input({ id: pathId('/topic'), spellcheck: 'false', value: existing?.topic ?? '' });
  const sharing = select(SHARING_VALUES.map((s): [string, string] => [s, sharingLabel(s)]), existing?.sharing ?? 'org', { id: pathId('/sharing') });
  const previewBody = h('div', { class: 'stimulus-content' });
  const draw = debounce(() => previewBody.replaceChildren(renderRichText(content.value)), 150);
  content.addEventListener('input', draw);
  if (existing) previewBody.replaceChildren(renderRichText(content.value));
  const save = h('button', { type: 'submit', class: 'button button--primary' }, t('staff.stimulus.save'));
  const result = h('div', { class: 'message-slot' });
  const form = h(
    'form',
    { class: 'editor-form', novalidate: true },
    summary,
    h(
      'section',
      { class: 'panel' },
      field(t('staff.stimulus.titleField'), title, { path: '/title', errors }),
      field(t('staff.stimulus.content'), content, { path: '/content', errors, hint: t('staff.editor.stemHint') }),
      h(
        'div',
        { class: 'form-grid' },
        field(t('staff.item.subject'), subject, { path: '/subject', errors }),
        field(t('staff.item.grade'), grade, { path: '/grade', errors }),
        field(t('staff.item.topic'), topic, { path: '/topic', errors, hint: t('staff.editor.topicHint') }),
        field(t('staff.editor.sharing'), sharing, { path: '/sharing', errors }),
      ),
    ),
    h('div', { class: 'actions' }, save),
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    say(result, null);
    void busy(save, t('staff.saving'), async () => {
      const body = {
        title: title.value.trim(),
        content: content.value,
        subject: subject.value.trim(),
        ...(grade.value ? { grade: Number(grade.value) } : {}),
        ...(topic.value.trim() ? { topic: topic.value.trim() } : {}),
        ...(existing?.language ? { language: existing.language } : {}),
        ...(existing?.tags?.length ? { tags: existing.tags } : {}),
        sharing: sharing.value as Sharing,
      };
      try {
        const saved = existing ? await ctx.api.updateStimulus(existing.id, body, existing.revision ?? 1) : await ctx.api.createStimulus(body);
        ctx.navigate(`/staff/stimuli/${encodeURIComponent(saved.id)}${existing ? `?saved=${saved.revision ?? ''}` : ''}`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'validation_failed') errors.show(err.details, t('staff.editor.invalid', { count: err.details.length }));
        else if (err instanceof ApiError && err.code === 'stimulus_in_use') say(result, 'error', t('staff.stimulus.locked'));
        else say(result, 'error', errorMessage(err));
      }
    });
  });
  const preview = h('aside', { class: 'preview', 'aria-labelledby': 'stim-preview' }, h('h2', { id: 'stim-preview' }, t('staff.editor.preview')), previewBody);
  return h('div', { class: 'editor-layout' }, form, preview);
}

export const stimulusNewPage = staffPage('items', (ctx) => {
  ctx.root.replaceChildren(ctx.heading(t('staff.stimulus.new')), stimulusEditor(ctx, null));
  document.getElementById(pathId('/title'))?.focus();
});

export const stimulusEditPage = staffPage('items', (ctx) => {
  const id = ctx.params.stimulusId!;
  let disposed = false;
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(ctx.heading(t('staff.stimulus.edit')), status);
  ctx.api
    .stimulus(id)
    .then((s) => {
      if (disposed) return;
      status.replaceChildren();
      ctx.root.append(h('p', null, ctx.link(`/staff/stimuli/${encodeURIComponent(s.id)}`, `← ${s.title}`)), stimulusEditor(ctx, s));
      document.getElementById(pathId('/title'))?.focus();
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
  };
});

/** The passages the person may see, searched by title, with a way to write one. */
export const stimulusListPage = staffPage('items', (ctx) => {
  let disposed = false;
  const q = input({ type: 'search', value: ctx.query.get('q') ?? '' });
  const subject = input({ value: ctx.query.get('subject') ?? '' });
  const search = h(
    'form',
    { class: 'inline-form', role: 'search' },
    field(t('staff.stimulus.search'), q),
    field(t('staff.item.subject'), subject),
    h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.items.search')),
  );
  const list = pagedTable<Stimulus>({
    caption: t('staff.stimulus.list'),
    empty: t('staff.stimulus.none'),
    columns: [
      { label: t('staff.stimulus.titleField'), cell: (s) => ctx.link(`/staff/stimuli/${encodeURIComponent(s.id)}`, s.title), sort: (s) => s.title },
      { label: t('staff.items.col.class'), cell: (s) => `${s.subject}${s.grade ? ` · ${s.grade}` : ''}${s.topic ? ` · ${s.topic}` : ''}` },
      { label: t('staff.editor.sharing'), cell: (s) => sharingLabel(s.sharing ?? 'org') },
      { label: t('staff.history.date'), cell: (s) => (s.createdAt ? formatDateTime(s.updatedAt ?? s.createdAt) : '—'), sort: (s) => s.updatedAt ?? s.createdAt ?? '' },
    ],
    rowAttrs: (s) => ({ 'data-stimulus-id': s.id }),
    page: async (cursor) => {
      const page = await ctx.api.stimuli({ ...(q.value.trim() ? { q: q.value.trim() } : {}), ...(subject.value.trim() ? { subject: subject.value.trim() } : {}), limit: 50, ...(cursor ? { cursor } : {}) });
      return { rows: page.stimuli, nextCursor: page.nextCursor };
    },
    disposed: () => disposed,
  });
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    list.reload();
  });
  ctx.root.replaceChildren(
    ctx.heading(t('staff.stimulus.list')),
    h('div', { class: 'toolbar' }, hasRole(ctx.user, 'author') ? ctx.link('/staff/stimuli/new', t('staff.stimulus.new'), { class: 'button button--primary' }) : null),
    search,
    list.slot,
    h('div', { class: 'actions' }, list.more),
  );
  list.reload();
  return () => {
    disposed = true;
  };
});

export const stimulusViewPage = staffPage('items', (ctx) => {
  const id = ctx.params.stimulusId!;
  let disposed = false;
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  const heading = ctx.heading(t('staff.stimulus.title'));
  ctx.root.replaceChildren(heading, status);
  ctx.api
    .stimulus(id)
    .then((s) => {
      if (disposed) return;
      status.replaceChildren();
      const saved = ctx.query.get('saved');
      if (saved) say(status, 'success', t('staff.stimulus.saved', { revision: saved }));
      heading.textContent = s.title;
      const items = s.items ?? [];
      const add = hasRole(ctx.user, 'author')
        ? ctx.link(`/staff/items/new?stimulusId=${encodeURIComponent(s.id)}&subject=${encodeURIComponent(s.subject)}`, t('staff.stimulus.addItem'), { class: 'button button--primary' })
        : null;
      const copy = button(t('staff.stimulus.copyId'), 'ghost');
      const edit = hasRole(ctx.user, 'author') ? ctx.link(`/staff/stimuli/${encodeURIComponent(s.id)}/edit`, t('staff.stimulus.edit'), { class: 'button button--secondary' }) : null;
      copy.addEventListener('click', () => void navigator.clipboard?.writeText(s.id).then(() => (copy.textContent = t('staff.copied'))).catch(() => undefined));
      ctx.root.append(
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, t('staff.stimulus.id')),
          h('dd', null, h('code', null, s.id), ' ', copy),
          h('dt', null, t('staff.item.subject')),
          h('dd', null, `${s.subject}${s.grade ? ` · ${s.grade}` : ''}${s.topic ? ` · ${s.topic}` : ''}`),
          h('dt', null, t('staff.editor.sharing')),
          h('dd', null, sharingLabel(s.sharing ?? 'org')),
          s.createdAt ? h('dt', null, t('staff.history.date')) : null,
          s.createdAt ? h('dd', null, formatDateTime(s.createdAt)) : null,
        ),
        h('section', { class: 'panel stimulus-content' }, renderRichText(s.content)),
        h('h2', null, t('staff.stimulus.items', { count: items.length })),
        items.length
          ? dataTable(
              t('staff.stimulus.items', { count: items.length }),
              [
                { label: t('staff.stimulus.order'), cell: (i) => (i.stimulusOrder === undefined ? '—' : String(i.stimulusOrder)), class: 'num' },
                { label: t('staff.items.col.type'), cell: (i) => ctx.link(`/staff/items/${encodeURIComponent(i.id)}`, typeLabel(i.type)) },
                { label: t('staff.items.col.status'), cell: (i) => statusBadge(i.status) },
                { label: t('staff.items.col.revision'), cell: (i) => String(i.revision), class: 'num' },
              ],
              items,
              { captionHidden: true },
            )
          : h('p', { class: 'muted' }, t('staff.stimulus.noItems')),
        h('div', { class: 'actions' }, add, edit, ctx.link('/staff/stimuli', t('staff.stimulus.all'), { class: 'button button--ghost' })),
      );
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
  };
});
