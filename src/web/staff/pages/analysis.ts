/**
 * Item analysis of an exam: reliability and the score distribution, each
 * item's difficulty (p-value) against its discrimination, the items to look
 * at again, and the choice of options. Charts are SVG drawn here; every
 * number is also in a table.
 */
import { h } from '../../dom.js';
import { hasMessage, t, type MessageKey } from '../../i18n.js';
import { renderMathText } from '../../items/render.js';
import { plainText } from '../../items/sanitize.js';
import { serverFeatures, type Analysis, type ItemAnalysis, type ResultRow } from '../api.js';
import { histogram, scatter, type Bar } from '../charts.js';
import { badge, busy, button, confirmDialog, dataTable, errorMessage, excerpt, notice, num, say } from '../components.js';
import { staffPage } from '../frame.js';
import { typeLabel } from '../labels.js';
import { examTabs } from './exams.js';
import { loadExam } from './exam.js';

/** Thresholds of the shaded zones (the same defaults as the server's flags). */
const TOO_HARD = 0.2;
const TOO_EASY = 0.9;
const LOW_DISCRIMINATION = 0.2;

/** Ten-point score bins: from the analysis when it has them, else counted from the results. */
function scoreBars(analysis: Analysis, results: ResultRow[] | null): Bar[] {
  const bins = analysis.distribution?.bins;
  if (bins?.length) {
    return bins.map((b) => ({ label: `${num(b.from, 1)}–${num(b.to, 1)}`, value: b.count, title: t('staff.analysis.binTitle', { from: num(b.from, 1), to: num(b.to, 1), count: b.count }) }));
  }
  const counts = new Array<number>(10).fill(0);
  for (const r of results ?? []) if (r.status === 'graded') counts[Math.min(9, Math.floor(r.score10))]! += 1;
  return counts.map((c, i) => ({ label: `${i}–${i + 1}`, value: c, title: t('staff.analysis.binTitle', { from: i, to: i + 1, count: c }) }));
}

/** "Type: stem…" with its formulas typeset, never cut inside one. */
function stemExcerpt(type: string | null, stem: string): HTMLElement {
  const span = h('span', { class: 'stem-excerpt' });
  span.append(type ? `${type}: ` : '', renderMathText(excerpt(stem, 80)));
  return span;
}

function reliabilityOf(a: Analysis): { name: string; value: number | null } {
  if (a.reliability && 'kr20' in a.reliability) return { name: 'KR-20', value: a.reliability.kr20 ?? null };
  return { name: 'Cronbach α', value: a.reliability?.alpha ?? null };
}

