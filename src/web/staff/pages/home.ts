/** The staff start page: what each of the person's roles leads to, and the exams seen lately. */
import { h } from '../../dom.js';
import { t } from '../../i18n.js';
import { fill, statusBadge } from '../components.js';
import { staffPage } from '../frame.js';
import { recentList } from '../recent.js';
import { hasRole, listsExams, managesExams, readsBank, watchesExams } from '../roles.js';

export const homePage = staffPage('home', (ctx) => {
  const u = ctx.user;
  const cards: HTMLElement[] = [];
  const card = (title: string, text: string, ...links: HTMLElement[]) =>
    cards.push(h('li', { class: 'card home-card' }, h('h2', null, title), h('p', { class: 'muted' }, text), h('div', { class: 'actions actions--tight' }, ...links)));
  if (hasRole(u, 'author')) {
    card(
      t('staff.home.author'),
      t('staff.home.authorText'),
      ctx.link('/staff/items/new', t('staff.items.new'), { class: 'button button--primary' }),
      ctx.link('/staff/items?status=draft', t('staff.home.drafts'), { class: 'button button--secondary' }),
    );
  }
  if (hasRole(u, 'reviewer')) card(t('staff.home.reviewer'), t('staff.home.reviewerText'), ctx.link('/staff/review', t('staff.nav.review'), { class: 'button button--primary' }));
  if (hasRole(u, 'author', 'reviewer') && !managesExams(u)) {
    // Graders may not read exams; they open an exam's essays by the id its manager gives them.
    const id = h('input', { type: 'text', id: 'grade-exam-id', spellcheck: 'false', autocomplete: 'off' });
    const open = h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.open'));
    const form = h('form', { class: 'inline-form' }, h('div', { class: 'field' }, h('label', { for: id.id }, t('staff.home.examId')), id), open);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (id.value.trim()) ctx.navigate(`/staff/exams/${encodeURIComponent(id.value.trim())}/grading`);
    });
    cards.push(h('li', { class: 'card home-card' }, h('h2', null, t('staff.home.grader')), h('p', { class: 'muted' }, t('staff.home.graderText')), form));
  }
  if (readsBank(u) && !hasRole(u, 'author')) card(t('staff.nav.items'), t('staff.home.bankText'), ctx.link('/staff/items', t('staff.nav.items'), { class: 'button button--secondary' }));
  if (managesExams(u)) {
    card(
      t('staff.home.manager'),
      t('staff.home.managerText'),
      ctx.link('/staff/blueprints/new', t('staff.blueprint.new'), { class: 'button button--primary' }),
      ctx.link('/staff/exams/new', t('staff.exam.new'), { class: 'button button--secondary' }),
      ctx.link('/staff/exams', t('staff.nav.exams'), { class: 'button button--ghost' }),
    );
  } else if (watchesExams(u)) {
    card(t('staff.home.proctor'), t('staff.home.proctorText'), ctx.link('/staff/exams', t('staff.nav.exams'), { class: 'button button--primary' }));
  }
  if (hasRole(u, 'exam_board') && !managesExams(u)) {
    card(t('staff.home.board'), t('staff.home.boardText'), ctx.link('/staff/exams', t('staff.nav.exams'), { class: 'button button--primary' }));
  }
  const recent = listsExams(u) ? recentList(u.id, 'exams').slice(0, 5) : [];
  fill(
    ctx.root,
    ctx.heading(t('staff.home.title', { name: u.displayName || u.username })),
    h('ul', { class: 'home-grid' }, ...cards),
    recent.length
      ? h(
          'section',
          { 'aria-labelledby': 'recent-title' },
          h('h2', { id: 'recent-title' }, t('staff.recentExams')),
          h('ul', { class: 'link-list' }, ...recent.map((r) => h('li', null, ctx.link(`/staff/exams/${encodeURIComponent(r.id)}`, r.title), ' ', r.status ? statusBadge(r.status) : null))),
        )
      : null,
  );
});
