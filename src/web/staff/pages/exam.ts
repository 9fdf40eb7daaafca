/**
 * One exam: its facts, assembling its forms ("mã đề") with per-form
 * statistics, opening any form as candidates will see it or as the printable
 * paper form, and publishing (which freezes the forms).
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { renderItem } from '../../items/render.js';
import type { AssembleResult, Blueprint, Exam, FormItem, FormSummary, ItemContent } from '../api.js';
import { badge, busy, button, checkbox, confirmDialog, dataTable, errorMessage, notice, num, say, statusBadge } from '../components.js';
import { candidateItem, keyResponse } from '../editor/model.js';
import { staffPage, type StaffContext } from '../frame.js';
import { levelLabel, typeLabel } from '../labels.js';
import { remember } from '../recent.js';
import { managesExams } from '../roles.js';
import { examTabs } from './exams.js';

/** The facts of an exam as a description list. */
export function examFacts(exam: Exam): HTMLElement {
  const rows: [string, Node | string][] = [
    [t('staff.items.col.status'), statusBadge(exam.status)],
    [t('staff.exam.window'), t('exams.window', { from: formatDateTime(exam.opensAt), to: formatDateTime(exam.closesAt) })],
    [t('staff.exam.duration'), t('staff.minutes', { n: exam.durationMinutes })],
  ];
  if (exam.candidateIds) rows.push([t('staff.exam.candidates'), String(exam.candidateIds.length)]);
  if (exam.mode) rows.push([t('staff.exam.mode'), t(`staff.exam.modeShort.${exam.mode}`)]);
  if (exam.adaptive) {
    const stop = exam.adaptive.stop;
    rows.push([t('staff.exam.maxItems'), String(stop.maxItems)]);
    if (stop.minItems !== undefined) rows.push([t('staff.exam.minItems'), String(stop.minItems)]);
    if (stop.seTarget !== undefined) rows.push([t('staff.exam.seTarget'), num(stop.seTarget, 2)]);
  } else if (exam.formCount) rows.push([t('staff.exam.formCount'), String(exam.formCount)]);
  if (exam.showResults) rows.push([t('staff.exam.showResults'), t(`staff.exam.show.${exam.showResults}`)]);
  if (exam.seed) rows.push([t('staff.exam.seed'), h('code', null, exam.seed)]);
  if (exam.publishedAt) rows.push([t('staff.exam.publishedAt'), formatDateTime(exam.publishedAt)]);
  return h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

/** Loads an exam for a workspace tab and draws the heading and tabs; returns the exam or null. */
export async function loadExam(ctx: StaffContext, examId: string, heading: HTMLElement, status: HTMLElement): Promise<Exam | null> {
  try {
    const exam = await ctx.api.exam(examId);
    remember(ctx.user.id, 'exams', { id: exam.id, title: exam.title, status: exam.status });
    heading.textContent = exam.title;
    document.title = `${exam.title} – ${t('staff.title')}`;
    status.replaceChildren();
    return exam;
  } catch (err) {
    say(status, 'error', errorMessage(err));
    return null;
  }
}

function formsTable(ctx: StaffContext, examId: string, forms: FormSummary[]): HTMLElement {
  const base = `/staff/exams/${encodeURIComponent(examId)}/forms/`;
  return dataTable(
    t('staff.exam.formsCaption', { count: forms.length }),
    [
      { label: t('staff.exam.formCode'), cell: (f) => h('strong', null, f.code), sort: (f) => f.code },
      { label: t('staff.exam.itemCount'), cell: (f) => String(f.itemCount), class: 'num', sort: (f) => f.itemCount },
      { label: t('staff.exam.totalPoints'), cell: (f) => num(f.totalPoints), class: 'num', sort: (f) => f.totalPoints },
      { label: t('staff.exam.meanDifficulty'), cell: (f) => num(f.meanDifficulty, 3), class: 'num', sort: (f) => f.meanDifficulty },
      { label: t('staff.exam.hash'), cell: (f) => h('code', { title: f.hash }, f.hash.slice(0, 12)) },
      {
        label: t('staff.items.col.actions'),
        cell: (f) =>
          h(
            'div',
            { class: 'row-actions' },
            ctx.link(base + encodeURIComponent(f.code), t('staff.exam.preview'), { class: 'button button--ghost button--small', 'aria-label': t('staff.exam.previewForm', { code: f.code }) }),
            ctx.link(`${base}${encodeURIComponent(f.code)}/print`, t('staff.exam.print'), { class: 'button button--ghost button--small', 'aria-label': t('staff.exam.printForm', { code: f.code }) }),
          ),
      },
    ],
    forms,
    { rowAttrs: (f) => ({ 'data-form': f.code }) },
  );
}

export const examPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  let disposed = false;
  const heading = ctx.heading(t('staff.exam.title'));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(heading, examTabs(ctx, examId, 'overview'), status);
  const manager = managesExams(ctx.user);

  async function draw(message?: { kind: 'success' | 'error'; text: string }): Promise<void> {
    const exam = await loadExam(ctx, examId, heading, status);
    if (!exam || disposed) return;
    const body = h('div', { class: 'exam-body' });
    const messages = h('div', { class: 'message-slot' });
    if (message) say(messages, message.kind, message.text);
    body.append(examFacts(exam));
    if (exam.blueprintId) body.append(h('p', null, t('staff.exam.blueprint'), ': ', ctx.link(`/staff/blueprints/${encodeURIComponent(exam.blueprintId)}`, exam.blueprintTitle ?? exam.blueprintId)));
    body.append(messages);

    const formsSection = h('section', { class: 'panel', 'aria-labelledby': 'forms-title' }, h('h2', { id: 'forms-title' }, t('staff.exam.forms')));
    const formsSlot = h('div', { class: 'forms-slot' });
    const stats = h('p', { class: 'muted' });
    formsSection.append(stats, formsSlot);

    const showForms = (forms: FormSummary[], result?: AssembleResult) => {
      formsSlot.replaceChildren(forms.length ? formsTable(ctx, exam.id, forms) : h('p', { class: 'muted' }, t('staff.exam.noForms')));
      const overlap = result?.overlap ?? exam.overlap;
      const spread = result?.difficultySpread ?? exam.difficultySpread;
      const pool = result?.adaptive;
      if (pool) stats.textContent = t('staff.exam.adaptivePool', { operational: pool.operational, pretest: pool.pretest, uncalibrated: pool.left.uncalibrated, notDichotomous: pool.left.notDichotomous });
      else if (exam.mode === 'adaptive') stats.textContent = '';
      else stats.textContent = overlap !== undefined ? t('staff.exam.assemblyStats', { overlap: num((overlap ?? 0) * 100, 1), spread: num(spread ?? 0, 3) }) : '';
    };

    if (manager && (exam.formCodes?.length ?? 0) > 0) {
      try {
        showForms((await ctx.api.forms(exam.id)).forms);
      } catch (err) {
        say(formsSlot, 'error', errorMessage(err));
      }
    } else showForms([]);

    const actions = h('div', { class: 'actions' });
    if (manager && exam.status === 'draft') {
      const assemble = button(exam.formCodes?.length ? t('staff.exam.reassemble', { count: exam.formCount ?? 1 }) : t('staff.exam.assemble', { count: exam.formCount ?? 1 }), 'primary');
      assemble.addEventListener('click', () =>
        void busy(assemble, t('staff.exam.assembling'), async () => {
          try {
            const result = await ctx.api.assemble(exam.id);
            showForms(result.forms, result);
            say(messages, 'success', t('staff.exam.assembled', { count: result.forms.length }));
            publish.disabled = false;
          } catch (err) {
            if (err instanceof ApiError && err.code === 'blueprint_infeasible') {
              let bp: Blueprint | null = null;
              try {
                bp = exam.blueprintId ? await ctx.api.blueprint(exam.blueprintId) : null;
              } catch {
                bp = null;
              }
              type Short = { section?: number; topic?: string; cognitiveLevel?: number; needed?: number; available?: number };
              say(
                messages,
                'error',
                h('p', null, t('staff.exam.infeasible')),
                dataTable(
                  t('staff.exam.infeasibleCaption'),
                  [
                    { label: t('staff.blueprint.section', { n: '' }).trim(), cell: (d: Short) => (d.section !== undefined ? bp?.sections[d.section]?.title ?? String(d.section + 1) : '—') },
                    { label: t('staff.blueprint.topic'), cell: (d: Short) => d.topic ?? '—' },
                    { label: t('staff.item.level'), cell: (d: Short) => (d.cognitiveLevel ? `${d.cognitiveLevel} – ${levelLabel(d.cognitiveLevel)}` : '—') },
                    { label: t('staff.exam.needed'), cell: (d: Short) => String(d.needed ?? '—'), class: 'num' },
                    { label: t('staff.exam.availableCol'), cell: (d: Short) => String(d.available ?? '—'), class: 'num' },
                  ],
                  err.details as Short[],
                  { captionHidden: true },
                ),
              );
            } else say(messages, 'error', errorMessage(err));
          }
        }),
      );
      const publish = button(t('staff.exam.publish'), 'secondary');
      publish.disabled = !exam.formCodes?.length;
      publish.addEventListener('click', async () => {
        const ok = await confirmDialog(t('staff.exam.publishConfirmTitle'), h('p', null, t('staff.exam.publishConfirm')), t('staff.exam.publish'));
        if (!ok) return;
        void busy(publish, t('staff.busy'), async () => {
          try {
            await ctx.api.publish(exam.id);
            await draw({ kind: 'success', text: t('staff.exam.published') });
          } catch (err) {
            say(messages, 'error', errorMessage(err));
          }
        });
      });
      actions.append(assemble, publish);
    } else if (exam.status !== 'draft') {
      body.append(notice('info', t('staff.exam.frozen')));
    }
    if (manager && (exam.formCodes?.length ?? 0) > 0) {
      const key = button(t('staff.exam.answerKey'), 'ghost');
      key.addEventListener('click', () => void busy(key, t('staff.busy'), () => ctx.api.download(`/api/exams/${encodeURIComponent(exam.id)}/answer-key`, { format: 'csv' }, `answer-key-${exam.id}.csv`).then(() => undefined, (err) => say(messages, 'error', errorMessage(err)))));
      actions.append(key);
    }
    formsSection.append(actions);
    if (manager) body.append(formsSection);
    ctx.root.replaceChildren(heading, examTabs(ctx, examId, 'overview'), status, body);
  }
  void draw();
  return () => {
    disposed = true;
  };
});

