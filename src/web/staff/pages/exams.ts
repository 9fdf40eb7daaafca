/**
 * Exams: the ones seen on this device, opening one by id, and creating one
 * from a blueprint (window, duration, forms, candidates by pasted ids or
 * usernames, or a roster file that creates the accounts first).
 */
import { EXAM_STATUSES } from '../../../contracts/exams.js';
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { serverFeatures, type Exam, type NewUserRow, type ShowResults } from '../api.js';
import { busy, button, errorMessage, field, FieldErrors, fill, input, notice, pagedTable, parseNumber, say, select, statusBadge, textarea } from '../components.js';
import { parseCsv } from '../csv.js';
import { pathId } from '../editor/type-editors.js';
import { staffPage, type StaffContext } from '../frame.js';
import { orgChoice } from '../org-select.js';
import { remember } from '../recent.js';
import { hasRole, managesExams, orgsWith, runsResults, watchesExams } from '../roles.js';

export type ExamTab = 'overview' | 'monitor' | 'grading' | 'results' | 'analysis';

/** The tabs of one exam's workspace; proctors get the overview and the monitor. */
export function examTabs(ctx: StaffContext, examId: string, active: ExamTab): HTMLElement {
  const tabs: [ExamTab, string, string][] = [['overview', '', t('staff.exam.tab.overview')]];
  // An exam board runs the grades but not the live exam: no monitor tab.
  if (watchesExams(ctx.user)) tabs.push(['monitor', '/monitor', t('staff.exam.tab.monitor')]);
  if (runsResults(ctx.user)) tabs.push(['grading', '/grading', t('staff.exam.tab.grading')], ['results', '/results', t('staff.exam.tab.results')], ['analysis', '/analysis', t('staff.exam.tab.analysis')]);
  const base = `/staff/exams/${encodeURIComponent(examId)}`;
  return h(
    'nav',
    { class: 'tabs', 'aria-label': t('staff.exam.tabs') },
    h('ul', null, ...tabs.map(([id, suffix, label]) => h('li', null, ctx.link(base + suffix, label, id === active ? { 'aria-current': 'page', class: 'tab' } : { class: 'tab' })))),
  );
}

/** "2030-05-01T08:00" in local time, for datetime-local inputs. */
export function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export const examListPage = staffPage('exams', (ctx) => {
  let disposed = false;
  const openId = input({ spellcheck: 'false', autocomplete: 'off' });
  const openForm = h('form', { class: 'inline-form' }, field(t('staff.exam.openById'), openId), h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.open')));
  openForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (openId.value.trim()) ctx.navigate(`/staff/exams/${encodeURIComponent(openId.value.trim())}`);
  });
  const q = input({ type: 'search', value: ctx.query.get('q') ?? '' });
  const status = select([['', t('staff.any')], ...EXAM_STATUSES.map((s): [string, string] => [s, t(`staff.status.${s}`)])], ctx.query.get('status') ?? '');
  const search = h(
    'form',
    { class: 'inline-form', role: 'search' },
    field(t('staff.exam.search'), q),
    field(t('staff.items.col.status'), status),
    h('button', { type: 'submit', class: 'button button--secondary' }, t('staff.items.search')),
  );
  const list = pagedTable<Exam>({
    caption: t('staff.exam.listTitle'),
    empty: t('staff.exam.none'),
    columns: [
      { label: t('staff.exam.titleField'), cell: (e) => ctx.link(`/staff/exams/${encodeURIComponent(e.id)}`, e.title), sort: (e) => e.title },
      { label: t('staff.items.col.status'), cell: (e) => statusBadge(e.status), sort: (e) => e.status },
      { label: t('staff.items.col.class'), cell: (e) => (e.subject ? `${e.subject} · ${e.grade ?? ''}` : '—') },
      { label: t('staff.exam.window'), cell: (e) => `${formatDateTime(e.opensAt)} – ${formatDateTime(e.closesAt)}`, sort: (e) => e.opensAt },
      { label: t('staff.exam.candidateCol'), cell: (e) => String(e.candidateCount ?? e.candidateIds?.length ?? 0), class: 'num' },
      {
        label: t('staff.items.col.actions'),
        cell: (e) => h('div', { class: 'row-actions' }, ctx.link(`/staff/exams/${encodeURIComponent(e.id)}/monitor`, t('staff.exam.tab.monitor'), { class: 'button button--ghost button--small', 'aria-label': `${t('staff.exam.tab.monitor')}: ${e.title}` })),
      },
    ],
    rowAttrs: (e) => ({ 'data-exam-id': e.id }),
    page: async (cursor) => {
      // The select offers only the statuses (or any): its string is one of them or empty.
      const chosen = EXAM_STATUSES.find((known) => known === status.value);
      const page = await ctx.api.exams({ ...(q.value.trim() ? { q: q.value.trim() } : {}), ...(chosen ? { status: chosen } : {}), limit: 50, ...(cursor ? { cursor } : {}) });
      return { rows: page.exams, nextCursor: page.nextCursor };
    },
    disposed: () => disposed,
  });
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    list.reload();
  });
  fill(
    ctx.root,
    ctx.heading(t('staff.exam.listTitle')),
    managesExams(ctx.user)
      ? h('div', { class: 'toolbar' }, ctx.link('/staff/exams/new', t('staff.exam.new'), { class: 'button button--primary' }), ctx.link('/staff/blueprints/new', t('staff.blueprint.new'), { class: 'button button--secondary' }))
      : null,
    search,
    list.slot,
    h('div', { class: 'actions' }, list.more),
    openForm,
  );
  list.reload();
  return () => {
    disposed = true;
  };
});

