/**
 * Entry point of the web client: the page shell (header, language switch,
 * sign-out) and a small history-API router over the pages: the candidates'
 * pages at `/`, `/login`, `/exam/:id`, and the staff app under `/staff`
 * (staff/routes.ts). Staff without a candidate role who open `/` are taken
 * to `/staff`; candidates never get the staff pages.
 */
import { clearSession, loadSession, logout, saveSession, type Session } from './api.js';
import { CANDIDATE_ROUTES } from './candidate-pages.js';
import { h } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { examsPage } from './pages/exams.js';
import { loginPage, noticeOnLogin } from './pages/login.js';
import type { Page, PageContext } from './pages/types.js';
import { isStaff } from './staff/roles.js';
import { STAFF_ROUTES } from './staff/routes.js';

interface Route {
  pattern: RegExp;
  page: Page;
  /** Names of the pattern's groups, in order. */
  params?: string[];
  auth: boolean;
  /** Staff app pages: signed-in staff only, laid out wider. */
  staff?: boolean;
}

const ROUTES: Route[] = [
  ...CANDIDATE_ROUTES,
  ...STAFF_ROUTES.map((r) => ({ ...r, auth: true, staff: true })),
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
  const staffUser = !!session && isStaff(session.user);
  const candidate = !!session && session.user.roles.some((g) => g.role === 'candidate');
  if ((route.staff && !staffUser) || (route.page === examsPage && staffUser && !candidate)) {
    history.replaceState(null, '', route.staff ? '/' : '/staff');
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
  main.classList.toggle('app-main--wide', !!route.staff);
  disposePage = route.page(ctx) ?? null;
  // A new staff screen is announced by moving focus to its heading, unless the screen focused a field itself.
  if (route.staff && (document.activeElement === document.body || !main.contains(document.activeElement))) {
    main.querySelector<HTMLElement>('h1')?.focus();
  }
}

window.addEventListener('popstate', render);
render();