/** One form, item by item, as candidates will see it (optionally with the key). */
export const formPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  const code = ctx.params.code!;
  let disposed = false;
  const heading = ctx.heading(t('staff.form.title', { code }));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(heading, examTabs(ctx, examId, 'overview'), status);
  ctx.api
    .form(examId, code)
    .then((form) => {
      if (disposed) return;
      status.replaceChildren();
      heading.textContent = t('staff.form.heading', { title: form.examTitle, code: form.code });
      const showKey = checkbox(t('staff.editor.showKey'), false);
      const list = h('ol', { class: 'form-items' });
      const drawItems = () => {
        list.replaceChildren();
        let section = -1;
        for (const item of form.items) {
          if (item.section !== section) {
            section = item.section;
            const title = form.sections.find((s) => s.index === section)?.title;
            if (title) list.append(h('li', { class: 'form-section' }, h('h2', null, title)));
          }
          list.append(formItem(item, showKey.box.checked));
        }
      };
      showKey.box.addEventListener('change', drawItems);
      drawItems();
      ctx.root.append(
        h('p', { class: 'muted' }, t('staff.form.summary', { count: form.itemCount, points: num(form.totalPoints), difficulty: num(form.meanDifficulty, 3) })),
        h(
          'div',
          { class: 'toolbar' },
          showKey.wrap,
          ctx.link(`/staff/exams/${encodeURIComponent(examId)}/forms/${encodeURIComponent(code)}/print`, t('staff.exam.print'), { class: 'button button--secondary' }),
          ctx.link(`/staff/exams/${encodeURIComponent(examId)}`, t('staff.form.back'), { class: 'button button--ghost' }),
        ),
        list,
      );
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
  };
});