/** Roster files: a header row naming at least `username`; password, name and student id columns are optional. */
function rosterRows(text: string, orgId: string, defaultPassword: string): { rows: NewUserRow[]; problems: string[] } {
  const table = parseCsv(text);
  const problems: string[] = [];
  if (table.length < 2) return { rows: [], problems: [t('staff.roster.emptyFile')] };
  const header = table[0]!.map((x) => x.trim().toLowerCase().normalize('NFC'));
  const col = (...names: string[]) => header.findIndex((x) => names.includes(x));
  const iUser = col('username', 'tên đăng nhập', 'ten dang nhap', 'user');
  const iPass = col('password', 'mật khẩu', 'mat khau');
  const iName = col('displayname', 'name', 'fullname', 'họ và tên', 'họ tên', 'ho ten');
  const iStudent = col('studentid', 'student id', 'mã học sinh', 'số báo danh', 'sbd');
  if (iUser < 0) return { rows: [], problems: [t('staff.roster.noUsername')] };
  const rows: NewUserRow[] = [];
  table.slice(1).forEach((cells, i) => {
    const username = (cells[iUser] ?? '').trim();
    if (!username) return;
    const password = (iPass >= 0 ? cells[iPass] ?? '' : '').trim() || defaultPassword;
    if (!password) problems.push(t('staff.roster.noPassword', { line: i + 2 }));
    rows.push({
      username,
      password,
      displayName: (iName >= 0 ? cells[iName] ?? '' : '').trim() || username,
      ...(iStudent >= 0 && (cells[iStudent] ?? '').trim() ? { studentId: cells[iStudent]!.trim() } : {}),
      roles: [{ role: 'candidate', orgId }],
    });
  });
  return { rows, problems };
}

