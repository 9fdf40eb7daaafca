/**
 * Grading: start grading or a whole regrade of an exam and follow the job's
 * progress live, and grade the essays waiting in the manual queue (the
 * candidate's text shown by the shared item renderer, read-only).
 */
import { ApiError } from '../../api.js';
import { append, h } from '../../dom.js';
import { hasMessage, t } from '../../i18n.js';
import { renderItem, renderRichText } from '../../items/render.js';
import { serverFeatures, type Job, type ManualTask, type RubricRow } from '../api.js';
import { busy, button, confirmDialog, errorMessage, fill, input, notice, num, parseNumber, say, statusBadge, textarea, uid } from '../components.js';
import { staffPage, type StaffContext } from '../frame.js';
import { hasRole, listsExams, runsResults } from '../roles.js';
import { examTabs } from './exams.js';
import { loadExam } from './exam.js';

/** How often a running job is asked for its progress (ms). */
export const JOB_POLL_MS = 1000;

const FINISHED = new Set(['completed', 'failed', 'unknown']);

function jobKey(examId: string): string {
  return `exam-engine:grading-job:${examId}`;
}

function missingRoute(route: string): HTMLElement {
  return notice('warning', t('staff.missingRoute', { route }));
}

/** The job panel: buttons, a progress bar that follows GET /api/jobs/:id, and the outcome. */
function jobPanel(ctx: StaffContext, examId: string, onFinished: () => void): { element: HTMLElement; dispose(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;
  const start = button(t('staff.grading.start'), 'primary');
  const regrade = button(t('staff.grading.regrade'), 'secondary');
  const bar = h('progress', { max: 1, value: 0, id: uid('progress'), 'aria-describedby': '' });
  const label = h('label', { for: bar.id }, t('staff.grading.progress'));
  const figures = h('p', { class: 'progress-figures', id: uid('fig') });
  bar.setAttribute('aria-describedby', figures.id);
  const state = h('p', { class: 'job-state', role: 'status' });
  const failures = h('div', { class: 'message-slot' });
  const progressBox = h('div', { class: 'progress-box', hidden: true }, label, bar, figures);

  const show = (job: Job) => {
    const { done, total } = job.progress ?? { done: 0, total: 0 };
    progressBox.hidden = false;
    bar.max = Math.max(1, total);
    bar.value = Math.min(done, Math.max(1, total));
    figures.textContent = total === 0 && job.state === 'completed' ? t('staff.grading.nothing') : t('staff.grading.figures', { done, total, pct: total ? Math.round((done / total) * 100) : 0 });
    const key = `staff.job.${job.state}`;
    state.replaceChildren(statusBadge(job.state), ' ', hasMessage(key) ? t(key) : t('staff.job.active'));
    if (job.failed?.length) {
      say(failures, 'warning', h('p', null, t('staff.grading.failures', { count: job.failed.length })), h('ul', { class: 'compact-list' }, ...job.failed.slice(0, 20).map((f) => h('li', null, typeof f === 'string' ? f : JSON.stringify(f)))));
    } else failures.replaceChildren();
  };

  const follow = async (jobId: string) => {
    if (timer) clearTimeout(timer);
    timer = null;
    try {
      const job = await ctx.api.job(jobId);
      if (disposed) return;
      show(job);
      if (FINISHED.has(job.state)) {
        sessionStorage.removeItem(jobKey(examId));
        start.disabled = false;
        regrade.disabled = false;
        if (job.state === 'completed') onFinished();
        return;
      }
    } catch (err) {
      if (disposed) return;
      say(failures, 'error', errorMessage(err));
      if (err instanceof ApiError && err.status === 404) {
        sessionStorage.removeItem(jobKey(examId));
        start.disabled = false;
        regrade.disabled = false;
        return;
      }
    }
    timer = setTimeout(() => void follow(jobId), JOB_POLL_MS);
  };

  const run = (mode: 'all' | 'regrade', b: HTMLButtonElement) =>
    void busy(b, t('staff.busy'), async () => {
      try {
        const { jobId } = await ctx.api.startGrading(examId, mode);
        sessionStorage.setItem(jobKey(examId), jobId);
        start.disabled = true;
        regrade.disabled = true;
        state.textContent = t('staff.job.waiting');
        void follow(jobId);
      } catch (err) {
        say(failures, 'error', errorMessage(err));
      }
    }).then(() => {
      // busy() re-enables the button; a job in flight keeps both disabled.
      if (sessionStorage.getItem(jobKey(examId))) {
        start.disabled = true;
        regrade.disabled = true;
      }
    });
  start.addEventListener('click', () => run('all', start));
  regrade.addEventListener('click', async () => {
    if (await confirmDialog(t('staff.grading.regradeTitle'), h('p', null, t('staff.grading.regradeConfirm')), t('staff.grading.regrade'))) run('regrade', regrade);
  });

  const running = sessionStorage.getItem(jobKey(examId));
  if (running) {
    start.disabled = true;
    regrade.disabled = true;
    void follow(running);
  }
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'job-title' },
    h('h2', { id: 'job-title' }, t('staff.grading.jobTitle')),
    h('p', { class: 'hint' }, t('staff.grading.intro')),
    h('div', { class: 'actions' }, start, regrade),
    progressBox,
    state,
    failures,
  );
  return {
    element,
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

function rubricList(rubric: RubricRow[] | undefined): HTMLElement | null {
  if (!rubric?.length) return null;
  return h('ul', { class: 'rubric' }, ...rubric.map((r) => h('li', null, renderRichText(r.criterion), ' ', h('span', { class: 'muted' }, t('staff.grading.upTo', { points: num(r.maxPoints) })))));
}

/** One essay to grade: the item, the answer, points and a comment. */
function taskCard(ctx: StaffContext, task: ManualTask, index: number, mayGrade: boolean, onGraded: (card: HTMLElement) => void): HTMLElement {
  const idp = `task-${index}`;
  const stem = h('div', { class: 'item-stem' });
  const rubric = h('div', null);
  const fill = (s: string | undefined, r: RubricRow[] | undefined) => {
    if (s) stem.replaceChildren(renderRichText(s));
    const list = rubricList(r);
    if (list) rubric.replaceChildren(h('p', { class: 'criteria-title' }, t('item.criteria')), list);
  };
  fill(task.stem, task.rubric);
  let maxPoints = task.maxPoints;
  if (!task.stem || !task.rubric) {
    ctx.api
      .item(task.itemId, task.revision)
      .then((item) => {
        fill(task.stem ?? item.stem, task.rubric ?? item.rubric);
        if (maxPoints === undefined && item.rubric) maxPoints = item.rubric.reduce((x, r) => x + r.maxPoints, 0);
        if (maxPoints !== undefined) pointsLabel.textContent = t('staff.grading.pointsOf', { max: num(maxPoints) });
      })
      .catch(() => undefined);
  }
  const answer = renderItem({ id: task.itemId, type: 'essay', stem: '' }, { idPrefix: idp, initial: typeof task.response === 'string' ? task.response : null, readOnly: true });
  // A task is ungraded (it leaves the queue once graded), so the field starts empty.
  const points = input({ id: `${idp}-points`, inputmode: 'decimal', class: 'input--short', value: '' });
  const pointsLabel = h('label', { for: points.id }, maxPoints !== undefined ? t('staff.grading.pointsOf', { max: num(maxPoints) }) : t('staff.grading.points'));
  const comment = textarea({ id: `${idp}-comment`, rows: 2 });
  const save = h('button', { type: 'submit', class: 'button button--primary' }, t('staff.grading.save'));
  const result = h('div', { class: 'message-slot' });
  // Graders see the form and the question, not whose answer it is.
  const where = [task.formCode ? t('exam.form', { code: task.formCode }) : null, task.number ? t('staff.grading.taskItem', { n: task.number }) : null];
  const title = h('h3', { id: `${idp}-title` }, t('staff.grading.task', { n: index + 1 }), ' ', h('span', { class: 'muted' }, where.filter(Boolean).join(' · ')));
  const form = h(
    'form',
    { class: 'grade-form', novalidate: true },
    h('div', { class: 'field' }, pointsLabel, points),
    h('div', { class: 'field field--grow' }, h('label', { for: comment.id }, t('staff.grading.comment')), comment),
    h('div', { class: 'actions actions--tight' }, save),
  );
  const card = h('article', { class: 'card task-card', 'aria-labelledby': title.id, 'data-attempt': task.attemptId, 'data-item': task.itemId }, title, stem, rubric, h('div', { class: 'essay-view' }, answer.element), form, result);
  if (!mayGrade) for (const control of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement>('input, textarea, button')) control.disabled = true;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const n = parseNumber(points.value);
    if (Number.isNaN(n) || n < 0 || (maxPoints !== undefined && n > maxPoints)) {
      points.setAttribute('aria-invalid', 'true');
      say(result, 'error', maxPoints !== undefined ? t('staff.grading.badPointsMax', { max: num(maxPoints) }) : t('staff.grading.badPoints'));
      points.focus();
      return;
    }
    points.removeAttribute('aria-invalid');
    void busy(save, t('staff.saving'), async () => {
      try {
        await ctx.api.gradeManually(task.attemptId, task.itemId, n, comment.value.trim());
        say(result, 'success', t('staff.grading.saved', { points: num(n) }));
        card.classList.add('task-card--done');
        onGraded(card);
      } catch (err) {
        say(result, 'error', errorMessage(err));
      }
    });
  });
  return card;
}

