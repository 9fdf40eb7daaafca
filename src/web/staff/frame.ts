/**
 * The frame around every staff screen: the section navigation (only the
 * sections the person's roles open), the page heading, and the context a
 * staff page gets (API client, the signed-in user, query parameters).
 */
import type { Session, User } from '../api.js';
import { h, type Child } from '../dom.js';
import { t, type MessageKey } from '../i18n.js';
import type { Page, PageContext } from '../pages/types.js';
import { StaffApi } from './api.js';
import { notice } from './components.js';
import { hasRole, listsExams, managesExams, readsBank } from './roles.js';

export type Section = 'home' | 'items' | 'review' | 'blueprints' | 'exams';

export interface StaffContext extends PageContext {
  session: Session;
  user: User;
  api: StaffApi;
  /** The query string of the current address. */
  query: URLSearchParams;
  /** A link that moves inside the app without reloading it. */
  link(href: string, text: Child, attrs?: Record<string, string>): HTMLAnchorElement;
  /** Sets the page heading (and the document title). Returns the heading. */
  heading(text: string): HTMLHeadingElement;
}

interface SectionDef {
  id: Section;
  href: string;
  label: MessageKey;
  allowed: (user: User) => boolean;
}

const SECTIONS: SectionDef[] = [
  { id: 'home', href: '/staff', label: 'staff.nav.home', allowed: () => true },
  { id: 'items', href: '/staff/items', label: 'staff.nav.items', allowed: readsBank },
  { id: 'review', href: '/staff/review', label: 'staff.nav.review', allowed: (u) => hasRole(u, 'reviewer') },
  { id: 'blueprints', href: '/staff/blueprints', label: 'staff.nav.blueprints', allowed: managesExams },
  { id: 'exams', href: '/staff/exams', label: 'staff.nav.exams', allowed: listsExams },
];

export function sectionsFor(user: User): { id: Section; href: string; label: string }[] {
  return SECTIONS.filter((s) => s.allowed(user)).map((s) => ({ id: s.id, href: s.href, label: t(s.label) }));
}

/** A link handled by the router (plain clicks only; new-tab clicks work as usual). */
export function appLink(navigate: (path: string) => void, href: string, text: Child, attrs: Record<string, string> = {}): HTMLAnchorElement {
  const a = h('a', { href, ...attrs }, text);
  a.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  });
  return a;
}

/**
 * Wraps a staff screen: checks the person may open the section, draws the
 * navigation and hands the screen its own container.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a page returns its clean-up, or nothing at all.
export function staffPage(section: Section, render: (ctx: StaffContext) => (() => void) | void, allowed?: (user: User) => boolean): Page {
  return (ctx) => {
    const session = ctx.session!;
    const user = session.user;
    const nav = h('nav', { class: 'staff-nav', 'aria-label': t('staff.nav.label') });
    const list = h('ul', null);
    for (const s of sectionsFor(user)) {
      const a = appLink(ctx.navigate, s.href, s.label, s.id === section ? { 'aria-current': 'page' } : {});
      list.append(h('li', null, a));
    }
    nav.append(list);
    const content = h('div', { class: 'staff-content' });
    ctx.root.replaceChildren(nav, content);
    const def = SECTIONS.find((s) => s.id === section)!;
    if (!(allowed ?? def.allowed)(user)) {
      content.append(h('h1', { tabindex: -1 }, t('staff.forbidden.title')), notice('error', t('error.forbidden')));
      return;
    }
    const staff: StaffContext = {
      ...ctx,
      root: content,
      session,
      user,
      api: new StaffApi(session, ctx.onUnauthenticated),
      query: new URLSearchParams(location.search),
      link: (href, text, attrs) => appLink(ctx.navigate, href, text, attrs),
      heading(text) {
        document.title = `${text} – ${t('staff.title')}`;
        const el = h('h1', { tabindex: -1, class: 'page-title' }, text);
        return el;
      },
    };
    return render(staff) ?? undefined;
  };
}
