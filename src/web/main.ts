/**
 * Entry point of the student client: the page shell (header, language
 * switch, sign-out) and a small history-API router over the pages.
 */
import { clearSession, loadSession, logout, saveSession, type Session } from './api.js';
import { h } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { examPage } from './pages/exam.js';
import { examsPage } from './pages/exams.js';
import { loginPage, noticeOnLogin } from './pages/login.js';
import type { Page, PageContext } from './pages/types.js';

interface Route {
  pattern: RegExp;
  page: Page;
  /** Names of the pattern's groups, in order. */
  params?: string[];
  auth: boolean;
}

const ROUTES: Route[] = [
  { pattern: /^\/$/, page: examsPage, auth: true },
  { pattern: /^\/login$/, page: loginPage, auth: false },
  { pattern: /^\/exam\/([^/]+)$/, page: examPage, params: ['examId'], auth: true },
];

let session: Session | null = loadSession();
let disposePage: (() => void) | null = null;

const app = document.getElementById('app')!;
const skip = h('a', { class: 'skip-link', href: '#main' });
const brand = h('a', { class: 'brand', href: '/' });
const who = h('span', { class: 'who' });
const langButton = h('button', { type: 'button', class: 'button button--ghost lang-button' });
const logoutButton = h('button', { type: 'button', class: 'button button--ghost' });
const header = h('header', { class: 'app-header' }, brand, h('div', { class: 'app-header-right' }, who, langButton, logoutButton));
const main = h('main', { id: 'main', class: 'app-main', tabindex: -1 });
app.replaceChildren(skip, header, main);

brand.addEventListener('click', (event) => {
  event.preventDefault();
  navigate('/');
});
langButton.addEventListener('click', () => {
  setLang(getLang() === 'vi' ? 'en' : 'vi');
  render();
});
logoutButton.addEventListener('click', () => {
  const token = session?.token;
  setSession(null);
  if (token) void logout(token).catch(() => undefined);
  navigate('/login');
});

function renderShell(): void {
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  skip.textContent = t('app.skip');
  brand.textContent = t('app.title');
  langButton.textContent = t('lang.other');
  langButton.setAttribute('aria-label', t('lang.switch'));
  langButton.setAttribute('lang', getLang() === 'vi' ? 'en' : 'vi');
  who.textContent = session ? t('nav.signedInAs', { name: session.user.displayName || session.user.username }) : '';
  logoutButton.textContent = t('nav.logout');
  logoutButton.hidden = !session;
}

function setSession(next: Session | null): void {
  session = next;
  if (next) saveSession(next);
  else clearSession();
  renderShell();
}

function navigate(path: string, state?: Record<string, unknown>): void {
  history.pushState(state ?? null, '', path);
  render();
}

function render(): void {
  disposePage?.();
  disposePage = null;
  renderShell();
  const path = location.pathname;
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    history.replaceState(null, '', '/');
    return render();
  }
  if (route.auth && !session) {
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path)}`;
    history.replaceState(null, '', `/login${next}`);
    return render();
  }
  if (route.page === loginPage && session) {
    history.replaceState(null, '', '/');
    return render();
  }
  const match = route.pattern.exec(path)!;
  const params: Record<string, string> = {};
  route.params?.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1]!)));
  const ctx: PageContext = {
    root: main,
    session,
    params,
    navigate,
    setSession,
    onUnauthenticated() {
      setSession(null);
      noticeOnLogin(t('error.unauthenticated'));
      navigate(`/login?next=${encodeURIComponent(location.pathname)}`);
    },
  };
  main.replaceChildren();
  disposePage = route.page(ctx) ?? null;
}

window.addEventListener('popstate', render);
render();
