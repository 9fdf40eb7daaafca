/**
 * The preview of an import (POST /api/items/import?dryRun=true): every item
 * as it would be stored, drawn with the candidates' renderer (formulas
 * typeset, the key shown), its warnings, the passages it shares, and the
 * questions that cannot be imported with their number and reason.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { renderItem, renderRichText } from '../items/render.js';
import type { ImportResult } from './api.js';
import { candidateItem, keyResponse } from './editor/model.js';
import { levelLabel, typeLabel } from './labels.js';

type Place = { index: number; line?: number; number?: number; section?: string };

/** "Câu 12" as the file numbers it, else the line, else the position in the file. */
export function placeLabel(p: Place): string {
  if (p.number !== undefined) return t('staff.import.failedNumber', { number: p.number });
  if (p.line !== undefined) return t('staff.import.failedLine', { line: p.line });
  return t('staff.import.failedIndex', { index: p.index + 1 });
}

function languageLabel(language: string | undefined): string {
  return language === 'en' ? t('staff.lang.en') : t('staff.lang.vi');
}

export function renderImportPreview(result: ImportResult): HTMLElement {
  const items = result.items ?? [];
  const warningsOf = new Map((result.warnings ?? []).map((w) => [w.index, w.messages]));
  const passages = new Map((result.stimuli ?? []).map((s) => [s.ref, s]));
  const shown = new Set<string>();
  const root = h('section', { class: 'import-preview', 'aria-labelledby': 'import-preview-title' });
  root.append(
    h('h3', { id: 'import-preview-title' }, t('staff.import.previewTitle', { count: items.length, failed: result.failed.length })),
    h('p', { class: 'hint' }, t('staff.import.previewNote')),
  );
  if (result.fileWarnings?.length) {
    root.append(h('div', { class: 'notice notice--warning' }, h('p', null, t('staff.import.fileWarnings')), h('ul', { class: 'compact-list' }, ...result.fileWarnings.map((w) => h('li', null, w)))));
  }
  if (result.failed.length) {
    root.append(
      h(
        'div',
        { class: 'notice notice--error import-failed' },
        h('p', null, t('staff.import.failedTitle')),
        h('ul', { class: 'compact-list' }, ...result.failed.map((f) => h('li', null, placeLabel(f), ' ', f.section ? `(${f.section.slice(0, 60)}) ` : '', f.error.message))),
      ),
    );
  }
  const list = h('ol', { class: 'import-items' });
  for (const entry of items) {
    const { item } = entry;
    const li = h('li', { class: 'import-item' });
    const passage = item.stimulusId ? passages.get(item.stimulusId) : undefined;
    if (passage && !shown.has(passage.ref)) {
      shown.add(passage.ref);
      li.append(
        h(
          'details',
          { class: 'import-passage', open: true },
          h('summary', null, t('staff.import.passage', { title: passage.title })),
          h('div', { class: 'stimulus-preview' }, renderRichText(passage.content ?? '')),
        ),
      );
    }
    const title = entry.number !== undefined ? t('staff.import.questionNumber', { number: entry.number }) : t('staff.import.questionIndex', { index: entry.index + 1 });
    li.append(
      h('h4', null, title, entry.section ? h('span', { class: 'hint' }, ` · ${entry.section.slice(0, 80)}`) : null),
      h(
        'p',
        { class: 'hint import-meta' },
        t('staff.import.meta', {
          type: typeLabel(item.type),
          subject: item.subject ?? '—',
          grade: item.grade ?? '—',
          topic: item.topic ?? '—',
          level: item.cognitiveLevel ? levelLabel(item.cognitiveLevel) : '—',
          language: languageLabel(item.language),
        }),
      ),
    );
    const rendered = renderItem(candidateItem(item, `import-${entry.index}`), { idPrefix: `import-${entry.index}`, initial: keyResponse(item), readOnly: true });
    li.append(h('div', { class: 'preview-body' }, rendered.element));
    const warnings = warningsOf.get(entry.index);
    if (warnings?.length) {
      li.append(h('div', { class: 'notice notice--warning import-warnings' }, h('p', null, t('staff.import.warnings')), h('ul', { class: 'compact-list' }, ...warnings.map((w) => h('li', null, w)))));
    }
    list.append(li);
  }
  root.append(list);
  return root;
}
