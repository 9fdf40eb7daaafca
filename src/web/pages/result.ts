/**
 * The candidate's own result, as the exam's `showResults` allows: the total
 * once grading has finished, points per item once the exam has closed, a
 * waiting state while grading runs or an essay awaits a teacher, and every
 * change a regrade made. Used on the end screen and on the exam list.
 *
 * Live updates poll GET /api/attempts/:id/result with backoff rather than
 * listen on the exam socket: that socket closes right after the hand-in
 * (`ended`), grading runs in worker processes that hold no sockets, and the
 * result endpoint is the one place that applies the release rules, so
 * asking it again can never show more than the candidate may see. Polls
 * start at 1 s and double to 30 s (60 s once graded, to notice a regrade),
 * pause while the page is hidden, and stop for good when the exam shows no
 * scores. A score held back until the exam closes is asked for again at
 * that moment.
 */
import { ApiError, attemptResult, type AttemptResult, type ResultFeedback } from '../api.js';
import { renderRichText } from '../items/render.js';
import { h } from '../dom.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';

const FIRST_POLL_MS = 1000;
const MAX_WAIT_POLL_MS = 30_000;
const GRADED_POLL_MS = 60_000;
/** setTimeout's ceiling; anything later is asked for again after this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ResultPanel {
  element: HTMLElement;
  dispose(): void;
}

interface Refusal {
  reason?: string;
  availableAt?: string;
}

/**
 * A live view of the result of `attemptId`. `compact` (the exam list) shows
 * the total and the state only; the full view adds points per item.
 */
