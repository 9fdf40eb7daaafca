import { h } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import type { EndReason } from '../live/protocol.js';

export type EndKind = EndReason | 'already_submitted' | 'fatal';

export interface EndInfo {
  kind: EndKind;
  /** When the hand-in was recorded (from `submitted`). */
  at?: string;
  /** Changes that never reached the server. */
  lost?: number;
  /** For `fatal`: what went wrong. */
  message?: string;
  /** The candidate's result as it comes in (pages/result.ts), for a handed-in attempt. */
  result?: HTMLElement;
}

export interface EndActions {
  back(): void;
  /** For `replaced`: take the exam back to this tab. */
  continueHere?(): void;
}

const TITLES = {
  submitted: 'end.submitted.title',
  already_submitted: 'end.submitted.title',
  time_up: 'end.time_up.title',
  closed: 'end.closed.title',
  replaced: 'end.replaced.title',
  fatal: 'end.fatal.title',
} as const;

const BODIES = {
  submitted: 'end.submitted.body',
  already_submitted: 'end.already_submitted.body',
  time_up: 'end.time_up.body',
  closed: 'end.closed.body',
  replaced: 'end.replaced.body',
} as const;

/** The last screen of an exam: what happened, in one sentence, and where to go next. */
export function renderEnd(root: HTMLElement, info: EndInfo, actions: EndActions): void {
  const done = info.kind === 'submitted' || info.kind === 'already_submitted' || info.kind === 'time_up';
  const title = h('h1', { id: 'end-title', tabindex: -1 }, t(TITLES[info.kind]));
  const back = h('button', { type: 'button', class: `button ${info.kind === 'replaced' ? 'button--secondary' : 'button--primary'}` }, t('end.back'));
  back.addEventListener('click', () => actions.back());
  let again: HTMLButtonElement | null = null;
  if (info.kind === 'replaced' && actions.continueHere) {
    again = h('button', { type: 'button', class: 'button button--primary' }, t('end.replaced.continue'));
    again.addEventListener('click', () => actions.continueHere!());
  }
  root.replaceChildren(
    h(
      'section',
      { class: `card card--narrow end end--${info.kind}`, 'aria-labelledby': 'end-title', 'data-end': info.kind },
      h('div', { class: `end-icon ${done ? 'end-icon--done' : 'end-icon--info'}`, 'aria-hidden': 'true' }, done ? '✓' : '!'),
      title,
      h('p', { class: 'end-body' }, info.kind === 'fatal' ? (info.message ?? '') : t(BODIES[info.kind])),
      info.at && h('p', null, t('end.submitted.at', { at: formatDateTime(info.at) })),
      info.lost ? h('p', { class: 'warning' }, t('end.lost', { count: info.lost })) : null,
      info.result,
      h('div', { class: 'actions' }, again, back),
    ),
  );
  title.focus();
}
