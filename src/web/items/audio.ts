/**
 * The recording of an item (listening sections): a play button, a progress
 * bar that cannot be dragged, and how many plays are left. There are no
 * native controls, so nobody seeks. With a limit, a play is asked of the
 * server first (`onPlayRequest`, a `play` frame); playback starts only when
 * the server has counted it (`start()`), and a refusal or the last play used
 * disables the button for good. The file comes from the media library with
 * the session's token (media.ts), like the pictures.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { libraryObjectUrl } from './media.js';

export interface AudioPlayerOptions {
  /** `/api/media/<hash>` */
  url: string;
  /** Plays allowed; absent: no limit. */
  maxPlays?: number;
  /** Plays the server has counted already. */
  played: number;
  /** Asks the server for a play; the player waits for start() or refused(). Absent: plays at once (previews). */
  onPlayRequest?: () => void;
}

export interface AudioPlayer {
  element: HTMLElement;
  /** The server counted the play asked for: playback starts. A play the page did not ask for (a resend after a reload) only counts. */
  start(): void;
  /** The server refused the play asked for; `exhausted` when no play is left. */
  refused(exhausted: boolean, message?: string): void;
  /** The server's count, after a (re)join. */
  setPlayed(played: number): void;
  /** A play was asked for and has no answer yet. */
  readonly waiting: boolean;
  /** The answer to the play asked for was lost with the connection and the frame is no longer waiting: the server's count `played` says whether it was counted (playback starts) or not. */
  counted(played: number): void;
  setDisabled(disabled: boolean): void;
}

export function audioPlayer(options: AudioPlayerOptions): AudioPlayer {
  const max = options.maxPlays;
  let played = options.played;
  let waiting = false;
  let playing = false;
  let disabled = false;
  const audio = new Audio();
  audio.preload = 'auto';
  const button = h('button', { type: 'button', class: 'button button--secondary audio-play' }, `▶ ${t('audio.play')}`);
  const progress = h('progress', { class: 'audio-progress', max: 1, value: 0, 'aria-label': t('audio.progress') });
  const left = h('span', { class: 'audio-left', 'aria-live': 'polite' });
  const message = h('p', { class: 'audio-message', role: 'status', hidden: true });
  const element = h('div', { class: 'audio-player', role: 'group', 'aria-label': t('audio.label'), 'data-media': options.url }, button, progress, left, message);

  const remaining = () => (max === undefined ? Number.POSITIVE_INFINITY : Math.max(0, max - played));
  const say = (text: string | null) => {
    message.hidden = !text;
    message.textContent = text ?? '';
  };
  const draw = () => {
    const exhausted = remaining() === 0;
    left.textContent = max === undefined ? t('audio.unlimited') : t('audio.left', { count: remaining() });
    button.disabled = disabled || waiting || playing || exhausted;
    button.textContent = playing ? t('audio.playing') : waiting ? t('audio.waiting') : `▶ ${t('audio.play')}`;
    element.dataset.state = exhausted && !playing ? 'exhausted' : playing ? 'playing' : waiting ? 'waiting' : 'ready';
    if (exhausted && !playing && !waiting) say(t('audio.used', { max: max ?? 0 }));
  };

  const play = async () => {
    playing = true;
    say(null);
    draw();
    const src = await libraryObjectUrl(options.url);
    if (!src) {
      playing = false;
      say(t('audio.unavailable'));
      draw();
      return;
    }
    if (audio.src !== src) audio.src = src;
    audio.currentTime = 0;
    try {
      await audio.play();
    } catch {
      playing = false;
      say(t('audio.unavailable'));
      draw();
    }
  };

  audio.addEventListener('timeupdate', () => {
    if (Number.isFinite(audio.duration) && audio.duration > 0) progress.value = audio.currentTime / audio.duration;
  });
  audio.addEventListener('ended', () => {
    playing = false;
    progress.value = 1;
    draw();
  });
  button.addEventListener('click', () => {
    if (button.disabled) return;
    if (!options.onPlayRequest) {
      played++;
      void play();
      return;
    }
    waiting = true;
    say(null);
    draw();
    options.onPlayRequest();
  });

  draw();
  return {
    element,
    start() {
      played++;
      if (!waiting) return draw();
      waiting = false;
      void play();
    },
    refused(exhausted, text) {
      waiting = false;
      if (exhausted && max !== undefined) played = Math.max(played, max);
      draw();
      if (!exhausted && text) say(text);
    },
    get waiting() {
      return waiting;
    },
    counted(n) {
      // Only a count that grew holds the play asked for; otherwise it was refused and its answer lost.
      const grew = n > played;
      played = Math.max(n, played);
      if (!waiting) return draw();
      waiting = false;
      if (grew) void play();
      else draw();
    },
    setPlayed(n) {
      // Plays on their way (asked for, not yet counted) are not in the server's number yet.
      played = Math.max(n, waiting ? played : n);
      draw();
    },
    setDisabled(value) {
      disabled = value;
      if (value && playing) {
        audio.pause();
        playing = false;
      }
      draw();
    },
  };
}