export function resultPanel(token: string, attemptId: string, options: { compact?: boolean; onUnauthenticated?: () => void } = {}): ResultPanel {
  const body = h('div', { class: 'result-body' }, h('p', { class: 'muted' }, t('result.loading')));
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const element = h(
    'section',
    { class: `result${options.compact ? ' result--compact' : ''}`, 'aria-label': t('result.heading'), 'data-result-state': 'loading' },
    options.compact ? null : h('h2', { class: 'result-heading' }, t('result.heading')),
    body,
    announcer,
  );
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;
  let wait = FIRST_POLL_MS;
  let shownVersion: number | null = null;

  function schedule(ms: number): void {
    if (disposed) return;
    timer = setTimeout(() => {
      timer = null;
      // A hidden tab asks nobody; it asks again as soon as it is shown.
      if (document.hidden) document.addEventListener('visibilitychange', onVisible);
      else void load();
    }, Math.min(ms, MAX_TIMER_MS));
  }

  function onVisible(): void {
    if (document.hidden) return;
    document.removeEventListener('visibilitychange', onVisible);
    if (!disposed && !timer) void load();
  }

  function state(name: string, ...children: (Node | string)[]): void {
    element.dataset.resultState = name;
    body.replaceChildren(...children);
  }

  function waiting(name: string, text: string): void {
    state(name, h('p', { class: 'result-waiting' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text));
    schedule(wait);
    wait = Math.min(wait * 2, MAX_WAIT_POLL_MS);
  }

  function show(result: AttemptResult): void {
    const parts: (Node | string)[] = [
      h('p', { class: 'result-score' }, t('result.score', { score10: formatNumber(result.score10) })),
      result.adaptive
        ? h('p', { class: 'result-ability muted' }, t('result.ability', { theta: formatNumber(result.adaptive.theta), se: formatNumber(result.adaptive.se), length: result.adaptive.length }))
        : h('p', { class: 'result-points muted' }, t('result.points', { score: formatNumber(result.score), max: formatNumber(result.maxScore) })),
    ];
    for (const change of result.scoreChanges ?? []) {
      parts.push(
        h(
          'p',
          { class: 'result-change' },
          t('result.changed', {
            cause: t(change.cause === 'manual_grade' ? 'result.cause.manual_grade' : 'result.cause.regrade'),
            at: formatDateTime(change.at),
            before: formatNumber(change.before.score10),
            after: formatNumber(change.after.score10),
          }),
        ),
      );
    }
    if (!options.compact) {
      if (result.perItem) parts.push(perItemTable(result.perItem));
      else if (result.perItemFrom) parts.push(h('p', { class: 'result-detail-later muted' }, t('result.detailLater', { at: formatDateTime(result.perItemFrom) })));
    }
    state('graded', ...parts);
    if (shownVersion !== null && shownVersion !== result.version) announcer.textContent = t('result.updated');
    shownVersion = result.version;
    // Points per item come when the exam closes; a regrade may come any time.
    const untilDetail = result.perItemFrom ? new Date(result.perItemFrom).getTime() - Date.now() + 1000 : Infinity;
    schedule(Math.max(1000, Math.min(GRADED_POLL_MS, untilDetail)));
  }

  async function load(): Promise<void> {
    if (disposed) return;
    try {
      const result = await attemptResult(token, attemptId);
      if (disposed) return;
      show(result);
    } catch (err) {
      if (disposed) return;
      if (err instanceof ApiError && err.status === 401 && options.onUnauthenticated) return options.onUnauthenticated();
      if (err instanceof ApiError && err.status === 403) {
        const refusal = (err.details[0] ?? {}) as Refusal;
        switch (refusal.reason) {
          case 'not_shown':
            return state('not_shown', h('p', { class: 'muted' }, t('result.notShown')));
          case 'after_close': {
            const at = refusal.availableAt ?? '';
            state('after_close', h('p', { class: 'muted' }, t('result.afterClose', { at: formatDateTime(at) })));
            return schedule(Math.max(1000, new Date(at).getTime() - Date.now() + 1000));
          }
          case 'pending_manual':
            return waiting('pending_manual', t('result.pendingManual'));
          default:
            return waiting('grading', t('result.grading'));
        }
      }
      const message = err instanceof Error ? err.message : String(err);
      state('error', h('p', { class: 'muted' }, t('result.unavailable', { message })));
      schedule(wait);
      wait = Math.min(wait * 2, MAX_WAIT_POLL_MS);
    }
  }

  void load();
  return {
    element,
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}

/** An item's released feedback: HTML of the bank's safe subset, drawn by the same renderer as the items. */
function feedbackCell(feedback: ResultFeedback | undefined): HTMLElement {
  const cell = h('td', { class: 'result-feedback' });
  if (!feedback) return cell;
  const block = (html: string, cls: string) => h('div', { class: cls }, renderRichText(html));
  if (feedback.outcome) cell.append(block(feedback.outcome, 'feedback-outcome'));
  for (const o of feedback.options ?? []) cell.append(h('div', { class: 'feedback-option' }, h('span', { class: 'muted' }, t('result.youPicked')), ' ', renderRichText(o.text), ': ', renderRichText(o.feedback)));
  if (feedback.general) cell.append(block(feedback.general, 'feedback-general'));
  if (feedback.hints?.length) cell.append(h('p', { class: 'muted' }, t('result.hints')), h('ol', { class: 'feedback-hints' }, ...feedback.hints.map((x) => h('li', null, renderRichText(x)))));
  return cell;
}

function perItemTable(rows: NonNullable<AttemptResult['perItem']>): HTMLElement {
  const hasComments = rows.some((r) => r.comment);
  const hasFeedback = rows.some((r) => r.feedback);
  return h(
    'table',
    { class: 'result-table' },
    h('caption', null, t('result.perItem')),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('result.colItem')), h('th', { scope: 'col' }, t('result.colPoints')), hasComments && h('th', { scope: 'col' }, t('result.colComment')), hasFeedback && h('th', { scope: 'col' }, t('result.colFeedback')))),
    h(
      'tbody',
      null,
      ...rows.map((r) =>
        h(
          'tr',
          { 'data-status': r.status },
          h('th', { scope: 'row' }, t('exam.question', { n: r.number })),
          h('td', null, r.status === 'pending' ? t('result.itemPending') : `${formatNumber(r.points)}/${formatNumber(r.maxPoints)}`),
          hasComments && h('td', null, r.comment ?? ''),
          hasFeedback && feedbackCell(r.feedback),
        ),
      ),
    ),
  );
}
