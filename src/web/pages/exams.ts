import { ApiError, myExams, type MyExam } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime, hasMessage, t } from '../i18n.js';
import { errorText } from './login.js';
import { resultPanel, type ResultPanel } from './result.js';
import type { Page } from './types.js';

/** Statuses after which there is nothing left to sit. */
const FINISHED = new Set(['submitted', 'graded', 'closed']);
/** Statuses that cannot be entered yet. */
const NOT_YET = new Set(['upcoming']);

function statusLabel(status: string): string {
  const key = `status.${status}`;
  return hasMessage(key) ? t(key) : status;
}

export const examsPage: Page = (ctx) => {
  let disposed = false;
  let panels: ResultPanel[] = [];
  const status = h('p', { class: 'muted', role: 'status' }, t('exams.loading'));
  const listEl = h('ul', { class: 'exam-list' });
  const heading = h('h1', { id: 'exams-title', tabindex: -1 }, t('exams.heading'));
  ctx.root.replaceChildren(h('section', { 'aria-labelledby': 'exams-title' }, heading, status, listEl));

  function card(exam: MyExam): HTMLElement {
    const finished = FINISHED.has(exam.status);
    const action = finished || NOT_YET.has(exam.status)
      ? null
      : h('a', { href: `/exam/${encodeURIComponent(exam.id)}`, class: 'button button--primary' }, exam.status === 'in_progress' ? t('exams.resume') : t('exams.enter'));
    action?.addEventListener('click', (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      ctx.navigate(`/exam/${encodeURIComponent(exam.id)}`, { title: exam.title });
    });
    return h(
      'li',
      { class: 'exam-card card', 'data-exam-id': exam.id },
      h('div', { class: 'exam-card-head' }, h('h2', null, exam.title), h('span', { class: `badge badge--${finished ? 'done' : exam.status === 'in_progress' ? 'active' : 'neutral'}` }, statusLabel(exam.status))),
      h('p', null, t('exams.window', { from: formatDateTime(exam.opensAt), to: formatDateTime(exam.closesAt) })),
      h('p', null, t('exams.duration', { minutes: exam.durationMinutes })),
      action && h('div', { class: 'actions' }, action),
      finished && exam.attemptId ? result(exam.attemptId) : null,
    );
  }

  function result(attemptId: string): HTMLElement {
    const panel = resultPanel(ctx.session!.token, attemptId, { compact: true, onUnauthenticated: () => ctx.onUnauthenticated() });
    panels.push(panel);
    return panel.element;
  }

  function stopPanels(): void {
    for (const panel of panels) panel.dispose();
    panels = [];
  }

  async function load(): Promise<void> {
    stopPanels();
    status.textContent = t('exams.loading');
    listEl.replaceChildren();
    try {
      const exams = await myExams(ctx.session!.token);
      if (disposed) return;
      status.textContent = exams.length ? '' : t('exams.empty');
      listEl.replaceChildren(...exams.map(card));
    } catch (err) {
      if (disposed) return;
      if (err instanceof ApiError && err.status === 401) return ctx.onUnauthenticated();
      const retry = h('button', { type: 'button', class: 'button button--secondary' }, t('exams.reload'));
      retry.addEventListener('click', () => void load());
      status.replaceChildren(errorText(err), ' ', retry);
    }
  }
  void load();
  return () => {
    disposed = true;
    stopPanels();
  };
};