function formItem(item: FormItem, withKey: boolean): HTMLElement {
  const content = item as unknown as ItemContent;
  // A form carries its own delivery order; the editor's mixed preview order is not wanted here.
  const candidate = item.type === 'ordering' ? { id: item.itemId, type: item.type, stem: item.stem, elements: item.elements ?? [] } : candidateItem(content, item.itemId);
  const showKey = withKey && !item.keyWithheld;
  const rendered = renderItem(candidate, { idPrefix: `form-${item.number}`, initial: showKey ? keyResponse(content) : null, readOnly: withKey });
  return h('li', { class: 'form-item card', 'data-item-id': item.itemId }, itemHead(item), rendered.element);
}

function itemHead(item: FormItem): HTMLElement {
  return h(
    'div',
    { class: 'form-item-head' },
    h('h3', null, t('exam.question', { n: item.number })),
    h('span', { class: 'muted' }, `${typeLabel(item.type)} · ${t('staff.form.points', { points: num(item.points) })} · ${item.topic} · ${t('staff.item.level')} ${item.cognitiveLevel}`),
    item.keyWithheld ? badge(t('staff.form.keyWithheld'), 'warn') : null,
  );
}

/**
 * Rewrites the printable form's style rules to apply inside `.print-sheet`
 * only (its `body` becomes the sheet), so they never restyle the app.
 */
