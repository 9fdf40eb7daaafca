/**
 * Shared passages ("ngữ liệu"): write one with a live preview, and open one
 * with the items attached to it. Items refer to a passage by its id and
 * travel with it into forms.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { renderRichText } from '../../items/render.js';
import type { Sharing } from '../api.js';
import { busy, button, dataTable, debounce, errorMessage, field, FieldErrors, input, say, select, statusBadge, textarea } from '../components.js';
import { pathId } from '../editor/type-editors.js';
import { staffPage } from '../frame.js';
import { gradeOptions, SHARING_VALUES, sharingLabel, typeLabel } from '../labels.js';
import { hasRole } from '../roles.js';

export const stimulusNewPage = staffPage('items', (ctx) => {
  const summary = h('div', { class: 'error-summary', role: 'alert' });
  const errors = new FieldErrors(summary);
  const title = input({ id: pathId('/title') });
  const content = textarea({ id: pathId('/content'), rows: 10, class: 'rich-input' });
  const subject = input({ id: pathId('/subject'), value: ctx.query.get('subject') ?? '' });
  const grade = select(gradeOptions(t('staff.none')), '', { id: pathId('/grade') });
  const topic = input({ id: pathId('/topic'), spellcheck: 'false' });
  const sharing = select(SHARING_VALUES.map((s): [string, string] => [s, sharingLabel(s)]), 'org', { id: pathId('/sharing') });
  const previewBody = h('div', { class: 'stimulus-content' });
  const draw = debounce(() => previewBody.replaceChildren(renderRichText(content.value)), 150);
  content.addEventListener('input', draw);
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
    void busy(save, t('staff.saving'), async () => {
      try {
        const created = await ctx.api.createStimulus({
          title: title.value.trim(),
          content: content.value,
          subject: subject.value.trim(),
          ...(grade.value ? { grade: Number(grade.value) } : {}),
          ...(topic.value.trim() ? { topic: topic.value.trim() } : {}),
          sharing: sharing.value as Sharing,
        });
        ctx.navigate(`/staff/stimuli/${encodeURIComponent(created.id)}`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'validation_failed') errors.show(err.details, t('staff.editor.invalid', { count: err.details.length }));
        else say(result, 'error', errorMessage(err));
      }
    });
  });
  const preview = h('aside', { class: 'preview', 'aria-labelledby': 'stim-preview' }, h('h2', { id: 'stim-preview' }, t('staff.editor.preview')), previewBody);
  ctx.root.replaceChildren(ctx.heading(t('staff.stimulus.new')), h('div', { class: 'editor-layout' }, form, preview));
  title.focus();
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
      heading.textContent = s.title;
      const items = s.items ?? [];
      const add = hasRole(ctx.user, 'author')
        ? ctx.link(`/staff/items/new?stimulusId=${encodeURIComponent(s.id)}&subject=${encodeURIComponent(s.subject)}`, t('staff.stimulus.addItem'), { class: 'button button--primary' })
        : null;
      const copy = button(t('staff.stimulus.copyId'), 'ghost');
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
        h('div', { class: 'actions' }, add),
      );
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
  };
});
