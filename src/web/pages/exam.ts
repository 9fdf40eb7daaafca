/**
 * The exam page: items one at a time with a navigator (an adaptive exam:
 * only the current item, "Câu tiếp theo" sends its answer and waits for the
 * next one, no navigator and no going back), a countdown on the
 * server's clock, a save state per answer, integrity events, and submit with
 * confirmation. Everything the candidate does goes out through the
 * connection's outbox, so it survives reconnects and reloads.
 */
import { myExams } from '../api.js';
import { append, h } from '../dom.js';
import { hasMessage, t } from '../i18n.js';
import { audioPlayer, type AudioPlayer } from '../items/audio.js';
import { hasAnswer, itemIdOf, renderItem, renderRichText, sameResponse, type ItemResponse, type RenderedItem } from '../items/render.js';
import { LiveConnection, liveUrl, type ConnectionStatus } from '../live/connection.js';
import { Outbox } from '../live/outbox.js';
import type { AdaptiveSummary, CandidateStimulus, EventKind, ItemMessage, ProtocolError, SeqFrame, StateMessage } from '../live/protocol.js';
import type { CandidateItem } from '../items/types.js';
import { formatRemaining, ServerClock } from '../live/server-clock.js';
import { renderEnd, type EndInfo } from './end.js';
import { resultPanel } from './result.js';
import type { Page } from './types.js';

/** Typing pauses this long before the answer is sent (a click or leaving the field sends at once). */
const TYPING_DEBOUNCE_MS = 800;
const WARN_AT_MS = 5 * 60_000;
const CRITICAL_AT_MS = 60_000;

interface View {
  id: string;
  index: number;
  rendered: RenderedItem;
  card: HTMLElement;
  heading: HTMLElement;
  save: HTMLElement;
  error: HTMLElement;
  flagButton: HTMLButtonElement;
  navButton: HTMLButtonElement;
  flagged: boolean;
  /** The server holds a response for this item (from state, or acknowledged since). */
  known: boolean;
  /** The last response handed to the connection, to skip sending the same thing twice. */
  queued: ItemResponse | null;
  debounce: ReturnType<typeof setTimeout> | null;
  errorText: string | null;
  /** The item's recording, when it has one. */
  player: AudioPlayer | null;
}

type Phase = 'loading' | 'active' | 'time_up' | 'submitting' | 'ended';

function nackText(error: ProtocolError): string {
  const key = `nack.${error.code}`;
  return hasMessage(key) ? t(key) : error.message || error.code;
}

/** A shared passage above the item that reads it: a labelled region, its title as a heading. */
function renderPassage(stimulus: CandidateStimulus, idPrefix: string): HTMLElement {
  const titleId = `${idPrefix}-passage-title`;
  return h(
    'section',
    // Focusable: a long passage scrolls inside its box, and keyboards must reach it.
    { class: 'passage', 'aria-labelledby': titleId, 'data-stimulus-id': stimulus.id, tabindex: 0 },
    h('h3', { class: 'passage-title', id: titleId }, stimulus.title?.trim() ? stimulus.title : t('exam.passage')),
    h('div', { class: 'passage-content' }, renderRichText(stimulus.content)),
  );
}