function scopeRules(rules: CSSRuleList): void {
  for (const rule of Array.from(rules)) {
    if (rule instanceof CSSStyleRule) {
      rule.selectorText = rule.selectorText
        .split(',')
        .map((sel) => {
          const s = sel.trim();
          return /^(html|body)\b/.test(s) ? s.replace(/^(html|body)(\s+(html|body)\b)?/, '.print-sheet') : `.print-sheet ${s}`;
        })
        .join(', ');
    } else if (rule instanceof CSSMediaRule) scopeRules(rule.cssRules);
  }
}

/**
 * The printable paper form (GET …/forms/:code?format=html) inside the app:
 * the API wants the bearer token, so the page fetches it and shows it here.
 * Its style sheet is applied through the CSSOM and its inline styles (KaTeX
 * layout) through `element.style`, both of which the CSP allows.
 */
export const printPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  const code = ctx.params.code!;
  let disposed = false;
  let sheet: CSSStyleSheet | null = null;
  const heading = ctx.heading(t('staff.print.title', { code }));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  const printButton = button(t('staff.print.print'), 'primary');
  printButton.addEventListener('click', () => window.print());
  const toolbar = h('div', { class: 'toolbar print-toolbar' }, printButton, ctx.link(`/staff/exams/${encodeURIComponent(examId)}/forms/${encodeURIComponent(code)}`, t('staff.print.back'), { class: 'button button--ghost' }));
  const paper = h('div', { class: 'print-sheet', lang: 'vi' });
  ctx.root.replaceChildren(heading, toolbar, status, h('div', { class: 'paper-frame' }, paper));
  document.body.classList.add('printing-form');

  ctx.api
    .printableForm(examId, code)
    .then((html) => {
      if (disposed) return;
      status.replaceChildren();
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const css = Array.from(doc.querySelectorAll('style'), (s) => s.textContent ?? '').join('\n');
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      scopeRules(sheet.cssRules);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      for (const el of Array.from(doc.body.querySelectorAll('script, style, link, meta'))) el.remove();
      const styled = Array.from(doc.body.querySelectorAll<HTMLElement>('[style]'));
      for (const el of styled) {
        el.setAttribute('data-css', el.getAttribute('style') ?? '');
        el.removeAttribute('style');
      }
      for (const node of Array.from(doc.body.childNodes)) paper.append(document.importNode(node, true));
      for (const el of Array.from(paper.querySelectorAll<HTMLElement>('[data-css]'))) {
        el.style.cssText = el.dataset.css ?? '';
        el.removeAttribute('data-css');
      }
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
    document.body.classList.remove('printing-form');
    if (sheet) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  };
});
