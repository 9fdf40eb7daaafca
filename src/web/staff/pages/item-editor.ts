/**
 * Writing and editing an item of any of the ten types, with a live preview
 * drawn by the same renderer the candidates' exam page uses (items/render.ts).
 * Saving a stored item writes a new revision based on the one loaded; the
 * server's validation errors are shown next to the fields they concern.
 */
import { ApiError } from '../../api.js';
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { renderItem, renderRichText } from '../../items/render.js';
import type { ItemType } from '../../items/types.js';
import type { ItemContent, ItemView, Sharing, Stimulus } from '../api.js';
import { busy, button, checkbox, debounce, errorMessage, field, fieldset, FieldErrors, fill, input, say, select, statusBadge, textarea, uid } from '../components.js';
import { addImageTools, audioEditor } from '../editor/media-input.js';
import { candidateItem, draftOf, keyResponse, newDraft, toBody } from '../editor/model.js';
import { numberText, pathId, typedNumber, typeEditor, type EditorEnv } from '../editor/type-editors.js';
import { staffPage, type StaffContext } from '../frame.js';
import { gradeOptions, ITEM_TYPES, levelOptions, SHARING_VALUES, sharingHint, sharingLabel, typeLabel, typeOptions } from '../labels.js';
import { orgsWith } from '../roles.js';

/** A message the next editor page shows once (after a new item is stored and its page opens). */
let flash: string | null = null;

