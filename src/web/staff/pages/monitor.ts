/**
 * The live monitor: every candidate of an exam by name, username and số báo
 * danh, with where they stand, whether their socket is connected, how many
 * items they answered, the integrity events their browser reported, how often
 * they came back on a new connection (a reload is not leaving the window), and
 * who is locked out of logging in by wrong passwords; refreshed every few
 * seconds. The search finds a candidate by any part of the name (with or
 * without diacritics), the username or the số báo danh. Proctors and exam managers give a
 * candidate extra minutes and lift login locks from here.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import type { MonitorRow } from '../api.js';
import { badge, busy, errorMessage, input, parseNumber, say, statusBadge, uid } from '../components.js';
import { staffPage } from '../frame.js';
import { candidateCell, candidateLabel, personMatches } from '../people.js';
import { managesExams } from '../roles.js';
import { examTabs } from './exams.js';
import { loadExam } from './exam.js';

/** How often the monitor asks the server (ms). */
export const MONITOR_POLL_MS = 3000;

const EVENT_KINDS = ['blur', 'focus', 'fullscreen_exit', 'paste', 'offline'] as const;

function ago(iso: string | null, now: number): string {
  if (!iso) return t('staff.monitor.never');
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return t('staff.monitor.secondsAgo', { n: s });
  if (s < 3600) return t('staff.monitor.minutesAgo', { n: Math.floor(s / 60) });
  return formatDateTime(iso);
}