/**
 * Exam managers run grading jobs here and see the essays waiting; authors and
 * reviewers of the exam's organisation (who may not read the exam itself)
 * mark the essays.
 */
export const gradingPage = staffPage(
  'exams',
  (ctx) => {
    const examId = ctx.params.examId!;
    let disposed = false;
    let panel: { dispose(): void } | null = null;
    const manager = runsResults(ctx.user);
    const grader = hasRole(ctx.user, 'author', 'reviewer');
    const heading = ctx.heading(manager ? t('staff.grading.title') : t('staff.grading.titlePlain'));
    const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
    fill(ctx.root, heading, listsExams(ctx.user) && examTabs(ctx, examId, 'grading'), status);

    void (async () => {
      const features = await serverFeatures();
      const exam = manager ? await loadExam(ctx, examId, heading, status) : null;
      if (disposed || (manager && !exam)) return;
      if (exam) heading.textContent = t('staff.grading.heading', { title: exam.title });
      else status.replaceChildren();
      const queueSection = h('section', { class: 'panel', 'aria-labelledby': 'queue-title' }, h('h2', { id: 'queue-title' }, t('staff.grading.queueTitle')));
      const queueCount = h('p', { class: 'muted', role: 'status' });
      const queueList = h('div', { class: 'task-list' });
      append(queueSection, queueCount, !grader && notice('info', t('staff.grading.notGrader')), queueList);

      const loadQueue = async () => {
        if (!features.has('get', '/api/exams/{id}/manual-queue')) {
          queueList.replaceChildren(missingRoute('GET /api/exams/:id/manual-queue'));
          return;
        }
        try {
          const tasks = await ctx.api.manualQueue(examId);
          if (disposed) return;
          let left = tasks.filter((x) => x.points === undefined || x.points === null).length;
          queueCount.textContent = tasks.length ? t('staff.grading.queueCount', { count: left }) : t('staff.grading.queueEmpty');
          const cards = tasks.map((task, i) =>
            taskCard(ctx, task, i, grader, (card) => {
              left = Math.max(0, left - 1);
              queueCount.textContent = left ? t('staff.grading.queueCount', { count: left }) : t('staff.grading.queueDone');
              const next = cards.slice(cards.indexOf(card) + 1).find((c) => !c.classList.contains('task-card--done'));
              next?.querySelector<HTMLInputElement>('input')?.focus();
            }),
          );
          queueList.replaceChildren(...cards);
        } catch (err) {
          say(queueList, 'error', errorMessage(err));
        }
      };

      const sections: HTMLElement[] = [];
      if (manager) {
        if (features.has('post', '/api/exams/{id}/grading') && features.has('get', '/api/jobs/{jobId}')) {
          const job = jobPanel(ctx, examId, () => void loadQueue());
          panel = job;
          sections.push(job.element);
        } else {
          sections.push(h('section', { class: 'panel' }, h('h2', null, t('staff.grading.jobTitle')), missingRoute('POST /api/exams/:id/grading, GET /api/jobs/:jobId')));
        }
        if (exam?.status === 'draft') sections.unshift(notice('info', t('staff.grading.notPublished')));
      }
      sections.push(queueSection);
      if (manager) sections.push(h('p', null, ctx.link(`/staff/exams/${encodeURIComponent(examId)}/results`, t('staff.grading.toResults'))));
      ctx.root.append(...sections);
      await loadQueue();
    })();
    return () => {
      disposed = true;
      panel?.dispose();
    };
  },
  (user) => runsResults(user) || hasRole(user, 'author', 'reviewer'),
);
