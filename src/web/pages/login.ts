import { ApiError, login } from '../api.js';
import { h } from '../dom.js';
import { hasMessage, t } from '../i18n.js';
import type { Page } from './types.js';

/** "14 phút 59 giây": a wait in seconds as people read it. */
function waitText(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return [m > 0 ? t('wait.minutes', { n: m }) : '', s > 0 || m === 0 ? t('wait.seconds', { n: s }) : ''].filter(Boolean).join(' ');
}

/** The message for an API error, in the current language. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    // A login lock says how long it lasts (error.details[0].retryAfterSeconds).
    const wait = err.code === 'rate_limited' ? (err.details[0] as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds : undefined;
    if (typeof wait === 'number' && wait > 0) return t('error.rate_limited_wait', { wait: waitText(wait) });
    const key = `error.${err.code}`;
    return hasMessage(key) ? t(key) : t('error.generic', { message: err.message });
  }
  return t('error.generic', { message: err instanceof Error ? err.message : String(err) });
}

let pendingNotice: string | null = null;

/** A message the next login page shows once (e.g. "your session has expired"). */
export function noticeOnLogin(message: string): void {
  pendingNotice = message;
}

export const loginPage: Page = (ctx) => {
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'login-error' });
  const submit = h('button', { type: 'submit', class: 'button button--primary button--wide' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'form', novalidate: true, 'aria-describedby': 'login-error' },
    h('div', { class: 'field' }, h('label', { for: username.id }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, t('login.password')), password),
    error,
    submit,
  );
  if (pendingNotice) {
    error.textContent = pendingNotice;
    pendingNotice = null;
  }
  // One sign-in page for everyone: candidates and staff are told which account to use, and
  // each is one link away from their own side (staff arrive here with ?next=/staff…).
  const next = new URLSearchParams(location.search).get('next') ?? '';
  const forStaff = next.startsWith('/staff');
  const other = h('a', { class: 'login-other', href: forStaff ? '/login' : '/staff' }, t(forStaff ? 'login.candidateLink' : 'login.staffLink'));
  other.addEventListener('click', (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    ctx.navigate(forStaff ? '/login' : '/staff');
  });
  ctx.root.replaceChildren(
    h(
      'section',
      { class: 'card card--narrow', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title' }, t(forStaff ? 'login.staffHeading' : 'login.heading')),
      h('p', { class: 'muted' }, t(forStaff ? 'login.staffOnlyIntro' : 'login.intro')),
      form,
      h('div', { class: 'login-staff' }, forStaff ? null : h('p', { class: 'muted' }, t('login.staffIntro')), h('p', null, other)),
    ),
  );
  username.focus();

  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    if (!username.value.trim() || !password.value) {
      error.textContent = t('login.missing');
      (username.value.trim() ? password : username).focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = t('login.busy');
    error.textContent = '';
    try {
      const session = await login(username.value.trim(), password.value);
      ctx.setSession(session);
      ctx.navigate(next && (next.startsWith('/exam/') || next.startsWith('/staff')) ? next : '/');
    } catch (err) {
      error.textContent = errorText(err);
      password.value = '';
      password.focus();
      busy = false;
      submit.disabled = false;
      submit.textContent = t('login.submit');
    }
  });
};