export const examPage: Page = (ctx) => {
  const session = ctx.session!;
  const examId = ctx.params.examId!;
  const knownTitle = typeof history.state?.title === 'string' ? (history.state.title as string) : null;
  const title = knownTitle ?? t('app.title');
  const outbox = new Outbox(Outbox.keyFor(session.user.id, examId));
  const clock = new ServerClock();
  const positionKey = `exam-engine:position:${session.user.id}:${examId}`;
  const views = new Map<string, View>();
  let order: View[] = [];
  let current = 0;
  let phase: Phase = 'loading';
  let attemptId: string | null = null;
  let submittedAt: string | undefined;
  const cleanups: (() => void)[] = [];
  let disposed = false;
  /** Stops what the end screen runs (the result's polling) when the page goes. */
  let endCleanup: (() => void) | null = null;
  /** Adaptive exams: the current item and whether its answer is on its way (the next item comes once it is stored). */
  let adaptive: { summary: AdaptiveSummary; itemId: string | null; rendered: RenderedItem | null; waiting: boolean } | null = null;

  // ------------------------------------------------------------ skeleton
  const titleEl = h('h1', null, title);
  if (!knownTitle) {
    // Opened from a bookmark or a typed address: the list knows the title.
    myExams(session.token)
      .then((exams) => {
        const exam = exams.find((e) => e.id === examId);
        if (exam && !disposed) titleEl.textContent = exam.title;
      })
      .catch(() => undefined);
  }
  const timer = h('span', { class: 'timer', role: 'timer', 'aria-labelledby': 'timer-label' }, '--:--');
  const timerBox = h('div', { class: 'timer-box' }, h('span', { class: 'timer-label', id: 'timer-label' }, t('exam.timeLeft')), timer);
  const formCode = h('span', { class: 'form-code' });
  const connState = h('span', { class: 'conn-state', 'data-state': 'connecting' }, t('conn.connecting'));
  const submitButton = h('button', { type: 'button', class: 'button button--danger submit-button' }, t('exam.submit'));
  const banner = h('p', { class: 'banner banner--warning', role: 'status', hidden: true });
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'assertive' });
  const navCount = h('p', { class: 'nav-count' });
  const navList = h('ol', { class: 'nav-grid' });
  const cards = h('div', { class: 'cards' });
  const prevButton = h('button', { type: 'button', class: 'button button--secondary' }, t('exam.prev'));
  const nextButton = h('button', { type: 'button', class: 'button button--secondary' }, t('exam.next'));
  const position = h('span', { class: 'position', 'aria-live': 'polite' });
  const nextItemButton = h('button', { type: 'button', class: 'button next-item-button' }, t('exam.nextItem'));
  // Only an adaptive exam's nav holds "Câu tiếp theo" (onAdaptiveState adds it): a fixed form's nav ends with "Câu sau".
  const questionNav = h('div', { class: 'question-nav' }, prevButton, position, nextButton);
  const adaptiveStatus = h('p', { class: 'adaptive-status', role: 'status', 'aria-live': 'polite' });
  const dialog = buildDialog();
  const bar = h(
    'div',
    { class: 'exam-bar' },
    h('div', { class: 'exam-title' }, titleEl, formCode, connState),
    h('div', { class: 'exam-bar-right' }, timerBox, submitButton),
  );
  const layout = h(
    'div',
    { class: 'exam-layout' },
    h(
      'nav',
      { class: 'navigator', 'aria-labelledby': 'nav-title' },
      h('h2', { id: 'nav-title', class: 'nav-title' }, t('exam.navigator')),
      navCount,
      navList,
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'legend-item legend-item--answered' }, t('exam.legendAnswered')),
        h('span', { class: 'legend-item legend-item--flagged' }, t('exam.legendFlagged')),
      ),
    ),
    h('div', { class: 'question-area' }, cards, adaptiveStatus, questionNav),
  );
  const page = h('div', { class: 'exam', hidden: true }, bar, banner, layout, dialog.element, announcer);
  const loading = h('p', { class: 'loading', role: 'status' }, t('exam.loading'));
  ctx.root.replaceChildren(loading, page);

  prevButton.addEventListener('click', () => show(current - 1, false));
  nextButton.addEventListener('click', () => show(current + 1, false));
  submitButton.addEventListener('click', () => dialog.open());
  nextItemButton.addEventListener('click', () => sendAdaptiveAnswer());

  if (document.fullscreenEnabled) {
    const full = h('button', { type: 'button', class: 'button button--secondary fullscreen-button' }, t('exam.fullscreen'));
    full.addEventListener('click', () => void document.documentElement.requestFullscreen().catch(() => undefined));
    bar.lastElementChild!.prepend(full);
  }

  // ------------------------------------------------------------ connection
  const connection = new LiveConnection({
    url: liveUrl(),
    token: session.token,
    examId,
    outbox,
    handlers: {
      onState,
      onItem,
      onAck(_seq, frame) {
        // The server counted the play: now it may start.
        if (frame?.type === 'play') return views.get(frame.itemId)?.player?.start();
        if (frame?.type !== 'answer') return;
        const view = views.get(frame.itemId);
        if (!view) return;
        view.known = true;
        updateSave(view);
      },
      onNack(message, frame) {
        const code = message.error?.code;
        if (code === 'time_up') return finish({ kind: 'time_up' });
        if (code === 'already_submitted') return finish({ kind: 'already_submitted' });
        if (frame?.type === 'submit') {
          phase = 'active';
          lockAll(false);
          submitButton.textContent = t('exam.submit');
          showBanner(t('save.error', { message: nackText(message.error) }));
          return;
        }
        if (frame?.type === 'play') {
          views.get(frame.itemId)?.player?.refused(code === 'play_limit', t('save.error', { message: nackText(message.error) }));
          return;
        }
        if (adaptive && frame?.type === 'answer') {
          adaptive.waiting = false;
          adaptiveStatus.textContent = t('save.error', { message: nackText(message.error) });
          updateAdaptiveControls();
          return;
        }
        if (frame?.type === 'answer' || frame?.type === 'flag') {
          const view = views.get(frame.itemId);
          if (!view) return;
          view.errorText = t('save.error', { message: nackText(message.error) });
          if (frame.type === 'answer') view.queued = null;
          updateSave(view);
        }
      },
      onTime(message) {
        const before = clock.endsAt;
        clock.sync(message.endsAt, message.serverNow);
        if (Number.isFinite(before) && clock.endsAt !== before) announce(t('exam.extended'));
        if (phase === 'time_up' && clock.remainingMs() > 0) {
          phase = 'active';
          lockAll(false);
          hideBanner();
        }
        tick();
      },
      onSubmitted(message) {
        submittedAt = message.at;
        finish({ kind: 'submitted', at: message.at });
      },
      onEnded(reason) {
        finish({ kind: reason, at: reason === 'submitted' ? submittedAt : undefined });
      },
      onStatus,
      onFatal(error) {
        if (error.code === 'unauthenticated') {
          dispose();
          return ctx.onUnauthenticated();
        }
        const key = `error.${error.code}`;
        finish({ kind: 'fatal', message: hasMessage(key) ? t(key) : error.message });
      },
    },
  });
  connection.start();

  function onStatus(status: ConnectionStatus): void {
    connState.dataset.state = status;
    connState.textContent = t(status === 'open' ? 'conn.open' : status === 'connecting' ? 'conn.connecting' : 'conn.lost');
    if (status === 'reconnecting' && phase === 'loading') loading.textContent = t('conn.reconnecting');
    else if (status === 'reconnecting') showBanner(t('conn.reconnecting'));
    else if (status === 'open') hideBanner();
    for (const view of order) updateSave(view);
  }

  function lastPending(itemId: string, type: 'answer' | 'flag' | 'play'): SeqFrame | undefined {
    const frames = outbox.pending().filter((f) => f.type === type && f.itemId === itemId);
    return frames.at(-1);
  }

  function onState(state: StateMessage): void {
    clock.sync(state.endsAt, state.serverNow);
    if (state.adaptive) {
      attemptId = state.attemptId;
      formCode.textContent = '';
      if (phase === 'loading') {
        phase = 'active';
        loading.remove();
        page.hidden = false;
      }
      onAdaptiveState(state, state.adaptive);
      tick();
      return;
    }
    formCode.textContent = state.formCode ? t('exam.form', { code: state.formCode }) : '';
    const answers = state.answers ?? {};
    const flags = new Set(state.flags ?? []);
    if (attemptId !== state.attemptId || order.length === 0) {
      attemptId = state.attemptId;
      build(state, answers, flags);
    } else {
      // A reconnect: the server is the reference for every item without changes still on the way.
      for (const view of order) {
        const answer = lastPending(view.id, 'answer');
        if (!answer && !view.debounce && !view.card.contains(document.activeElement)) {
          const serverValue = answers[view.id] ?? null;
          if (!sameResponse(view.rendered.getResponse(), serverValue)) view.rendered.setResponse(serverValue);
          view.queued = view.rendered.getResponse();
        }
        if (hasAnswer(answers[view.id])) view.known = true;
        const flag = lastPending(view.id, 'flag');
        setFlag(view, flag?.type === 'flag' ? flag.flagged : flags.has(view.id));
        if (view.player) {
          const served = state.plays?.[view.id] ?? 0;
          // A play asked for before the connection dropped, stored but never acknowledged: the server has it (it left the outbox).
          if (view.player.waiting && !lastPending(view.id, 'play')) view.player.counted(served);
          else view.player.setPlayed(served);
        }
        updateMarks(view);
        updateSave(view);
      }
      updateCount();
    }
    if (phase === 'loading') {
      phase = 'active';
      loading.remove();
      page.hidden = false;
      const saved = Number(sessionStorage.getItem(positionKey));
      show(Number.isInteger(saved) && saved >= 0 && saved < order.length ? saved : 0, false);
    }
    tick();
  }

  function build(state: StateMessage, answers: Record<string, ItemResponse | null>, flags: Set<string>): void {
    views.clear();
    cards.replaceChildren();
    const stimuli = new Map((state.stimuli ?? []).map((s) => [s.id, s]));
    navList.replaceChildren();
    order = state.items.map((item, index) => {
      const id = itemIdOf(item);
      // Answers still in the outbox are newer than what the server holds.
      const pendingAnswer = lastPending(id, 'answer');
      const initial = pendingAnswer?.type === 'answer' ? pendingAnswer.response : (answers[id] ?? null);
      const pendingFlag = lastPending(id, 'flag');
      const number = item.number ?? index + 1;
      const headingId = `q-${index}-title`;
      const heading = h('h2', { id: headingId, class: 'question-title', tabindex: -1 }, t('exam.question', { n: number }));
      // A status named by its question: "Câu 3: Đã lưu" to a screen reader.
      const save = h('span', { class: 'save-state', role: 'status', 'aria-live': 'polite', 'aria-labelledby': headingId });
      const error = h('p', { class: 'item-error', role: 'alert', hidden: true });
      const flagButton = h('button', { type: 'button', class: 'flag-button', 'aria-pressed': 'false' });
      const navButton = h('button', { type: 'button', class: 'nav-button', 'data-index': index }, String(number));
      const rendered = renderItem(item, { initial, idPrefix: `q-${index}`, onChange: (r, settled) => changed(view, r, settled) });
      const view: View = {
        id,
        index,
        rendered,
        card: h('article', { class: 'question-card', 'aria-labelledby': headingId, 'data-item-id': id, hidden: true }),
        heading,
        save,
        error,
        flagButton,
        navButton,
        flagged: false,
        known: hasAnswer(answers[id]),
        queued: initial,
        debounce: null,
        errorText: null,
        player: null,
      };
      if (item.audio?.url) {
        view.player = audioPlayer({
          url: item.audio.url,
          maxPlays: item.audio.maxPlays,
          // A play still in the outbox (sent before a reload) counts already: the server will count it.
          played: (state.plays?.[id] ?? 0) + outbox.pending().filter((f) => f.type === 'play' && f.itemId === id).length,
          onPlayRequest: () => connection.send({ type: 'play', itemId: id }),
        });
      }
      const passage = item.stimulusId ? stimuli.get(item.stimulusId) : undefined;
      append(view.card, h('header', { class: 'question-head' }, heading, save, flagButton), error, passage ? renderPassage(passage, `q-${index}`) : null, view.player?.element, view.rendered.element);
      flagButton.addEventListener('click', () => {
        setFlag(view, !view.flagged);
        connection.send({ type: 'flag', itemId: id, flagged: view.flagged });
      });
      navButton.addEventListener('click', () => show(index, true));
      setFlag(view, pendingFlag?.type === 'flag' ? pendingFlag.flagged : flags.has(id));
      cards.append(view.card);
      navList.append(h('li', null, navButton));
      views.set(id, view);
      return view;
    });
    for (const view of order) {
      updateMarks(view);
      updateSave(view);
    }
    updateCount();
  }

  // ------------------------------------------------------------ adaptive exams

  function onAdaptiveState(state: StateMessage, summary: AdaptiveSummary): void {
    layout.classList.add('exam-layout--adaptive');
    layout.querySelector('.navigator')?.setAttribute('hidden', '');
    prevButton.hidden = true;
    nextButton.hidden = true;
    if (!nextItemButton.isConnected) questionNav.append(nextItemButton);
    const current = summary.current === null ? undefined : state.items.find((i) => itemIdOf(i) === summary.current);
    // A resume: if this candidate's answer to the current item is still on its way, its next item follows.
    const pending = current ? lastPending(itemIdOf(current), 'answer') : undefined;
    showAdaptiveItem(current ?? null, state.stimuli ?? [], summary, pending?.type === 'answer' ? pending.response : (current ? (state.answers?.[itemIdOf(current)] ?? null) : null), !!pending);
  }

  function onItem(message: ItemMessage): void {
    if (!adaptive || phase !== 'active') return;
    showAdaptiveItem(message.item, message.stimuli ?? [], message.adaptive, null, false);
    cards.querySelector<HTMLElement>('.question-title')?.focus();
  }

  function showAdaptiveItem(item: CandidateItem | null, stimuli: CandidateStimulus[], summary: AdaptiveSummary, initial: ItemResponse | null, waiting: boolean): void {
    cards.replaceChildren();
    adaptiveStatus.textContent = '';
    if (!item) {
      // The stopping rule has ended the test: the hand-in is on its way.
      adaptive = { summary, itemId: null, rendered: null, waiting: true };
      adaptiveStatus.textContent = t('exam.adaptiveWaiting');
      updateAdaptiveControls();
      return;
    }
    const id = itemIdOf(item);
    const number = item.number ?? summary.given;
    const headingId = 'q-adaptive-title';
    const rendered = renderItem(item, { initial, idPrefix: `q-a${number}`, onChange: () => updateAdaptiveControls() });
    const passage = item.stimulusId ? stimuli.find((s) => s.id === item.stimulusId) : undefined;
    const card = h('article', { class: 'question-card', 'aria-labelledby': headingId, 'data-item-id': id });
    append(
      card,
      h('header', { class: 'question-head' }, h('h2', { id: headingId, class: 'question-title', tabindex: -1 }, t('exam.question', { n: number }))),
      h('p', { class: 'adaptive-hint' }, t('exam.adaptiveHint')),
      passage ? renderPassage(passage, `q-a${number}`) : null,
      rendered.element,
    );
    cards.append(card);
    position.textContent = t('exam.adaptivePosition', { n: number, max: summary.maxItems });
    adaptive = { summary, itemId: id, rendered, waiting };
    if (waiting) adaptiveStatus.textContent = t('exam.adaptiveWaiting');
    updateAdaptiveControls();
  }

  function updateAdaptiveControls(): void {
    if (!adaptive) return;
    const locked = adaptive.waiting || phase !== 'active';
    adaptive.rendered?.setDisabled(locked);
    nextItemButton.disabled = locked || !adaptive.rendered || !hasAnswer(adaptive.rendered.getResponse());
  }

  function sendAdaptiveAnswer(): void {
    if (!adaptive?.rendered || !adaptive.itemId || adaptive.waiting || phase !== 'active') return;
    const response = adaptive.rendered.getResponse();
    if (!hasAnswer(response)) {
      adaptiveStatus.textContent = t('exam.adaptiveNeedsAnswer');
      return;
    }
    adaptive.waiting = true;
    adaptiveStatus.textContent = t('exam.adaptiveWaiting');
    updateAdaptiveControls();
    connection.send({ type: 'answer', itemId: adaptive.itemId, response });
  }

  // ------------------------------------------------------------ answers

  function changed(view: View, _r: ItemResponse | null, settled: boolean): void {
    if (phase !== 'active') return;
    view.errorText = null;
    if (view.debounce) clearTimeout(view.debounce);
    view.debounce = null;
    if (settled) flush(view);
    else view.debounce = setTimeout(() => flush(view), TYPING_DEBOUNCE_MS);
    updateMarks(view);
    updateSave(view);
    updateCount();
  }

  function flush(view: View): void {
    if (view.debounce) clearTimeout(view.debounce);
    view.debounce = null;
    const response = view.rendered.getResponse();
    if (!sameResponse(view.queued, response)) {
      view.queued = response;
      connection.send({ type: 'answer', itemId: view.id, response });
    }
    updateSave(view);
  }

  function setFlag(view: View, flagged: boolean): void {
    view.flagged = flagged;
    view.flagButton.setAttribute('aria-pressed', String(flagged));
    // The name stays; aria-pressed (and the style) tell whether it is on.
    view.flagButton.textContent = `⚑ ${t('exam.flag')}`;
    updateMarks(view);
  }

  function updateSave(view: View): void {
    let state: 'saving' | 'saved' | 'error' | 'none';
    if (view.errorText) state = 'error';
    else if (view.debounce || lastPending(view.id, 'answer')) state = 'saving';
    else state = view.known ? 'saved' : 'none';
    view.save.dataset.state = state;
    view.save.textContent = state === 'saving' ? t('save.saving') : state === 'saved' ? t('save.saved') : '';
    view.error.hidden = state !== 'error';
    view.error.textContent = view.errorText ?? '';
  }

  function updateMarks(view: View): void {
    const answered = hasAnswer(view.rendered.getResponse());
    view.navButton.classList.toggle('is-answered', answered);
    view.navButton.classList.toggle('is-flagged', view.flagged);
    const parts = [t('exam.question', { n: view.navButton.textContent ?? '' }), answered ? t('exam.navAnswered') : t('exam.navUnanswered')];
    if (view.flagged) parts.push(t('exam.navFlagged'));
    view.navButton.setAttribute('aria-label', parts.join(', '));
  }

  function answeredCount(): number {
    return order.filter((v) => hasAnswer(v.rendered.getResponse())).length;
  }

  function updateCount(): void {
    navCount.textContent = t('exam.answeredCount', { answered: answeredCount(), total: order.length });
  }

  function show(index: number, focusHeading: boolean): void {
    if (index < 0 || index >= order.length) return;
    const previous = order[current];
    if (previous && previous.index !== index && previous.debounce) flush(previous);
    current = index;
    for (const view of order) {
      view.card.hidden = view.index !== index;
      if (view.index === index) view.navButton.setAttribute('aria-current', 'step');
      else view.navButton.removeAttribute('aria-current');
    }
    prevButton.disabled = index === 0;
    nextButton.disabled = index === order.length - 1;
    position.textContent = t('exam.position', { n: index + 1, total: order.length });
    sessionStorage.setItem(positionKey, String(index));
    // On a phone the navigator is a strip that scrolls sideways: keep the current question in it.
    order[index]!.navButton.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    if (focusHeading) order[index]!.heading.focus();
  }

  function lockAll(locked: boolean): void {
    for (const view of order) {
      view.rendered.setDisabled(locked);
      view.player?.setDisabled(locked);
      view.flagButton.disabled = locked;
    }
    submitButton.disabled = locked;
    updateAdaptiveControls();
  }

  function flushAll(): void {
    for (const view of order) if (view.debounce) flush(view);
  }

  // ------------------------------------------------------------ time

  let warned5 = false;
  let warned1 = false;
  function tick(): void {
    if (phase === 'loading' || phase === 'ended') return;
    const remaining = clock.remainingMs();
    const text = formatRemaining(remaining);
    if (timer.textContent !== text) timer.textContent = text;
    timerBox.classList.toggle('timer-box--warn', remaining <= WARN_AT_MS);
    timerBox.classList.toggle('timer-box--critical', remaining <= CRITICAL_AT_MS);
    if (!warned5 && remaining <= WARN_AT_MS && remaining > CRITICAL_AT_MS) {
      warned5 = true;
      announce(t('exam.minutesLeft', { minutes: 5 }));
    }
    if (!warned1 && remaining <= CRITICAL_AT_MS && remaining > 0) {
      warned1 = true;
      announce(t('exam.minutesLeft', { minutes: 1 }));
    }
    if (remaining <= 0 && phase === 'active') {
      // The server submits at the deadline; until it says so, nothing more can be changed here.
      flushAll();
      phase = 'time_up';
      lockAll(true);
      showBanner(t('exam.timeUpWaiting'));
      announce(t('exam.timeUp'));
    }
  }
  const tickTimer = setInterval(tick, 250);
  cleanups.push(() => clearInterval(tickTimer));

  // ------------------------------------------------------------ submit

  function buildDialog(): { element: HTMLDialogElement; open(): void } {
    const body = h('div', { class: 'dialog-body' });
    const cancel = h('button', { type: 'button', class: 'button button--secondary', autofocus: true }, t('confirm.cancel'));
    const ok = h('button', { type: 'button', class: 'button button--danger' }, t('confirm.ok'));
    const element = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, t('confirm.title')),
      body,
      h('div', { class: 'actions' }, cancel, ok),
    );
    cancel.addEventListener('click', () => element.close());
    ok.addEventListener('click', () => {
      element.close();
      submit();
    });
    return {
      element,
      open() {
        if (phase !== 'active') return;
        flushAll();
        body.replaceChildren();
        if (adaptive) {
          append(body, h('p', { class: 'warning' }, t('confirm.adaptive', { answered: Math.max(0, adaptive.summary.given - 1) })), h('p', null, t('confirm.final')));
          element.showModal();
          cancel.focus();
          return;
        }
        const answered = answeredCount();
        const unanswered = order.length - answered;
        const flagged = order.filter((v) => v.flagged).length;
        body.replaceChildren();
        append(
          body,
          h('p', null, t('confirm.answered', { answered, total: order.length })),
          unanswered > 0 && h('p', { class: 'warning' }, t('confirm.unanswered', { count: unanswered })),
          flagged > 0 && h('p', { class: 'warning' }, t('confirm.flagged', { count: flagged })),
          h('p', null, t('confirm.final')),
        );
        element.showModal();
        cancel.focus();
      },
    };
  }

  function submit(): void {
    if (phase !== 'active') return;
    flushAll();
    phase = 'submitting';
    lockAll(true);
    submitButton.textContent = t('exam.submitting');
    connection.send({ type: 'submit' });
  }

  // ------------------------------------------------------------ end

  function finish(info: EndInfo): void {
    if (phase === 'ended') return;
    phase = 'ended';
    for (const view of order) if (view.debounce) clearTimeout(view.debounce);
    connection.stop();
    // The attempt is over: whatever is left can never be applied. A replaced tab leaves the
    // outbox alone, since a tab of the same browser may be the one that took over.
    if (info.kind !== 'replaced' && info.kind !== 'fatal') {
      const lost = outbox.pending().filter((f) => f.type === 'answer').length;
      outbox.clear();
      if (lost && info.kind !== 'submitted') info = { ...info, lost };
    }
    dispose();
    if (dialog.element.open) dialog.element.close();
    if (info.kind === 'submitted' || info.kind === 'already_submitted' || info.kind === 'time_up') {
      const slot = h('div', { class: 'result-slot' });
      info = { ...info, result: slot };
      const known = attemptId;
      // After a reload the server says only `ended`: the exam list knows the attempt.
      const found = known ? Promise.resolve(known) : myExams(session.token).then((exams) => exams.find((e) => e.id === examId)?.attemptId ?? null).catch(() => null);
      void found.then((id) => {
        if (!id || !slot.isConnected) return;
        const panel = resultPanel(session.token, id, { onUnauthenticated: () => ctx.onUnauthenticated() });
        slot.replaceChildren(panel.element);
        endCleanup = () => panel.dispose();
      });
    }
    renderEnd(ctx.root, info, {
      back: () => ctx.navigate('/'),
      continueHere: () => ctx.navigate(`/exam/${encodeURIComponent(examId)}`, { title: titleEl.textContent ?? title }),
    });
  }

  function showBanner(text: string): void {
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner(): void {
    if (phase === 'time_up') return;
    banner.hidden = true;
  }

  function announce(text: string): void {
    announcer.textContent = text;
  }

  // ------------------------------------------------------------ integrity signals

  let focused = document.hasFocus();
  const signal = (kind: EventKind) => {
    if (phase === 'active' || phase === 'time_up' || phase === 'loading') connection.send({ type: 'event', kind });
  };
  const onBlur = () => {
    if (!focused) return;
    focused = false;
    signal('blur');
  };
  const onFocus = () => {
    if (focused) return;
    focused = true;
    signal('focus');
  };
  // A reload or leaving the page (pagehide, then a last visibilitychange to hidden) is not
  // leaving the window: the monitor sees it as the socket closing and the candidate joining
  // again, never as "left the window". Only a switch away from a page that stays open is.
  let unloading = false;
  const onVisibility = () => (document.visibilityState === 'hidden' && !unloading ? onBlur() : undefined);
  const onBeforeUnload = () => {
    unloading = true;
  };
  let wasFullscreen = !!document.fullscreenElement;
  const onFullscreen = () => {
    const now = !!document.fullscreenElement;
    if (wasFullscreen && !now) signal('fullscreen_exit');
    wasFullscreen = now;
  };
  const onPaste = () => signal('paste');
  const onOffline = () => signal('offline');
  // A reload must not lose what was typed during the last debounce: it goes into the outbox now.
  const onPageHide = () => {
    unloading = true;
    if (phase === 'active') flushAll();
  };
  // Restored from the back/forward cache: the page is live again.
  const onPageShow = () => {
    unloading = false;
  };
  window.addEventListener('blur', onBlur);
  window.addEventListener('focus', onFocus);
  document.addEventListener('visibilitychange', onVisibility);
  document.addEventListener('fullscreenchange', onFullscreen);
  document.addEventListener('paste', onPaste, true);
  window.addEventListener('offline', onOffline);
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('pageshow', onPageShow);
  window.addEventListener('beforeunload', onBeforeUnload);
  cleanups.push(() => {
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('pageshow', onPageShow);
    window.removeEventListener('beforeunload', onBeforeUnload);
    window.removeEventListener('blur', onBlur);
    window.removeEventListener('focus', onFocus);
    document.removeEventListener('visibilitychange', onVisibility);
    document.removeEventListener('fullscreenchange', onFullscreen);
    document.removeEventListener('paste', onPaste, true);
    window.removeEventListener('offline', onOffline);
  });

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    // Text typed in the last moment still goes into the outbox before the page goes away.
    if (phase === 'active') flushAll();
    for (const view of order) if (view.debounce) clearTimeout(view.debounce);
    connection.stop();
    for (const cleanup of cleanups.splice(0)) cleanup();
  }

  return () => {
    dispose();
    endCleanup?.();
    endCleanup = null;
  };
};
