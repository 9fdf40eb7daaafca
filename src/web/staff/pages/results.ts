/**
 * Results of an exam: every graded attempt in a sortable table, a summary,
 * the CSV file (UTF-8 with BOM, for spreadsheets), and where the results
 * stand with the sector database.
 */
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { serverFeatures, type ResultRow, type SectorSync } from '../api.js';
import { busy, button, dataTable, errorMessage, notice, num, say, statusBadge } from '../components.js';
import { staffPage, type StaffContext } from '../frame.js';
import { examTabs } from './exams.js';
import { loadExam } from './exam.js';

function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export function sectorPanel(ctx: StaffContext, examId: string): HTMLElement {
  const body = h('div', { class: 'sector-body', 'aria-live': 'polite' });
  const refresh = button(t('staff.sector.refresh'), 'ghost');
  const load = async () => {
    try {
      const s: SectorSync = await ctx.api.sectorSync(examId);
      const total = s.pushed + s.pending + s.failed;
      const bar = h('progress', { max: Math.max(1, total), value: s.pushed, 'aria-label': t('staff.sector.progress') });
      body.replaceChildren(
        h(
          'ul',
          { class: 'counters' },
          h('li', { class: 'counter counter--done' }, h('span', { class: 'counter-value' }, String(s.pushed)), h('span', { class: 'counter-label' }, t('staff.sector.pushed'))),
          h('li', { class: 'counter counter--neutral' }, h('span', { class: 'counter-value' }, String(s.pending)), h('span', { class: 'counter-label' }, t('staff.sector.pending'))),
          h('li', { class: `counter counter--${s.failed ? 'danger' : 'neutral'}` }, h('span', { class: 'counter-value' }, String(s.failed)), h('span', { class: 'counter-label' }, t('staff.sector.failed'))),
        ),
        bar,
        h('p', { class: 'muted' }, total ? t('staff.sector.summary', { pushed: s.pushed, total }) : t('staff.sector.none')),
      );
    } catch (err) {
      say(body, 'error', errorMessage(err));
    }
  };
  refresh.addEventListener('click', () => void busy(refresh, t('staff.loading'), load));
  void load();
  return h('section', { class: 'panel', 'aria-labelledby': 'sector-title' }, h('div', { class: 'section-head' }, h('h2', { id: 'sector-title' }, t('staff.sector.title')), refresh), h('p', { class: 'hint' }, t('staff.sector.hint')), body);
}

export const resultsPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  let disposed = false;
  const heading = ctx.heading(t('staff.results.title'));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(heading, examTabs(ctx, examId, 'results'), status);

  void (async () => {
    const [exam, features] = await Promise.all([loadExam(ctx, examId, heading, status), serverFeatures()]);
    if (!exam || disposed) return;
    heading.textContent = t('staff.results.heading', { title: exam.title });
    if (!features.has('get', '/api/exams/{id}/results')) {
      ctx.root.append(notice('warning', t('staff.missingRoute', { route: 'GET /api/exams/:id/results' })));
      return;
    }
    const messages = h('div', { class: 'message-slot' });
    const csv = button(t('staff.results.csv'), 'secondary');
    csv.addEventListener('click', () =>
      void busy(csv, t('staff.busy'), async () => {
        try {
          const name = await ctx.api.download(`/api/exams/${encodeURIComponent(examId)}/results`, { format: 'csv' }, `results-${examId}.csv`);
          say(messages, 'success', t('staff.export.done', { name }));
        } catch (err) {
          say(messages, 'error', errorMessage(err));
        }
      }),
    );
    let rows: ResultRow[];
    try {
      rows = (await ctx.api.results(examId)).results;
    } catch (err) {
      say(status, 'error', errorMessage(err));
      return;
    }
    if (disposed) return;
    const graded = rows.filter((r) => r.status === 'graded');
    const scores = graded.map((r) => r.score10);
    const summary = h(
      'ul',
      { class: 'counters' },
      ...[
        [t('staff.results.count'), String(rows.length)],
        [t('staff.results.graded'), String(graded.length)],
        [t('staff.results.pending'), String(rows.length - graded.length)],
        [t('staff.results.mean'), num(mean(scores))],
        [t('staff.results.max'), scores.length ? num(Math.max(...scores)) : '—'],
        [t('staff.results.min'), scores.length ? num(Math.min(...scores)) : '—'],
      ].map(([label, value]) => h('li', { class: 'counter counter--neutral' }, h('span', { class: 'counter-value' }, value!), h('span', { class: 'counter-label' }, label!))),
    );
    const table = rows.length
      ? dataTable(
          t('staff.results.caption', { count: rows.length }),
          [
            { label: t('staff.results.candidate'), cell: (r) => h('code', null, r.candidateId), sort: (r) => r.candidateId },
            { label: t('staff.results.name'), cell: (r) => r.displayName ?? '—', sort: (r) => r.displayName ?? '' },
            { label: t('staff.results.studentId'), cell: (r) => r.studentId ?? '—', sort: (r) => r.studentId ?? '' },
            { label: t('staff.exam.formCode'), cell: (r) => r.formCode, sort: (r) => r.formCode },
            { label: t('staff.results.score'), cell: (r) => `${num(r.score)} / ${num(r.maxScore)}`, class: 'num', sort: (r) => r.score },
            { label: t('staff.results.score10'), cell: (r) => h('strong', null, num(r.score10)), class: 'num', sort: (r) => r.score10 },
            // Adaptive exams: the ability estimate and its standard error.
            ...(rows.some((r) => r.theta !== undefined)
              ? [
                  { label: t('staff.results.theta'), cell: (r: (typeof rows)[number]) => (r.theta === undefined ? '—' : num(r.theta)), class: 'num', sort: (r: (typeof rows)[number]) => r.theta ?? 0 },
                  { label: t('staff.results.se'), cell: (r: (typeof rows)[number]) => (r.se === undefined ? '—' : num(r.se)), class: 'num', sort: (r: (typeof rows)[number]) => r.se ?? 0 },
                ]
              : []),
            { label: t('staff.items.col.status'), cell: (r) => statusBadge(r.status), sort: (r) => r.status },
            { label: t('staff.results.gradedAt'), cell: (r) => (r.gradedAt ? formatDateTime(r.gradedAt) : '—'), sort: (r) => r.gradedAt ?? '' },
          ],
          rows,
          { rowAttrs: (r) => ({ 'data-attempt': r.attemptId }) },
        )
      : h('p', { class: 'empty' }, t('staff.results.empty'));
    ctx.root.append(
      summary,
      h('div', { class: 'toolbar' }, csv, ctx.link(`/staff/exams/${encodeURIComponent(examId)}/analysis`, t('staff.results.toAnalysis'), { class: 'button button--ghost' })),
      messages,
      table,
      features.has('get', '/api/exams/{id}/sector-sync') ? sectorPanel(ctx, examId) : notice('warning', t('staff.missingRoute', { route: 'GET /api/exams/:id/sector-sync' })),
    );
  })();
  return () => {
    disposed = true;
  };
});