export const monitorPage = staffPage('exams', (ctx) => {
  const examId = ctx.params.examId!;
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const heading = ctx.heading(t('staff.monitor.title'));
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  const counters = h('ul', { class: 'counters', 'aria-label': t('staff.monitor.summary') });
  const updated = h('p', { class: 'muted small' });
  const filter = h('select', { id: uid('f') });
  for (const [value, label] of [
    ['', t('staff.monitor.all')],
    ['in_progress', t('status.in_progress')],
    ['not_started', t('status.not_started')],
    ['submitted', t('status.submitted')],
    ['disconnected', t('staff.monitor.disconnectedOnly')],
    ['events', t('staff.monitor.withEvents')],
    ['locked', t('staff.monitor.lockedOnly')],
  ] as const)
    filter.append(h('option', { value }, label));
  const search = input({ type: 'search', id: uid('f'), placeholder: t('staff.monitor.searchHint') });
  const tableBody = h('tbody');
  const table = h(
    'table',
    { class: 'data-table monitor-table' },
    h('caption', { class: 'visually-hidden' }, t('staff.monitor.caption')),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...[t('staff.monitor.candidate'), t('staff.items.col.status'), t('staff.monitor.connection'), t('staff.monitor.answered'), t('staff.monitor.lastSeen'), t('staff.monitor.events')].map((x) => h('th', { scope: 'col' }, x)),
        h('th', { scope: 'col', title: t('staff.monitor.reconnectHint') }, t('staff.monitor.reconnects')),
        h('th', { scope: 'col' }, t('staff.monitor.extraTime')),
      ),
    ),
    tableBody,
  );
  const notices = h('div', { class: 'message-slot', 'aria-live': 'polite' });
  const pause = h('button', { type: 'button', class: 'button button--ghost button--small', 'aria-pressed': 'false' }, t('staff.monitor.pause'));
  let paused = false;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? t('staff.monitor.resume') : t('staff.monitor.pause');
    if (!paused) void poll();
  });

  ctx.root.replaceChildren(
    heading,
    examTabs(ctx, examId, 'monitor'),
    status,
    counters,
    h('div', { class: 'toolbar' }, h('div', { class: 'field' }, h('label', { for: filter.id }, t('staff.monitor.filter')), filter), h('div', { class: 'field field--search' }, h('label', { for: search.id }, t('staff.monitor.search')), search), h('div', { class: 'toolbar-end' }, updated, pause)),
    notices,
    h('div', { class: 'table-wrap' }, table),
  );

  let rows: MonitorRow[] = [];
  let totalItems: number | null = null;
  /** Rows whose extra-time form is open keep it across refreshes. */
  const open = new Map<string, HTMLElement>();
  interface RowView {
    tr: HTMLTableRowElement;
    state: HTMLElement;
    conn: HTMLElement;
    lock: HTMLElement;
    answered: HTMLElement;
    seen: HTMLElement;
    events: HTMLElement;
    reconnects: HTMLElement;
    extra: HTMLElement;
  }
  const rowViews = new Map<string, RowView>();
  const emptyRow = h('tr', { hidden: true }, h('td', { colspan: 8, class: 'empty' }, t('staff.monitor.none')));

  function extraTime(row: MonitorRow): HTMLElement {
    const existing = open.get(row.candidateId);
    if (existing) return existing;
    const toggle = h('button', { type: 'button', class: 'button button--ghost button--small', 'aria-expanded': 'false' }, t('staff.monitor.addTime'));
    const minutes = input({ inputmode: 'numeric', value: '5', class: 'input--tiny', 'aria-label': t('staff.monitor.minutesFor', { who: candidateLabel(row) }) });
    const grant = h('button', { type: 'submit', class: 'button button--secondary button--small' }, t('staff.monitor.grant'));
    const form = h('form', { class: 'extra-form', hidden: true }, minutes, h('span', { 'aria-hidden': 'true' }, t('staff.monitor.minutesUnit')), grant);
    const box = h('div', { class: 'extra-time' }, toggle, form);
    toggle.addEventListener('click', () => {
      form.hidden = !form.hidden;
      toggle.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) {
        open.set(row.candidateId, box);
        minutes.focus();
        minutes.select();
      } else open.delete(row.candidateId);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const n = parseNumber(minutes.value);
      if (!Number.isInteger(n) || n < 1 || n > 1440) {
        minutes.setAttribute('aria-invalid', 'true');
        say(notices, 'error', t('staff.monitor.badMinutes'));
        minutes.focus();
        return;
      }
      minutes.removeAttribute('aria-invalid');
      void busy(grant, t('staff.busy'), async () => {
        try {
          const ext = await ctx.api.extend(examId, row.candidateId, n);
          say(notices, 'success', ext.endsAt ? t('staff.monitor.granted', { who: candidateLabel(row), minutes: n, endsAt: formatDateTime(ext.endsAt), total: ext.extraMinutes }) : t('staff.monitor.grantedNotStarted', { who: candidateLabel(row), minutes: n }));
          form.hidden = true;
          toggle.setAttribute('aria-expanded', 'false');
          open.delete(row.candidateId);
          toggle.focus();
        } catch (err) {
          say(notices, 'error', errorMessage(err));
        }
      });
    });
    return box;
  }

  /** The lock badge and its unlock button, drawn anew only when the lock changes (focus on the button survives refreshes). */
  function lockState(cell: HTMLElement, row: MonitorRow): void {
    const until = row.locked && row.lockedUntil ? row.lockedUntil : '';
    if (cell.dataset.until === until) return;
    cell.dataset.until = until;
    if (!until) return cell.replaceChildren();
    const time = new Date(until).toLocaleTimeString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN', { hour: '2-digit', minute: '2-digit' });
    const unlock = h('button', { type: 'button', class: 'button button--secondary button--small', 'aria-label': t('staff.monitor.unlockFor', { who: candidateLabel(row) }) }, t('staff.monitor.unlock'));
    unlock.addEventListener('click', () => {
      void busy(unlock, t('staff.busy'), async () => {
        try {
          await ctx.api.unlock(row.candidateId);
          say(notices, 'success', t('staff.monitor.unlocked', { who: candidateLabel(row) }));
          cell.dataset.until = '';
          cell.replaceChildren();
          void poll();
        } catch (err) {
          say(notices, 'error', errorMessage(err));
        }
      });
    });
    cell.replaceChildren(h('div', { class: 'lock-state' }, badge(t('staff.monitor.locked', { time }), 'danger'), unlock));
  }

  function draw(): void {
    const now = Date.now();
    const count = (pred: (r: MonitorRow) => boolean) => rows.filter(pred).length;
    counters.replaceChildren(
      ...[
        [t('staff.monitor.total'), rows.length, 'neutral'],
        [t('status.in_progress'), count((r) => r.state === 'in_progress'), 'active'],
        [t('status.submitted'), count((r) => r.state === 'submitted'), 'done'],
        [t('status.not_started'), count((r) => r.state === 'not_started'), 'neutral'],
        [t('staff.monitor.connected'), count((r) => r.connected), 'active'],
        [t('staff.monitor.withEvents'), count((r) => Object.values(r.events ?? {}).some((n) => n > 0)), 'warn'],
        [t('staff.monitor.lockedCount'), count((r) => r.locked === true), 'warn'],
      ].map(([label, n, tone]) => h('li', { class: `counter counter--${tone}` }, h('span', { class: 'counter-value' }, String(n)), h('span', { class: 'counter-label' }, String(label)))),
    );
    const q = search.value.trim();
    const shown = rows.filter((r) => {
      if (q && r.candidateId !== q && !personMatches(r, q)) return false;
      switch (filter.value) {
        case 'disconnected':
          return r.state === 'in_progress' && !r.connected;
        case 'events':
          return Object.values(r.events ?? {}).some((n) => n > 0);
        case 'locked':
          return r.locked === true;
        case '':
          return true;
        default:
          return r.state === filter.value;
      }
    });
    // Rows are updated in place: an open extra-time form, and the keyboard focus in it, survive every refresh.
    const visible = new Set(shown.map((r) => r.candidateId));
    for (const r of rows) {
      let view = rowViews.get(r.candidateId);
      if (!view) {
        view = {
          tr: h('tr', { 'data-candidate': r.candidateId }),
          state: h('td'),
          conn: h('span'),
          lock: h('div'),
          answered: h('td', { class: 'num' }),
          seen: h('td'),
          events: h('td'),
          reconnects: h('td'),
          extra: h('td'),
        };
        view.tr.append(h('th', { scope: 'row' }, candidateCell(r)), view.state, h('td', null, view.conn, view.lock), view.answered, view.seen, view.events, view.reconnects, view.extra);
        rowViews.set(r.candidateId, view);
      }
      const events = EVENT_KINDS.filter((k) => (r.events?.[k] ?? 0) > 0).map((k) => badge(`${t(`staff.event.${k}`)} ×${r.events[k]}`, k === 'focus' ? 'neutral' : 'warn'));
      view.tr.classList.toggle('row--alert', (r.state === 'in_progress' && !r.connected) || r.locked === true);
      view.state.replaceChildren(statusBadge(r.state));
      view.conn.className = `conn conn--${r.connected ? 'on' : 'off'}`;
      view.conn.textContent = r.connected ? t('staff.monitor.online') : t('staff.monitor.offline');
      lockState(view.lock, r);
      view.answered.textContent = totalItems ? `${r.answered}/${totalItems}` : String(r.answered);
      view.seen.textContent = ago(r.lastSeenAt, now);
      view.events.replaceChildren(events.length ? h('span', { class: 'badges' }, ...events) : h('span', { class: 'muted' }, '—'));
      const rejoined = r.reconnects ?? 0;
      view.reconnects.replaceChildren(rejoined > 0 ? badge(t('staff.monitor.reconnectCount', { n: rejoined }), 'neutral') : h('span', { class: 'muted' }, '—'));
      if (r.state === 'submitted') {
        open.delete(r.candidateId);
        if (!view.extra.querySelector('.muted')) view.extra.replaceChildren(h('span', { class: 'muted' }, '—'));
      } else if (!view.extra.firstChild || view.extra.querySelector('.muted')) view.extra.replaceChildren(extraTime(r));
      view.tr.hidden = !visible.has(r.candidateId);
      if (view.tr.parentNode !== tableBody) tableBody.append(view.tr);
    }
    emptyRow.hidden = shown.length > 0;
    tableBody.append(emptyRow);
    updated.textContent = t('staff.monitor.updated', { at: new Date(now).toLocaleTimeString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN') });
  }
  filter.addEventListener('change', draw);
  search.addEventListener('input', draw);

  async function poll(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    try {
      rows = (await ctx.api.monitor(examId)).candidates;
      if (disposed) return;
      status.replaceChildren();
      draw();
    } catch (err) {
      if (disposed) return;
      say(status, 'error', errorMessage(err));
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) return;
    }
    if (!disposed && !paused) timer = setTimeout(() => void poll(), MONITOR_POLL_MS);
  }

  void (async () => {
    const exam = await loadExam(ctx, examId, heading, status);
    if (!exam || disposed) return;
    heading.textContent = t('staff.monitor.heading', { title: exam.title });
    if (exam.formCodes?.length && managesExams(ctx.user)) {
      try {
        const forms = await ctx.api.forms(examId);
        const counts = new Set(forms.forms.map((f) => f.itemCount));
        if (counts.size === 1) totalItems = [...counts][0]!;
      } catch {
        // Proctors cannot read forms: the answered count is shown alone.
      }
    }
    await poll();
  })();
  return () => {
    disposed = true;
    if (timer) clearTimeout(timer);
  };
});