export const examNewPage = staffPage('exams', (ctx) => {
  let disposed = false;
  const summary = h('div', { class: 'error-summary', role: 'alert' });
  const errors = new FieldErrors(summary);
  const result = h('div', { class: 'message-slot' });
  const top = h('div', { class: 'message-slot' });
  if (ctx.query.get('fromBlueprint')) say(top, 'success', t('staff.blueprint.saved'));
  if (!managesExams(ctx.user)) {
    ctx.root.replaceChildren(ctx.heading(t('staff.exam.new')), notice('error', t('error.forbidden')));
    return;
  }

  const blueprintId = input({ id: pathId('/blueprintId'), value: ctx.query.get('blueprintId') ?? '', spellcheck: 'false', autocomplete: 'off' });
  const blueprintInfo = h('p', { class: 'hint', 'aria-live': 'polite' });
  const title = input({ id: pathId('/title') });
  const formCount = input({ id: pathId('/formCount'), inputmode: 'numeric', value: '4', class: 'input--short' });
  const seed = input({ id: pathId('/seed'), spellcheck: 'false', autocomplete: 'off' });
  const start = new Date(Math.ceil(Date.now() / (5 * 60_000)) * 5 * 60_000);
  const opensAt = input({ id: pathId('/opensAt'), type: 'datetime-local', value: localInput(start) });
  const closesAt = input({ id: pathId('/closesAt'), type: 'datetime-local', value: localInput(new Date(start.getTime() + 2 * 3600_000)) });
  const duration = input({ id: pathId('/durationMinutes'), inputmode: 'numeric', value: '45', class: 'input--short' });
  const showResults = select(
    [
      ['after_close', t('staff.exam.show.after_close')],
      ['after_submit', t('staff.exam.show.after_submit')],
      ['never', t('staff.exam.show.never')],
    ],
    'after_close',
    { id: pathId('/showResults') },
  );
  const owner = orgChoice(ctx, orgsWith(ctx.user, 'exam_manager'), t('staff.editor.owner'), '/orgId', errors, pathId('/orgId'));
  // Adaptive exams: one pool form, and the test's stopping rule and exposure control.
  const mode = select(
    [
      ['fixed', t('staff.exam.mode.fixed')],
      ['adaptive', t('staff.exam.mode.adaptive')],
    ],
    'fixed',
    { id: pathId('/mode') },
  );
  const maxItems = input({ id: pathId('/adaptive/stop/maxItems'), inputmode: 'numeric', value: '30', class: 'input--short' });
  const minItems = input({ id: pathId('/adaptive/stop/minItems'), inputmode: 'numeric', class: 'input--short' });
  const seTarget = input({ id: pathId('/adaptive/stop/seTarget'), inputmode: 'decimal', class: 'input--short' });
  const exposure = select(
    [
      ['randomesque', t('staff.exam.exposure.randomesque')],
      ['none', t('staff.exam.exposure.none')],
    ],
    'randomesque',
    { id: pathId('/adaptive/exposure/method') },
  );
  const adaptivePanel = h(
    'fieldset',
    { class: 'adaptive-settings', hidden: true },
    h('legend', null, t('staff.exam.adaptive')),
    h('p', { class: 'hint' }, t('staff.exam.adaptiveHint')),
    h(
      'div',
      { class: 'form-grid' },
      field(t('staff.exam.maxItems'), maxItems, { path: '/adaptive/stop/maxItems', errors }),
      field(t('staff.exam.minItems'), minItems, { path: '/adaptive/stop/minItems', errors, hint: t('staff.exam.minItemsHint') }),
      field(t('staff.exam.seTarget'), seTarget, { path: '/adaptive/stop/seTarget', errors, hint: t('staff.exam.seTargetHint') }),
      field(t('staff.exam.exposure'), exposure, { path: '/adaptive/exposure', errors }),
    ),
  );
  let fixedFormCount = formCount.value;
  mode.addEventListener('change', () => {
    const adaptive = mode.value === 'adaptive';
    adaptivePanel.hidden = !adaptive;
    if (adaptive) {
      fixedFormCount = formCount.value;
      formCount.value = '1';
    } else formCount.value = fixedFormCount;
    formCount.disabled = adaptive;
  });
  const candidates = textarea({ id: pathId('/candidateIds'), rows: 6, spellcheck: 'false', class: 'mono' });
  const candidateCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  const tokens = () => [...new Set(candidates.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))];
  const drawCount = () => (candidateCount.textContent = t('staff.exam.candidateCount', { count: tokens().length }));
  candidates.addEventListener('input', drawCount);
  drawCount();

  let loadSeq = 0;
  const loadBlueprint = () => {
    const id = blueprintId.value.trim();
    const seq = ++loadSeq;
    if (!id) {
      blueprintInfo.textContent = '';
      return;
    }
    ctx.api
      .blueprint(id)
      .then((bp) => {
        if (seq !== loadSeq || disposed) return;
        remember(ctx.user.id, 'blueprints', { id: bp.id, title: bp.title });
        const items = bp.sections.reduce((x, s) => x + s.cells.reduce((y, c) => y + c.count, 0), 0);
        blueprintInfo.replaceChildren(t('staff.exam.blueprintInfo', { title: bp.title, items, subject: bp.subject, grade: bp.grade }), ' ', ctx.link(`/staff/blueprints/${encodeURIComponent(bp.id)}`, t('staff.open')));
        if (!title.value) title.value = bp.title;
        if (bp.durationMinutes) duration.value = String(bp.durationMinutes);
      })
      .catch((err) => {
        if (seq !== loadSeq || disposed) return;
        blueprintInfo.textContent = errorMessage(err);
      });
  };
  blueprintId.addEventListener('change', loadBlueprint);
  if (blueprintId.value) loadBlueprint();

  // The blueprints the manager may use, newest first; picking one fills the id above.
  const picker = select([['', t('staff.exam.pickBlueprintNone')]], '', { id: 'exam-blueprint-pick' });
  picker.addEventListener('change', () => {
    if (!picker.value) return;
    blueprintId.value = picker.value;
    loadBlueprint();
  });
  ctx.api
    .blueprints({ limit: 200 })
    .then(({ blueprints }) => {
      if (disposed) return;
      for (const bp of [...blueprints].reverse()) picker.append(h('option', { value: bp.id }, `${bp.title} (${bp.subject} · ${bp.grade})`));
      picker.value = blueprints.some((b) => b.id === blueprintId.value) ? blueprintId.value : '';
    })
    .catch(() => undefined);

  // ---------------------------------------------------------------- roster upload
  const schoolOrgs = [...new Set([...orgsWith(ctx.user, 'admin'), ...orgsWith(ctx.user, 'exam_manager')])];
  const rosterFile = input({ type: 'file', accept: '.csv,text/csv' });
  const rosterOrg = input({ value: schoolOrgs[0] ?? '', spellcheck: 'false' });
  const rosterPassword = input({ type: 'text', autocomplete: 'off' });
  const rosterButton = button(t('staff.roster.create'), 'secondary');
  const rosterResult = h('div', { class: 'message-slot' });
  rosterButton.addEventListener('click', () => {
    const file = rosterFile.files?.[0];
    if (!file) {
      say(rosterResult, 'error', t('staff.import.noFile'));
      rosterFile.focus();
      return;
    }
    void busy(rosterButton, t('staff.busy'), async () => {
      const { rows, problems } = rosterRows(await file.text(), rosterOrg.value.trim(), rosterPassword.value);
      if (problems.length || !rows.length) {
        say(rosterResult, 'error', problems[0] ?? t('staff.roster.emptyFile'));
        return;
      }
      try {
        const out = await ctx.api.bulkUsers(rows);
        const failedIndex = new Set(out.failed.map((f) => f.index));
        // The server answers the new users' ids; a username is looked up on saving otherwise.
        const added = out.users ? out.users.map((u) => u.id) : rows.filter((_, i) => !failedIndex.has(i)).map((r) => r.username);
        candidates.value = [...tokens(), ...added].join('\n');
        drawCount();
        say(
          rosterResult,
          out.failed.length ? 'warning' : 'success',
          h('p', null, t('staff.roster.done', { created: out.created, failed: out.failed.length })),
          out.failed.length ? h('ul', { class: 'compact-list' }, ...out.failed.slice(0, 20).map((f) => h('li', null, `${rows[f.index]?.username ?? f.index + 1}: ${f.error.message}`))) : null,
        );
      } catch (err) {
        say(rosterResult, 'error', errorMessage(err));
      }
    });
  });

  /** Usernames become ids through the server's user lookup; ids pass as they are. */
  async function candidateIds(): Promise<string[] | null> {
    const list = tokens();
    const names = list.filter((x) => !OBJECT_ID.test(x));
    if (!names.length) return list;
    const features = await serverFeatures();
    if (!features.has('get', '/api/users')) {
      errors.show([{ instancePath: '/candidateIds', keyword: 'lookup', message: t('staff.exam.noLookup', { names: names.slice(0, 5).join(', ') }) }], t('staff.editor.invalid', { count: 1 }));
      return null;
    }
    const ids = new Map<string, string>();
    // Usernames are matched without regard to case, as at login.
    for (const u of await ctx.api.lookupUsers(names)) ids.set(u.username.toLowerCase(), u.id);
    const unknown = names.filter((n) => !ids.has(n.toLowerCase()));
    if (unknown.length) {
      errors.show([{ instancePath: '/candidateIds', keyword: 'lookup', message: t('staff.exam.unknownUsers', { names: unknown.slice(0, 10).join(', ') }) }], t('staff.editor.invalid', { count: 1 }));
      return null;
    }
    return [...new Set(list.map((x) => ids.get(x.toLowerCase()) ?? x))];
  }

  const save = h('button', { type: 'submit', class: 'button button--primary' }, t('staff.exam.create'));
  const form = h(
    'form',
    { class: 'exam-form', novalidate: true },
    summary,
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('staff.exam.basics')),
      field(t('staff.exam.pickBlueprint'), picker),
      field(t('staff.exam.blueprint'), blueprintId, { path: '/blueprintId', errors }),
      blueprintInfo,
      field(t('staff.exam.titleField'), title, { path: '/title', errors }),
      owner.element,
      field(t('staff.exam.mode'), mode, { path: '/mode', errors }),
      adaptivePanel,
      h(
        'div',
        { class: 'form-grid' },
        field(t('staff.exam.opensAt'), opensAt, { path: '/opensAt', errors }),
        field(t('staff.exam.closesAt'), closesAt, { path: '/closesAt', errors }),
        field(t('staff.exam.duration'), duration, { path: '/durationMinutes', errors, hint: t('staff.exam.durationHint') }),
        field(t('staff.exam.formCount'), formCount, { path: '/formCount', errors, hint: t('staff.exam.formCountHint') }),
        field(t('staff.exam.showResults'), showResults, { path: '/showResults', errors }),
        field(t('staff.exam.seed'), seed, { path: '/seed', errors, hint: t('staff.exam.seedHint') }),
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('staff.exam.candidates')),
      field(t('staff.exam.candidateList'), candidates, { path: '/candidateIds', errors, hint: t('staff.exam.candidateHint') }),
      candidateCount,
      hasRole(ctx.user, 'admin', 'exam_manager')
        ? h(
            'details',
            { class: 'roster' },
            h('summary', null, t('staff.roster.title')),
            h('p', { class: 'hint' }, t('staff.roster.hint')),
            h('div', { class: 'form-grid' }, field(t('staff.roster.file'), rosterFile), field(t('staff.roster.org'), rosterOrg), field(t('staff.roster.password'), rosterPassword, { hint: t('staff.roster.passwordHint') })),
            h('div', { class: 'actions' }, rosterButton),
            rosterResult,
          )
        : null,
    ),
    h('div', { class: 'actions' }, save),
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    say(result, null);
    void busy(save, t('staff.saving'), async () => {
      try {
        const ids = await candidateIds();
        if (!ids) return;
        const opens = new Date(opensAt.value);
        const closes = new Date(closesAt.value);
        const fc = parseNumber(formCount.value);
        const d = parseNumber(duration.value);
        // Numbers as typed when they do not parse, so the server names the field.
        const asNumber = (el: HTMLInputElement) => {
          const n = parseNumber(el.value);
          return (Number.isNaN(n) ? el.value : n) as number;
        };
        const adaptive =
          mode.value === 'adaptive'
            ? {
                mode: 'adaptive' as const,
                adaptive: {
                  stop: {
                    maxItems: asNumber(maxItems),
                    ...(minItems.value.trim() ? { minItems: asNumber(minItems) } : {}),
                    ...(seTarget.value.trim() ? { seTarget: asNumber(seTarget) } : {}),
                  },
                  exposure: exposure.value === 'none' ? { method: 'none' as const } : { method: 'randomesque' as const, k: 5 },
                },
              }
            : {};
        const exam = await ctx.api.createExam({
          title: title.value.trim(),
          blueprintId: blueprintId.value.trim(),
          formCount: (Number.isNaN(fc) ? formCount.value : fc) as number,
          ...(seed.value.trim() ? { seed: seed.value.trim() } : {}),
          opensAt: Number.isNaN(opens.getTime()) ? opensAt.value : opens.toISOString(),
          closesAt: Number.isNaN(closes.getTime()) ? closesAt.value : closes.toISOString(),
          durationMinutes: (Number.isNaN(d) ? duration.value : d) as number,
          candidateIds: ids,
          showResults: showResults.value as ShowResults,
          ...adaptive,
          ...(owner.value() ? { orgId: owner.value() } : {}),
        });
        remember(ctx.user.id, 'exams', { id: exam.id, title: exam.title, status: exam.status });
        ctx.navigate(`/staff/exams/${encodeURIComponent(exam.id)}`);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'validation_failed' || err.code === 'adaptive_config_invalid') && err.details.length) {
          errors.show(err.details, t('staff.editor.invalid', { count: err.details.length }));
        } else say(result, 'error', errorMessage(err));
      }
    });
  });
  ctx.root.replaceChildren(ctx.heading(t('staff.exam.new')), top, form);
  (blueprintId.value ? title : blueprintId).focus();
  return () => {
    disposed = true;
  };
});
