/**
 * The question bank: search with the bank's filters (the words ignore case
 * and Vietnamese diacritics on the server), the list page by page, and the
 * import and export of question files.
 */
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { plainText } from '../../items/sanitize.js';
import type { ItemView } from '../api.js';
import { busy, button, checkbox, dataTable, errorMessage, excerpt, field, input, say, select, statusBadge, type Column } from '../components.js';
import { staffPage, type StaffContext } from '../frame.js';
import { placeLabel, renderImportPreview } from '../import-preview.js';
import { EXPORT_FORMATS, formatLabel, gradeOptions, IMPORT_FORMATS, ITEM_STATUS_VALUES, levelLabel, levelOptions, statusLabel, typeLabel, typeOptions } from '../labels.js';
import { hasRole } from '../roles.js';
import { ITEM_FILTERS, itemFiltersOf, itemSearchOf, type ItemFilter, type ItemFilters } from '../item-filters.js';

export function itemColumns(ctx: StaffContext, actions: (item: ItemView) => Node | null): Column<ItemView>[] {
  return [
    {
      label: t('staff.items.col.stem'),
      class: 'col-stem',
      cell: (item) => ctx.link(`/staff/items/${encodeURIComponent(item.id)}`, excerpt(plainText(item.stem)) || t('staff.items.noStem')),
    },
    { label: t('staff.items.col.type'), cell: (item) => typeLabel(item.type), sort: (item) => typeLabel(item.type) },
    { label: t('staff.items.col.class'), cell: (item) => `${item.subject} · ${item.grade}`, sort: (item) => `${item.subject} ${String(item.grade).padStart(2, '0')}` },
    { label: t('staff.items.col.topic'), cell: (item) => item.topic, sort: (item) => item.topic },
    { label: t('staff.items.col.level'), cell: (item) => `${item.cognitiveLevel} – ${levelLabel(item.cognitiveLevel)}`, sort: (item) => item.cognitiveLevel },
    { label: t('staff.items.col.status'), cell: (item) => statusBadge(item.status), sort: (item) => statusLabel(item.status) },
    { label: t('staff.items.col.revision'), cell: (item) => String(item.revision), class: 'num' },
    { label: t('staff.items.col.updated'), cell: (item) => formatDateTime(item.createdAt), sort: (item) => item.createdAt },
    { label: t('staff.items.col.actions'), cell: actions, class: 'col-actions' },
  ];
}

