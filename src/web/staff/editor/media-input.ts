/**
 * Media in the item editor. Pictures: a rich text field takes a pasted
 * picture (clipboard), a dropped picture file, or one chosen with "Chèn ảnh";
 * the file goes to the media library (POST /api/media) and an `<img>` naming
 * its library address is inserted at the caret. Recordings: an audio file
 * uploaded ("Tải tệp âm thanh") or recorded from the microphone ("Ghi âm",
 * MediaRecorder), with the number of plays allowed and a preview.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { t } from '../../i18n.js';
import { libraryObjectUrl } from '../../items/media.js';
import type { StaffApi } from '../api.js';
import { button, errorMessage, field, input, say } from '../components.js';
import type { FieldErrors } from '../components.js';

/** What POST /api/media answers. */
export interface StoredMedia {
  id: string;
  url: string;
  type: string;
  kind: 'image' | 'audio';
  bytes: number;
}

const IMAGE_ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,image/svg+xml';
const AUDIO_ACCEPT = 'audio/mpeg,audio/ogg,audio/mp4,audio/x-m4a,.mp3,.ogg,.oga,.m4a';

/** A file size for people: KB under a megabyte, MB with one decimal (a comma) above. */
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`);

/** A refused upload as a sentence for the author. */
function uploadError(err: unknown, kind: 'image' | 'audio', file: Blob): string {
  if (err instanceof ApiError) {
    if (err.status === 413) {
      const limit = (err.details[0] as { limit?: number } | undefined)?.limit;
      return t('staff.media.tooBig', { size: size(file.size), limit: limit ? size(limit) : '?' });
    }
    if (err.status === 415) return t(kind === 'image' ? 'staff.media.notImage' : 'staff.media.notAudio');
  }
  return errorMessage(err);
}

/** Uploads a file of `kind`; throws the author's sentence when it is refused or is the other kind. */
async function uploadAs(api: StaffApi, file: Blob, kind: 'image' | 'audio', orgId: string | undefined): Promise<StoredMedia> {
  let stored: StoredMedia;
  try {
    stored = await api.upload<StoredMedia>('/api/media', orgId ? { orgId } : {}, file);
  } catch (err) {
    throw new Error(uploadError(err, kind, file));
  }
  if (stored.kind !== kind) throw new Error(t(kind === 'image' ? 'staff.media.notImage' : 'staff.media.notAudio'));
  return stored;
}

/** Puts `text` in place of the selection of `area` and tells its listeners (the draft follows the field's `input` event). */
function insertAtCaret(area: HTMLTextAreaElement, text: string): void {
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? start;
  area.setRangeText(text, start, end, 'end');
  area.dispatchEvent(new Event('input', { bubbles: true }));
}

const imageFiles = (list: FileList | null | undefined): File[] => [...(list ?? [])];

/**
 * Gives every rich text field (`textarea.rich-input`) under `root` that has
 * none yet its picture tools: paste, drop, and a "Chèn ảnh" button. Call
 * again after a part of the form is redrawn.
 */
export function addImageTools(root: HTMLElement, api: StaffApi, orgId: () => string | undefined): void {
  for (const area of root.querySelectorAll<HTMLTextAreaElement>('textarea.rich-input:not([data-media-tools])')) {
    area.dataset.mediaTools = 'on';
    const status = h('p', { class: 'media-status hint', role: 'status', 'aria-live': 'polite' });
    const picker = h('input', { type: 'file', accept: IMAGE_ACCEPT, hidden: true, class: 'media-picker' });
    const insert = button(t('staff.media.insertImage'), 'ghost', { class: 'button button--ghost button--small media-insert', 'aria-describedby': area.id || null });
    insert.addEventListener('click', () => picker.click());

    const put = async (files: File[]) => {
      if (files.length === 0) return;
      say(status, 'info', t('staff.media.uploading'));
      try {
        const tags: string[] = [];
        for (const file of files) {
          const stored = await uploadAs(api, file, 'image', orgId());
          tags.push(`<img src="${stored.url}" alt="">`);
        }
        insertAtCaret(area, tags.join(''));
        say(status, 'success', t('staff.media.inserted'));
      } catch (err) {
        say(status, 'error', err instanceof Error ? err.message : String(err));
      }
    };
    picker.addEventListener('change', () => {
      const files = imageFiles(picker.files);
      picker.value = '';
      void put(files);
    });
    area.addEventListener('paste', (event) => {
      const files = imageFiles(event.clipboardData?.files);
      if (files.length === 0) return; // text pastes as usual
      event.preventDefault();
      void put(files);
    });
    area.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
    area.addEventListener('drop', (event) => {
      const files = imageFiles(event.dataTransfer?.files);
      if (files.length === 0) return;
      event.preventDefault();
      // The picture goes where it was dropped when the browser says where; else at the caret.
      area.focus();
      void put(files);
    });
    const tools = h('div', { class: 'media-tools' }, insert, picker, h('span', { class: 'hint' }, t('staff.media.imageHint')), status);
    area.after(tools);
  }
}

export interface AudioValue {
  media: string;
  maxPlays?: number;
}

export interface AudioEditorOptions {
  api: StaffApi;
  errors: FieldErrors;
  orgId: () => string | undefined;
  value: AudioValue | undefined;
  /** The field changed (undefined: no recording). `maxPlays` may be the typed text when it is not a number, so the server names it. */
  onChange(value: AudioValue | undefined): void;
  /** Turns the text of the plays field into a number, or keeps the text (the server then names the field). */
  number(text: string): number | undefined;
}

/** The recording's panel: upload, record, plays allowed, preview, remove. */
export function audioEditor(options: AudioEditorOptions): HTMLElement {
  let value = options.value ? { ...options.value } : undefined;
  const status = h('div', { class: 'message-slot media-status' });
  const current = h('p', { class: 'audio-current' });
  const preview = h('audio', { controls: true, preload: 'metadata', class: 'audio-preview', 'aria-label': t('staff.audio.preview'), hidden: true });
  const picker = h('input', { type: 'file', accept: AUDIO_ACCEPT, hidden: true, id: 'ed-audio-file' });
  const uploadButton = button(t('staff.audio.upload'), 'secondary', { id: 'ed-audio-upload' });
  const recordButton = button(t('staff.audio.record'), 'secondary', { id: 'ed-audio-record' });
  const removeButton = button(t('staff.audio.remove'), 'ghost', { id: 'ed-audio-remove' });
  const plays = input({ id: 'ed-audio-maxPlays', inputmode: 'numeric', class: 'input--short' });
  plays.value = value?.maxPlays !== undefined ? String(value.maxPlays) : '';

  const draw = () => {
    current.textContent = value ? t('staff.audio.attached') : t('staff.audio.none');
    removeButton.hidden = !value;
    preview.hidden = !value;
    plays.disabled = !value;
    if (!value) {
      preview.removeAttribute('src');
      return;
    }
    const url = `/api/media/${value.media}`;
    preview.dataset.media = url;
    void libraryObjectUrl(url).then((src) => {
      if (src && preview.dataset.media === url) preview.src = src;
    });
  };
  const changed = () => {
    options.onChange(value ? { ...value } : undefined);
    draw();
  };
  const attach = async (file: Blob) => {
    say(status, 'info', t('staff.media.uploading'));
    try {
      const stored = await uploadAs(options.api, file, 'audio', options.orgId());
      const typed = plays.value.trim() === '' ? undefined : options.number(plays.value);
      value = { media: stored.id, ...(typed !== undefined ? { maxPlays: typed } : {}) };
      changed();
      say(status, 'success', t('staff.audio.attached'));
    } catch (err) {
      say(status, 'error', err instanceof Error ? err.message : String(err));
    }
  };

  uploadButton.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (file) void attach(file);
  });
  removeButton.addEventListener('click', () => {
    value = undefined;
    changed();
    say(status, null);
  });
  plays.addEventListener('input', () => {
    if (!value) return;
    const typed = plays.value.trim() === '' ? undefined : options.number(plays.value);
    value = { media: value.media, ...(typed !== undefined ? { maxPlays: typed } : {}) };
    options.onChange({ ...value });
  });

  // Recording: M4A where the browser writes it (Chromium), Ogg elsewhere (Firefox): both are kept by the library.
  let recorder: MediaRecorder | null = null;
  recordButton.addEventListener('click', () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    const type = typeof MediaRecorder === 'undefined' ? undefined : ['audio/mp4', 'audio/ogg;codecs=opus', 'audio/ogg'].find((x) => MediaRecorder.isTypeSupported(x));
    if (!type || !navigator.mediaDevices?.getUserMedia) {
      say(status, 'error', t('staff.audio.noRecorder'));
      return;
    }
    void navigator.mediaDevices
      .getUserMedia({ audio: true })
      .then((stream) => {
        const chunks: Blob[] = [];
        const rec = new MediaRecorder(stream, { mimeType: type });
        recorder = rec;
        rec.addEventListener('dataavailable', (e) => {
          if (e.data.size) chunks.push(e.data);
        });
        rec.addEventListener('stop', () => {
          for (const track of stream.getTracks()) track.stop();
          recorder = null;
          recordButton.textContent = t('staff.audio.record');
          recordButton.setAttribute('aria-pressed', 'false');
          void attach(new Blob(chunks, { type: type.split(';')[0] }));
        });
        rec.start();
        recordButton.textContent = t('staff.audio.stop');
        recordButton.setAttribute('aria-pressed', 'true');
        say(status, 'info', t('staff.audio.recording'));
      })
      .catch((err: unknown) => say(status, 'error', t('staff.audio.noMic', { message: err instanceof Error ? err.message : String(err) })));
  });

  draw();
  const mediaSlot = h('div', { class: 'field', id: 'ed-audio-media' }, current, preview, h('div', { class: 'actions' }, uploadButton, recordButton, removeButton), picker, status);
  options.errors.register('/audio/media', mediaSlot, uploadButton);
  options.errors.register('/audio', mediaSlot, uploadButton);
  return h(
    'section',
    { class: 'panel audio-panel', 'aria-labelledby': 'audio-title' },
    h('h2', { id: 'audio-title' }, t('staff.audio.title')),
    h('p', { class: 'hint' }, t('staff.audio.hint')),
    mediaSlot,
    field(t('staff.audio.maxPlays'), plays, { path: '/audio/maxPlays', errors: options.errors, hint: t('staff.audio.maxPlaysHint') }),
  );
}