export const analysisPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  let disposed = false;
  const heading = ctx.heading(t('staff.analysis.title'));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(heading, examTabs(ctx, examId, 'analysis'), status);

  void (async () => {
    const [exam, features] = await Promise.all([loadExam(ctx, examId, heading, status), serverFeatures()]);
    if (!exam || disposed) return;
    heading.textContent = t('staff.analysis.heading', { title: exam.title });
    if (!features.has('get', '/api/exams/{id}/analysis')) {
      ctx.root.append(notice('warning', t('staff.missingRoute', { route: 'GET /api/exams/:id/analysis' })));
      return;
    }
    let analysis: Analysis;
    try {
      analysis = await ctx.api.analysis(examId, (job) => {
        if (!disposed) say(status, 'info', t('staff.analysis.queued', { done: job.progress?.done ?? 0, total: job.progress?.total ?? 0 }));
      });
      status.replaceChildren();
    } catch (err) {
      say(status, 'error', errorMessage(err));
      return;
    }
    const results = analysis.distribution?.bins?.length || !features.has('get', '/api/exams/{id}/results') ? null : await ctx.api.results(examId).then((r) => r.results, () => null);
    if (disposed) return;
    if (!analysis.candidates) {
      ctx.root.append(notice('info', t('staff.analysis.noData')));
      return;
    }

    const rel = reliabilityOf(analysis);
    // The chart is on the ten-point scale, so the headline mean is too; raw points say out of how many.
    const maxScores = [...new Set((analysis.forms ?? []).map((f) => f.maxScore))];
    const meanPoints = analysis.mean === null ? '—' : maxScores.length === 1 ? `${num(analysis.mean)} / ${num(maxScores[0]!)}` : num(analysis.mean);
    const cards = h(
      'ul',
      { class: 'counters' },
      ...[
        [t('staff.analysis.candidates'), String(analysis.candidates)],
        [t('staff.analysis.mean'), num(analysis.distribution?.mean ?? null)],
        [t('staff.analysis.meanPoints'), meanPoints],
        [t('staff.analysis.sd'), num(analysis.sd)],
        [rel.name, num(rel.value, 3)],
        [t('staff.analysis.sem'), num(analysis.sem)],
      ].map(([label, value]) => h('li', { class: 'counter counter--neutral' }, h('span', { class: 'counter-value' }, value!), h('span', { class: 'counter-label' }, label!))),
    );

    // Items are labelled by their number on the first form when the report gives it, else in report order.
    const label = (i: number) => t('staff.analysis.itemLabel', { n: analysis.items[i]?.number ?? i + 1 });
    const bars = scoreBars(analysis, results);
    const total = bars.reduce((x, b) => x + b.value, 0);
    const hist = histogram(bars, {
      title: t('staff.analysis.histTitle'),
      summary: t('staff.analysis.histSummary', { count: total, mean: num(analysis.distribution?.mean ?? null) }),
      xLabel: t('staff.analysis.histX'),
      yLabel: t('staff.analysis.histY'),
    });
    const plotted = analysis.items.map((it, i) => ({ it, i })).filter(({ it }) => it.pValue !== null && it.discrimination !== null);
    const flagged = (it: ItemAnalysis) => (it.flags?.length ?? 0) > 0 || (it.pValue ?? 0.5) < TOO_HARD || (it.pValue ?? 0.5) > TOO_EASY || (it.discrimination ?? 1) < LOW_DISCRIMINATION;
    const plot = scatter(
      plotted.map(({ it, i }) => ({
        x: it.pValue!,
        y: it.discrimination!,
        label: label(i),
        title: t('staff.analysis.pointTitle', { label: label(i), p: num(it.pValue, 2), d: num(it.discrimination, 2), n: it.n }),
        tone: flagged(it) ? 'flag' : undefined,
      })),
      {
        title: t('staff.analysis.scatterTitle'),
        summary: t('staff.analysis.scatterSummary', { count: plotted.length, flagged: plotted.filter(({ it }) => flagged(it)).length }),
        xLabel: t('staff.analysis.scatterX'),
        yLabel: t('staff.analysis.scatterY'),
      },
      {
        yMin: -0.5,
        bands: [
          { x0: 0, x1: TOO_HARD, y0: -0.5, y1: 1, caption: t('staff.analysis.tooHard') },
          { x0: TOO_EASY, x1: 1, y0: -0.5, y1: 1, caption: t('staff.analysis.tooEasy') },
          { x0: TOO_HARD, x1: TOO_EASY, y0: -0.5, y1: LOW_DISCRIMINATION, caption: t('staff.analysis.lowD') },
        ],
      },
    );

    const stems = new Map<string, HTMLElement>();
    const stemCell = (it: ItemAnalysis) => {
      let cell = stems.get(it.itemId);
      if (!cell) {
        cell = it.excerpt ? stemExcerpt(it.type ? typeLabel(it.type) : null, it.excerpt) : h('span', { class: 'muted' }, it.itemId);
        stems.set(it.itemId, cell);
      }
      return cell;
    };
    const rows = analysis.items.map((it, i) => ({ it, i }));
    const itemTable = dataTable(
      t('staff.analysis.itemsCaption'),
      [
        { label: t('staff.analysis.item'), cell: (r) => h('strong', null, label(r.i)), sort: (r) => r.it.number ?? r.i },
        { label: t('staff.items.col.stem'), cell: (r) => ctx.link(`/staff/items/${encodeURIComponent(r.it.itemId)}/history`, stemCell(r.it)), class: 'col-stem' },
        { label: 'n', cell: (r) => String(r.it.n), class: 'num', sort: (r) => r.it.n },
        { label: t('staff.analysis.p'), cell: (r) => num(r.it.pValue, 2), class: 'num', sort: (r) => r.it.pValue ?? -1 },
        { label: t('staff.analysis.d'), cell: (r) => num(r.it.discrimination, 2), class: 'num', sort: (r) => r.it.discrimination ?? -9 },
        { label: t('staff.analysis.rpb'), cell: (r) => num(r.it.pointBiserial, 2), class: 'num', sort: (r) => r.it.pointBiserial ?? -9 },
        {
          label: t('staff.analysis.options'),
          cell: (r) => {
            const opts = Object.entries(r.it.options ?? {});
            if (!opts.length) return '—';
            return h('span', { class: 'option-stats' }, ...opts.map(([id, o]) => h('span', { class: `option-stat${o.key ? ' option-stat--key' : ''}`, title: t('staff.analysis.optionTitle', { id, count: o.count, rpb: num(o.pointBiserial, 2) }) }, `${id}${o.key ? '✓' : ''} ${num(o.share * 100, 0)}%`)));
          },
        },
        { label: t('staff.analysis.flags'), cell: (r) => (r.it.flags?.length ? h('span', { class: 'badges' }, ...r.it.flags.map((f) => badge(hasMessage(`staff.flag.${f.reason}`) ? t(`staff.flag.${f.reason}` as MessageKey) : f.message, 'warn'))) : '—') },
      ],
      rows,
      { rowAttrs: (r) => ({ 'data-item-id': r.it.itemId }) },
    );

    const csv = button(t('staff.analysis.csv'), 'ghost');
    const csvMessage = h('div', { class: 'message-slot' });
    csv.addEventListener('click', () =>
      void busy(csv, t('staff.busy'), () =>
        ctx.api.download(`/api/exams/${encodeURIComponent(examId)}/analysis`, { format: 'csv' }, `analysis-${examId}.csv`).then(
          (name) => say(csvMessage, 'success', t('staff.export.done', { name })),
          (err) => say(csvMessage, 'error', errorMessage(err)),
        ),
      ),
    );
    // Reading the analysis changes nothing; putting its figures on the bank items is this explicit, audited step.
    const writeBack = button(t('staff.analysis.writeBack'), 'secondary');
    writeBack.hidden = !features.has('post', '/api/exams/{id}/analysis/write-back');
    writeBack.disabled = !analysis.bank?.eligible;
    writeBack.addEventListener('click', async () => {
      const count = analysis.bank?.eligible ?? 0;
      if (!(await confirmDialog(t('staff.analysis.writeBackTitle'), h('p', null, t('staff.analysis.writeBackConfirm', { count })), t('staff.analysis.writeBack')))) return;
      void busy(writeBack, t('staff.busy'), () =>
        ctx.api.analysisWriteBack(examId).then(
          (done) => say(csvMessage, 'success', t('staff.analysis.writtenBack', { count: done.updated })),
          (err) => say(csvMessage, 'error', errorMessage(err)),
        ),
      );
    });
    ctx.root.append(
      cards,
      h('div', { class: 'chart-grid' }, h('figure', { class: 'panel chart-figure' }, h('figcaption', null, t('staff.analysis.histTitle')), hist), h('figure', { class: 'panel chart-figure' }, h('figcaption', null, t('staff.analysis.scatterTitle')), plot, h('p', { class: 'hint' }, t('staff.analysis.scatterHint')))),
      h('div', { class: 'section-head' }, h('h2', null, t('staff.analysis.itemsTitle')), h('div', { class: 'toolbar' }, csv, writeBack)),
      csvMessage,
      itemTable,
    );
    // Stems fill in as they arrive (the bank read is per item); a missing one keeps its id.
    for (const it of analysis.items.filter((x) => !x.excerpt).slice(0, 100)) {
      void ctx.api.item(it.itemId, it.revision).then(
        (item) => {
          const cell = stems.get(it.itemId);
          const filled = stemExcerpt(typeLabel(item.type), plainText(item.stem));
          stems.set(it.itemId, filled);
          cell?.replaceWith(filled);
        },
        () => undefined,
      );
    }
  })();
  return () => {
    disposed = true;
  };
});