export const itemsPage = staffPage('items', (ctx) => {
  let disposed = false;
  const filters = itemFiltersOf(ctx.query);
  const { search, invalid } = itemSearchOf(filters);
  const labels: Record<ItemFilter, string> = {
    q: t('staff.items.q'),
    subject: t('staff.item.subject'),
    grade: t('staff.item.grade'),
    topic: t('staff.item.topic'),
    cognitiveLevel: t('staff.item.level'),
    type: t('staff.item.type'),
    status: t('staff.items.col.status'),
    tag: t('staff.item.tag'),
  };
  // What the address asks for but no query can hold: said instead of searching (or exporting) without it.
  const badFilters = invalid.length ? t('staff.items.badFilters', { filters: invalid.map((f) => labels[f]).join(', ') }) : null;
  const canAuthor = hasRole(ctx.user, 'author');
  const message = h('div', { class: 'message-slot' });

  // ------------------------------------------------------------ filters
  const q = input({ type: 'search', name: 'q', value: filters.q ?? '', autocomplete: 'off' });
  const subject = input({ name: 'subject', value: filters.subject ?? '' });
  const grade = select(gradeOptions(t('staff.any')), filters.grade ?? '', { name: 'grade' });
  const topic = input({ name: 'topic', value: filters.topic ?? '', spellcheck: 'false' });
  const level = select(levelOptions(t('staff.any')), filters.cognitiveLevel ?? '', { name: 'cognitiveLevel' });
  const type = select(typeOptions(t('staff.any')), filters.type ?? '', { name: 'type' });
  const status = select([['', t('staff.any')], ...ITEM_STATUS_VALUES.map((s): [string, string] => [s, statusLabel(s)])], filters.status ?? '', { name: 'status' });
  const tag = input({ name: 'tag', value: filters.tag ?? '' });
  const searchButton = h('button', { type: 'submit', class: 'button button--primary' }, t('staff.items.search'));
  const reset = button(t('staff.items.reset'), 'ghost');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': t('staff.items.filters') },
    field(labels.q, q, { hint: t('staff.items.qHint'), class: 'field--grow' }),
    field(labels.subject, subject),
    field(labels.grade, grade),
    field(labels.topic, topic),
    field(labels.cognitiveLevel, level),
    field(labels.type, type),
    field(labels.status, status),
    field(labels.tag, tag),
    h('div', { class: 'filters-actions' }, searchButton, reset),
  );
  const current = (): ItemFilters => {
    const out: ItemFilters = {};
    const values: Record<ItemFilter, string> = { q: q.value.trim(), subject: subject.value.trim(), grade: grade.value, topic: topic.value.trim(), cognitiveLevel: level.value, type: type.value, status: status.value, tag: tag.value.trim() };
    for (const f of ITEM_FILTERS) if (values[f]) out[f] = values[f];
    return out;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams(current());
    ctx.navigate(`/staff/items${params.size ? `?${params}` : ''}`);
  });
  reset.addEventListener('click', () => ctx.navigate('/staff/items'));

  // ------------------------------------------------------------ results
  const listSlot = h('div', { class: 'list-slot', 'aria-live': 'polite' });
  const count = h('p', { class: 'muted', role: 'status' });
  const more = button(t('staff.items.more'), 'secondary');
  more.hidden = true;
  const loaded: ItemView[] = [];
  let cursor: string | null = null;

  function actionsFor(item: ItemView): Node | null {
    const box = h('div', { class: 'row-actions' });
    if (canAuthor && item.keyIncluded) box.append(ctx.link(`/staff/items/${encodeURIComponent(item.id)}`, t('staff.items.edit'), { class: 'button button--ghost button--small' }));
    box.append(ctx.link(`/staff/items/${encodeURIComponent(item.id)}/history`, t('staff.items.history'), { class: 'button button--ghost button--small' }));
    if (canAuthor && item.status === 'draft' && item.keyIncluded) {
      const submit = button(t('staff.item.submitReview'), 'secondary', { class: 'button button--secondary button--small' });
      submit.addEventListener('click', () =>
        void busy(submit, t('staff.busy'), async () => {
          try {
            const updated = await ctx.api.setStatus(item.id, 'in_review', item.revision);
            Object.assign(item, { status: updated.status });
            say(message, 'success', t('staff.item.submitted'));
            draw();
          } catch (err) {
            say(message, 'error', errorMessage(err));
          }
        }),
      );
      box.append(submit);
    }
    return box;
  }

  function draw(): void {
    listSlot.replaceChildren(loaded.length ? dataTable(t('staff.items.caption'), itemColumns(ctx, actionsFor), loaded, { rowAttrs: (item) => ({ 'data-item-id': item.id }) }) : h('p', { class: 'empty' }, t('staff.items.empty')));
    count.textContent = t('staff.items.count', { count: loaded.length }) + (cursor ? ` ${t('staff.items.moreAvailable')}` : '');
    more.hidden = !cursor;
  }

  async function load(): Promise<void> {
    if (badFilters) return say(message, 'error', badFilters);
    try {
      const page = await ctx.api.searchItems({ ...search, limit: 50, cursor: cursor ?? undefined });
      if (disposed) return;
      loaded.push(...page.items);
      cursor = page.nextCursor;
      draw();
    } catch (err) {
      if (!disposed) say(message, 'error', errorMessage(err));
    }
  }
  more.addEventListener('click', () => void busy(more, t('staff.loading'), load));

  // ------------------------------------------------------------ import and export
  const importFormat = select(IMPORT_FORMATS.map((f): [string, string] => [f, formatLabel(f)]), 'docx');
  const importFile = input({ type: 'file', accept: '.docx,.txt,.gift,.xml,.zip,.csv,.xlsx' });
  // A Word paper's separate answer-key document ("đáp án"), read as the paper's answer area.
  const importKey = input({ type: 'file', accept: '.docx' });
  const importKeyField = field(t('staff.import.answerKey'), importKey);
  const syncKeyField = () => {
    importKeyField.hidden = importFormat.value !== 'docx';
  };
  const importSubject = input({ value: filters.subject ?? '' });
  const importGrade = select(gradeOptions(t('staff.fromFile')), filters.grade ?? '');
  const importTopic = input({ value: filters.topic ?? '', spellcheck: 'false' });
  const importLevel = select(levelOptions(t('staff.fromFile')), '');
  const importLanguage = select(
    [
      ['', t('staff.import.detect')],
      ['vi', t('staff.lang.vi')],
      ['en', t('staff.lang.en')],
    ],
    '',
  );
  const importTag = input({});
  const previewButton = button(t('staff.import.preview'), 'primary');
  const importButton = button(t('staff.import.confirm'), 'secondary');
  /** Whether a preview with something to import is on screen: "Nhập" waits for one. */
  let previewed = false;
  const syncImport = () => {
    importButton.disabled = !previewed || !canAuthor;
  };
  syncImport();
  const importResult = h('div', { class: 'message-slot' });
  const previewSlot = h('div', { class: 'import-preview-slot' });
  // The file's name is the tag until the author types another; a new file brings its own.
  let fileTag = '';
  importFile.addEventListener('change', () => {
    const name = importFile.files?.[0]?.name ?? '';
    if (name && (!importTag.value || importTag.value === fileTag)) importTag.value = fileTag = name.replace(/\.[^.]+$/, '').slice(0, 100);
    const ext = name.split('.').pop()?.toLowerCase();
    const guess = ext === 'docx' ? 'docx' : ext === 'xml' ? 'moodle-xml' : ext === 'zip' ? 'qti' : ext === 'csv' ? 'csv' : ext === 'xlsx' ? 'xlsx' : ext === 'gift' ? 'gift' : null;
    if (guess) importFormat.value = guess;
    syncKeyField();
  });
  // A new file or format makes the preview stale: "Nhập" waits for a new one.
  const stale = () => {
    previewed = false;
    syncImport();
    previewSlot.replaceChildren();
    say(importResult, null);
  };
  importFile.addEventListener('change', stale);
  importKey.addEventListener('change', stale);
  importFormat.addEventListener('change', () => {
    syncKeyField();
    stale();
  });
  syncKeyField();
  /** The answer-key file, sent only with a Word paper. */
  const chosenKey = (): File | undefined => (importFormat.value === 'docx' ? importKey.files?.[0] : undefined);
  const chosenFile = (): File | null => {
    const file = importFile.files?.[0];
    if (file) return file;
    say(importResult, 'error', t('staff.import.noFile'));
    importFile.focus();
    return null;
  };
  const importDefaults = () => ({
    subject: importSubject.value.trim(),
    grade: importGrade.value,
    topic: importTopic.value.trim(),
    cognitiveLevel: importLevel.value,
    language: importLanguage.value,
    tag: importTag.value.trim(),
  });
  previewButton.addEventListener('click', () => {
    const file = chosenFile();
    if (!file) return;
    void busy(previewButton, t('staff.import.previewBusy'), async () => {
      try {
        const result = await ctx.api.importItems(importFormat.value, file, { ...importDefaults(), dryRun: 'true' }, chosenKey());
        say(importResult, null);
        previewSlot.replaceChildren(renderImportPreview(result));
        previewed = result.imported > 0;
      } catch (err) {
        previewSlot.replaceChildren();
        previewed = false;
        say(importResult, 'error', errorMessage(err));
      }
    }).finally(syncImport);
  });
  importButton.addEventListener('click', () => {
    const file = chosenFile();
    if (!file) return;
    void busy(importButton, t('staff.import.busy'), async () => {
      try {
        const result = await ctx.api.importItems(importFormat.value, file, importDefaults(), chosenKey());
        const failed = result.failed.map((f) => h('li', null, placeLabel(f), ' ', f.error.message));
        const view = importTag.value.trim() ? ctx.link(`/staff/items?tag=${encodeURIComponent(importTag.value.trim())}`, t('staff.import.view')) : null;
        previewSlot.replaceChildren();
        previewed = false;
        say(importResult, result.failed.length ? 'warning' : 'success', h('p', null, t('staff.import.done', { imported: result.imported, failed: result.failed.length }), ' ', view), failed.length ? h('ul', { class: 'compact-list' }, ...failed) : null);
      } catch (err) {
        say(importResult, 'error', errorMessage(err));
      }
    }).finally(syncImport);
  });

  const exportFormat = select(EXPORT_FORMATS.map((f): [string, string] => [f, formatLabel(f)]), 'moodle-xml');
  const exportButton = button(t('staff.export.run'), 'secondary');
  const exportResult = h('div', { class: 'message-slot' });
  exportButton.addEventListener('click', () =>
    void busy(exportButton, t('staff.export.busy'), async () => {
      if (badFilters) return say(exportResult, 'error', badFilters);
      try {
        const name = await ctx.api.download('/api/items/export', { format: exportFormat.value, ...search }, `items.${exportFormat.value}`);
        say(exportResult, 'success', t('staff.export.done', { name }));
      } catch (err) {
        say(exportResult, 'error', errorMessage(err));
      }
    }),
  );
  const template = button(t('staff.import.template'), 'ghost');
  template.addEventListener('click', () => void ctx.api.download('/api/items/import/template.xlsx', {}, 'mau-cau-hoi.xlsx').catch((err) => say(importResult, 'error', errorMessage(err))));

  const transfer = h(
    'details',
    { class: 'panel transfer' },
    h('summary', null, t('staff.transfer.title')),
    h(
      'div',
      { class: 'transfer-grid' },
      h(
        'section',
        { 'aria-labelledby': 'import-title' },
        h('h2', { id: 'import-title' }, t('staff.import.title')),
        h('div', { class: 'form-grid' }, field(t('staff.import.format'), importFormat), field(t('staff.import.file'), importFile), importKeyField),
        h('p', { class: 'hint' }, t('staff.import.defaultsHint')),
        h(
          'div',
          { class: 'form-grid' },
          field(t('staff.item.subject'), importSubject),
          field(t('staff.item.grade'), importGrade),
          field(t('staff.item.topic'), importTopic),
          field(t('staff.item.level'), importLevel),
          field(t('staff.import.language'), importLanguage),
          field(t('staff.import.tag'), importTag),
        ),
        h('p', { class: 'hint' }, t('staff.import.previewFirst')),
        h('div', { class: 'actions' }, previewButton, importButton, template),
        importResult,
        previewSlot,
      ),
      h(
        'section',
        { 'aria-labelledby': 'export-title' },
        h('h2', { id: 'export-title' }, t('staff.export.title')),
        h('p', { class: 'hint' }, t('staff.export.hint')),
        field(t('staff.import.format'), exportFormat),
        h('div', { class: 'actions' }, exportButton),
        exportResult,
      ),
    ),
  );
  if (!canAuthor) previewButton.disabled = true;

  const toolbar = h('div', { class: 'toolbar' });
  if (canAuthor) {
    toolbar.append(ctx.link('/staff/items/new', t('staff.items.new'), { class: 'button button--primary' }), ctx.link('/staff/stimuli/new', t('staff.stimulus.new'), { class: 'button button--secondary' }));
  }
  toolbar.append(ctx.link('/staff/stimuli', t('staff.stimulus.all'), { class: 'button button--ghost' }));
  const onlyDrafts = checkbox(t('staff.items.onlyDrafts'), filters.status === 'draft');
  onlyDrafts.box.addEventListener('change', () => {
    const params = new URLSearchParams({ ...filters, ...(onlyDrafts.box.checked ? { status: 'draft' } : {}) });
    if (!onlyDrafts.box.checked) params.delete('status');
    ctx.navigate(`/staff/items${params.size ? `?${params}` : ''}`);
  });
  toolbar.append(onlyDrafts.wrap);

  const heading = ctx.heading(t('staff.items.title'));
  ctx.root.replaceChildren(heading, toolbar, form, transfer, message, count, listSlot, h('div', { class: 'actions' }, more));
  void load();
  return () => {
    disposed = true;
  };
});