export const itemEditorPage = staffPage('items', (ctx) => {
  const itemId = ctx.params.itemId;
  let disposed = false;
  const heading = ctx.heading(itemId ? t('staff.editor.editTitle') : t('staff.editor.newTitle'));
  const status = h('div', { class: 'message-slot' });
  ctx.root.replaceChildren(heading, status);

  if (!itemId) {
    const type = (ITEM_TYPES as readonly string[]).includes(ctx.query.get('type') ?? '') ? (ctx.query.get('type') as ItemType) : 'single_choice';
    const draft = newDraft(type);
    const stimulusId = ctx.query.get('stimulusId');
    if (stimulusId) draft.stimulusId = stimulusId;
    const subject = ctx.query.get('subject');
    if (subject) draft.subject = subject;
    const persist = mountEditor(ctx, draft, null, heading);
    return () => {
      disposed = true;
      persist();
    };
  }

  status.replaceChildren(h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  let persist: (() => void) | null = null;
  ctx.api
    .item(itemId)
    .then((view) => {
      if (disposed) return;
      status.replaceChildren();
      if (flash) {
        say(status, 'success', flash);
        flash = null;
      }
      if (!view.keyIncluded) {
        say(status, 'info', t('staff.editor.readOnly'));
      }
      persist = mountEditor(ctx, draftOf(view), view, heading);
    })
    .catch((err) => {
      if (!disposed) say(status, 'error', errorMessage(err));
    });
  return () => {
    disposed = true;
    persist?.();
  };
});

interface KeptDraft {
  /** The latest revision the draft was based on; null for a new item. */
  basedOn: number | null;
  draft: ItemContent;
}

/**
 * Mounts the editor. Returns what to call when the page goes away: unsaved
 * work is kept in sessionStorage for this address (a language switch, a
 * reload or a stray click must not lose it) and offered back on return.
 */
function mountEditor(ctx: StaffContext, loaded: ItemContent, stored: ItemView | null, heading: HTMLElement): () => void {
  const keepKey = `exam-engine:editor:${ctx.user.id}:${location.pathname}${location.search}`;
  const pristine = JSON.stringify(loaded);
  let draft = loaded;
  let restored = false;
  try {
    const kept = JSON.parse(sessionStorage.getItem(keepKey) ?? 'null') as KeptDraft | null;
    sessionStorage.removeItem(keepKey);
    if (kept?.draft && kept.basedOn === (stored?.latestRevision ?? null) && (!stored || kept.draft.type === stored.type)) {
      draft = kept.draft;
      restored = true;
    }
  } catch {
    // Nothing usable kept.
  }
  let base = stored;
  /** Set once the draft is stored and the page moves on. */
  let done = false;
  const summary = h('div', { class: 'error-summary', role: 'alert' });
  const errors = new FieldErrors(summary);
  const editable = !stored || stored.keyIncluded;

  // ------------------------------------------------------------ revision line
  const meta = h('div', { class: 'item-meta' });
  const drawMeta = () => {
    if (!base) {
      meta.replaceChildren();
      return;
    }
    meta.replaceChildren(
      statusBadge(base.status),
      h('span', null, t('staff.editor.revisionOf', { revision: base.revision, latest: base.latestRevision })),
      h('span', { class: 'muted' }, formatDateTime(base.createdAt)),
      ctx.link(`/staff/items/${encodeURIComponent(base.id)}/history`, t('staff.items.history')),
    );
    if (base.status === 'in_review' || base.status === 'approved') meta.append(h('span', { class: 'muted' }, t('staff.editor.newRevisionNote')));
    // A draft that came back from review says why, where its author works on it.
    const back = base.lastReview;
    if (base.status === 'draft' && back?.to === 'draft' && back.comment) {
      meta.append(h('p', { class: 'notice notice--warning sent-back', role: 'note' }, t('staff.editor.sentBack', { revision: back.revision, comment: back.comment })));
    }
  };
  drawMeta();
  heading.after(meta);

  // ------------------------------------------------------------ preview
  const previewBody = h('div', { class: 'preview-body' });
  const stimulusBox = h('div', { class: 'stimulus-preview', hidden: true });
  const showKey = checkbox(t('staff.editor.showKey'), false);
  const preview = h(
    'aside',
    { class: 'preview', 'aria-labelledby': 'preview-title' },
    h('div', { class: 'preview-head' }, h('h2', { id: 'preview-title' }, t('staff.editor.preview')), showKey.wrap),
    h('p', { class: 'hint' }, t('staff.editor.previewHint')),
    stimulusBox,
    previewBody,
  );
  const drawPreview = () => {
    const key = showKey.box.checked ? keyResponse(draft) : null;
    const rendered = renderItem(candidateItem(draft), { idPrefix: 'preview', initial: key, readOnly: showKey.box.checked });
    previewBody.replaceChildren(rendered.element);
  };
  const refresh = debounce(drawPreview, 120);
  showKey.box.addEventListener('change', drawPreview);

  // ------------------------------------------------------------ type part
  const typePart = h('div', { class: 'type-part' });
  /** The organisation a picture or recording is uploaded for: the item's owner. */
  const mediaOrg = () => draft.ownerOrgId ?? base?.ownerOrgId;
  const env: EditorEnv = {
    errors,
    changed: () => refresh(),
    rebuild(focusId) {
      fill(typePart, h('h2', null, t('staff.editor.answerPart', { type: typeLabel(draft.type) })), ...typeEditor(draft, env));
      if (editable) addImageTools(typePart, ctx.api, mediaOrg);
      drawPreview();
      if (focusId) document.getElementById(focusId)?.focus();
    },
  };

  // ------------------------------------------------------------ common fields
  const typeSelect = select(typeOptions(null), draft.type, { id: pathId('/type') });
  typeSelect.disabled = !!stored;
  typeSelect.addEventListener('change', () => {
    const next = newDraft(typeSelect.value as ItemType, draft);
    for (const key of Object.keys(draft)) delete (draft as unknown as Record<string, unknown>)[key];
    Object.assign(draft, next);
    errors.clear();
    env.rebuild();
  });

  const stem = textarea({ id: pathId('/stem'), rows: 4, class: 'rich-input' });
  stem.value = draft.stem ?? '';
  stem.addEventListener('input', () => {
    draft.stem = stem.value;
    refresh();
  });

  const text = (path: string, value: string | undefined, set: (v: string) => void, attrs: Record<string, string> = {}) => {
    const el = input({ id: pathId(path), ...attrs });
    el.value = value ?? '';
    el.addEventListener('input', () => {
      set(el.value);
      refresh();
    });
    return el;
  };
  const subject = text('/subject', draft.subject, (v) => (draft.subject = v.trim()));
  const grade = select(gradeOptions(null), String(draft.grade ?? 12), { id: pathId('/grade') });
  grade.addEventListener('change', () => (draft.grade = Number(grade.value)));
  const topic = text('/topic', draft.topic, (v) => (draft.topic = v.trim()), { spellcheck: 'false', autocapitalize: 'none' });
  const level = select(levelOptions(null), String(draft.cognitiveLevel ?? 1), { id: pathId('/cognitiveLevel') });
  level.addEventListener('change', () => (draft.cognitiveLevel = Number(level.value) as 1 | 2 | 3 | 4));
  const tags = text('/tags', (draft.tags ?? []).join(', '), (v) => (draft.tags = v.split(',').map((x) => x.trim()).filter(Boolean)));
  const language = select(
    [
      ['vi', t('staff.lang.vi')],
      ['en', t('staff.lang.en')],
    ],
    draft.language ?? 'vi',
    { id: pathId('/language') },
  );
  language.addEventListener('change', () => (draft.language = language.value as 'vi' | 'en'));
  const points = text('/points', numberText(draft.points), (v) => (draft.points = typedNumber(v)), { inputmode: 'decimal', placeholder: '1' });
  const difficulty = text('/difficulty', numberText(draft.difficulty), (v) => (draft.difficulty = typedNumber(v)), { inputmode: 'decimal' });

  const sharingRadios = SHARING_VALUES.map((value) => {
    const radio = h('input', { type: 'radio', name: 'sharing', value, id: pathId('/sharing', value) });
    radio.checked = (draft.sharing ?? 'org') === value;
    radio.addEventListener('change', () => (draft.sharing = value as Sharing));
    const hintId = uid('hint');
    radio.setAttribute('aria-describedby', hintId);
    return h('label', { class: 'choice-card', for: radio.id }, radio, h('span', null, h('strong', null, sharingLabel(value)), h('span', { class: 'hint', id: hintId }, sharingHint(value))));
  });
  const sharing = fieldset(t('staff.editor.sharing'), { path: '/sharing', errors, class: 'sharing-set' }, ...sharingRadios);

  // Stimulus: a shared passage shown above the item.
  const stimulusId = text('/stimulusId', draft.stimulusId, (v) => {
    draft.stimulusId = v.trim() || undefined;
    loadStimulus();
  }, { spellcheck: 'false', autocomplete: 'off' });
  const stimulusOrder = text('/stimulusOrder', numberText(draft.stimulusOrder), (v) => (draft.stimulusOrder = typedNumber(v)), { inputmode: 'numeric', class: 'input--short' });
  const stimulusNote = h('p', { class: 'hint', 'aria-live': 'polite' });
  let stimulusSeq = 0;
  const loadStimulus = debounce(() => {
    const id = draft.stimulusId;
    const seq = ++stimulusSeq;
    if (!id) {
      stimulusBox.hidden = true;
      stimulusNote.textContent = '';
      return;
    }
    ctx.api
      .stimulus(id)
      .then((s: Stimulus) => {
        if (seq !== stimulusSeq) return;
        stimulusBox.replaceChildren(h('p', { class: 'stimulus-title' }, s.title), h('div', { class: 'stimulus-content' }, renderRichText(s.content)));
        stimulusBox.hidden = false;
        stimulusNote.replaceChildren(t('staff.editor.stimulusFound', { title: s.title }), ' ', ctx.link(`/staff/stimuli/${encodeURIComponent(s.id)}`, t('staff.editor.stimulusOpen')));
      })
      .catch((err) => {
        if (seq !== stimulusSeq) return;
        stimulusBox.hidden = true;
        stimulusNote.textContent = err instanceof ApiError && err.status === 404 ? t('staff.editor.stimulusMissing') : errorMessage(err);
      });
  }, 300);

  // Feedback and hints: shown to candidates only as the exam's release rules allow.
  const feedbackArea = (key: 'general' | 'correct' | 'partial' | 'incorrect') => {
    const area = textarea({ id: pathId(`/feedback/${key}`), rows: 2, class: 'rich-input' });
    area.value = draft.feedback?.[key] ?? '';
    area.addEventListener('input', () => {
      draft.feedback = { ...draft.feedback, [key]: area.value };
    });
    return field(t(`staff.editor.feedback.${key}`), area, { path: `/feedback/${key}`, errors });
  };
  const hints = textarea({ id: pathId('/hints'), rows: 3 });
  hints.value = (draft.hints ?? []).join('\n');
  hints.addEventListener('input', () => (draft.hints = hints.value.split('\n')));
  // Staff notes: read by those who may read the key, never by candidates.
  const staffNotes = textarea({ id: pathId('/staffNotes'), rows: 3, class: 'rich-input' });
  staffNotes.value = draft.staffNotes ?? '';
  staffNotes.addEventListener('input', () => (draft.staffNotes = staffNotes.value));
  const provenance = draft.provenance;
  const provenanceRows: [string, string][] = provenance
    ? [
        [t('staff.editor.provenance.title'), provenance.title ?? ''],
        [t('staff.editor.provenance.externalId'), provenance.externalId ?? ''],
        [t('staff.editor.provenance.file'), provenance.source?.file ?? ''],
        [t('staff.editor.provenance.format'), provenance.source?.format ?? ''],
        [t('staff.editor.provenance.category'), (provenance.source?.categoryPath ?? []).join(' / ')],
      ].filter((r): r is [string, string] => r[1] !== '')
    : [];
  const provenancePanel = provenanceRows.length
    ? h(
        'section',
        { class: 'panel provenance', 'aria-labelledby': 'provenance-title' },
        h('h2', { id: 'provenance-title' }, t('staff.editor.provenance')),
        h('dl', { class: 'meta-list' }, ...provenanceRows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      )
    : null;

  const shuffle = checkbox(t('staff.editor.shuffleOptions'), draft.shuffleOptions !== false);
  shuffle.box.addEventListener('change', () => (draft.shuffleOptions = shuffle.box.checked));

  // Owner organisation: only asked of authors at several organisations, and only for a new item.
  const authorOrgs = orgsWith(ctx.user, 'author');
  let ownerField: HTMLElement | null = null;
  if (!stored && authorOrgs.length > 1) {
    const owner = select(authorOrgs.map((id): [string, string] => [id, id]), draft.ownerOrgId ?? authorOrgs[0]!, { id: pathId('/ownerOrgId') });
    draft.ownerOrgId = owner.value;
    owner.addEventListener('change', () => (draft.ownerOrgId = owner.value));
    ownerField = field(t('staff.editor.owner'), owner, { path: '/ownerOrgId', errors });
    for (const id of authorOrgs) {
      void ctx.api.org(id).then((org) => {
        const option = owner.querySelector<HTMLOptionElement>(`option[value="${CSS.escape(id)}"]`);
        if (option) option.textContent = `${org.name} (${org.code})`;
      }).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ actions
  const save = button(t('staff.editor.save'), 'secondary');
  const saveSubmit = button(t('staff.editor.saveSubmit'), 'primary');
  const actionStatus = h('div', { class: 'message-slot' });

  /** The body as last stored: saving it again would only add an identical revision. */
  let storedBody = base ? JSON.stringify(toBody(draftOf(base), { includeOwner: false })) : null;
  const unchanged = () => !!base && JSON.stringify(toBody(draft, { includeOwner: false })) === storedBody;

  async function store(): Promise<ItemView | null> {
    errors.clear();
    say(actionStatus, null);
    const body = toBody(draft, { includeOwner: !base });
    try {
      const saved = base ? await ctx.api.updateItem(base.id, body as unknown as ItemContent, base.latestRevision) : await ctx.api.createItem(body as unknown as ItemContent);
      storedBody = JSON.stringify(toBody(draftOf(saved), { includeOwner: false }));
      return saved;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const placed = errors.show(err.details, t('staff.editor.invalid', { count: err.details.length }));
        if (!placed && !err.details.length) say(actionStatus, 'error', errorMessage(err));
      } else if (err instanceof ApiError && err.code === 'revision_conflict') {
        const reload = button(t('staff.editor.reload'), 'secondary');
        reload.addEventListener('click', () => ctx.navigate(location.pathname));
        say(actionStatus, 'error', t('staff.editor.conflict'), ' ', reload);
      } else say(actionStatus, 'error', errorMessage(err));
      return null;
    }
  }

  function afterSave(saved: ItemView, message: string): void {
    if (!base) {
      done = true;
      flash = message;
      ctx.navigate(`/staff/items/${encodeURIComponent(saved.id)}`);
      return;
    }
    base = saved;
    drawMeta();
    say(actionStatus, 'success', message);
  }

  save.addEventListener('click', () =>
    void busy(save, t('staff.saving'), async () => {
      if (unchanged()) {
        say(actionStatus, 'info', t('staff.editor.noChanges'));
        return;
      }
      const saved = await store();
      if (saved) afterSave(saved, t('staff.editor.saved', { revision: saved.revision }));
    }),
  );
  saveSubmit.addEventListener('click', () =>
    void busy(saveSubmit, t('staff.saving'), async () => {
      // Nothing changed since the stored draft: send that revision as it is.
      const saved = base && base.status === 'draft' && base.revision === base.latestRevision && unchanged() ? base : await store();
      if (!saved) return;
      try {
        const sent = await ctx.api.setStatus(saved.id, 'in_review', saved.revision);
        afterSave({ ...saved, status: sent.status }, t('staff.editor.savedSubmitted', { revision: saved.revision }));
      } catch (err) {
        afterSave(saved, t('staff.editor.saved', { revision: saved.revision }));
        say(actionStatus, 'error', errorMessage(err));
      }
    }),
  );
  if (!editable) {
    save.disabled = true;
    saveSubmit.disabled = true;
  }

  const form = h(
    'form',
    { class: 'editor-form', novalidate: true, 'aria-labelledby': heading.id || undefined },
    summary,
    h('section', { class: 'panel' }, h('h2', null, t('staff.editor.question')), field(t('staff.item.type'), typeSelect, { path: '/type', errors }), field(t('staff.editor.stem'), stem, { path: '/stem', errors, hint: t('staff.editor.stemHint') })),
    audioEditor({
      api: ctx.api,
      errors,
      orgId: mediaOrg,
      value: draft.audio,
      number: (text) => typedNumber(text),
      onChange: (value) => {
        draft.audio = value;
      },
    }),
    h('section', { class: 'panel' }, typePart),
    h(
      'section',
      { class: 'panel feedback-panel' },
      h('h2', null, t('staff.editor.feedback')),
      h('p', { class: 'hint' }, t('staff.editor.feedbackHint')),
      feedbackArea('general'),
      h('div', { class: 'form-grid' }, feedbackArea('correct'), feedbackArea('partial'), feedbackArea('incorrect')),
      field(t('staff.editor.hints'), hints, { path: '/hints', errors, hint: t('staff.editor.hintsHint') }),
    ),
    h('section', { class: 'panel staff-notes-panel' }, field(t('staff.editor.staffNotes'), staffNotes, { path: '/staffNotes', errors, hint: t('staff.editor.staffNotesHint') })),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('staff.editor.classification')),
      h(
        'div',
        { class: 'form-grid' },
        field(t('staff.item.subject'), subject, { path: '/subject', errors, hint: t('staff.editor.subjectHint') }),
        field(t('staff.item.grade'), grade, { path: '/grade', errors }),
        field(t('staff.item.topic'), topic, { path: '/topic', errors, hint: t('staff.editor.topicHint') }),
        field(t('staff.item.level'), level, { path: '/cognitiveLevel', errors }),
        field(t('staff.editor.tags'), tags, { path: '/tags', errors, hint: t('staff.editor.tagsHint') }),
        field(t('staff.editor.language'), language, { path: '/language', errors }),
        field(t('staff.editor.points'), points, { path: '/points', errors }),
        field(t('staff.editor.difficulty'), difficulty, { path: '/difficulty', errors, hint: t('staff.editor.difficultyHint') }),
      ),
      h('div', { class: 'checks' }, shuffle.wrap),
      ownerField,
    ),
    h('section', { class: 'panel' }, sharing),
    provenancePanel,
    h(
      'section',
      { class: 'panel' },
      h('h2', null, t('staff.editor.stimulus')),
      h('div', { class: 'form-grid' }, field(t('staff.editor.stimulusId'), stimulusId, { path: '/stimulusId', errors }), field(t('staff.editor.stimulusOrder'), stimulusOrder, { path: '/stimulusOrder', errors })),
      stimulusNote,
      h('p', null, ctx.link(`/staff/stimuli/new${draft.subject ? `?subject=${encodeURIComponent(draft.subject)}` : ''}`, t('staff.stimulus.new'))),
    ),
    h('div', { class: 'actions sticky-actions' }, save, saveSubmit),
    actionStatus,
  );
  form.addEventListener('submit', (event) => event.preventDefault());

  ctx.root.append(h('div', { class: 'editor-layout' }, form, preview));
  env.rebuild();
  if (editable) addImageTools(form, ctx.api, mediaOrg);
  if (draft.stimulusId) loadStimulus();
  if (!stored) (document.getElementById(pathId('/stem')) as HTMLElement | null)?.focus();
  if (!editable) for (const el of form.querySelectorAll<HTMLInputElement>('input, select, textarea, button')) el.disabled = true;
  if (restored) say(actionStatus, 'info', t('staff.editor.restored'));

  return () => {
    const dirty = base ? !unchanged() : JSON.stringify(draft) !== pristine;
    if (done || !editable || !dirty) return;
    try {
      sessionStorage.setItem(keepKey, JSON.stringify({ basedOn: base?.latestRevision ?? null, draft } satisfies KeptDraft));
    } catch {
      // Storage full: the draft is lost with the page, as before.
    }
  };
}
