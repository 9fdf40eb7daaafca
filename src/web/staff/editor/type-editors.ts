/**
 * The type-specific part of the item editor, one builder per item type.
 * Each writes straight into the draft; `changed()` refreshes the preview,
 * `rebuild()` redraws this part after a row is added, removed or moved.
 * Every control carries the JSON pointer of its value so the server's
 * validation errors land next to it.
 */
import { h, type Child } from '../../dom.js';
import { hasMessage, t } from '../../i18n.js';
import { plainText } from '../../items/sanitize.js';
import type { ItemType } from '../../items/types.js';
import type { ClozeBlank, ItemContent, Labelled } from '../api.js';
import { button, checkbox, field, fieldset, input, parseNumber, select, textarea, type FieldErrors } from '../components.js';
import { nextId } from './model.js';

export interface EditorEnv {
  errors: FieldErrors;
  /** The draft changed: refresh the preview. */
  changed(): void;
  /** The structure changed: redraw the type part, then focus the element with this id. */
  rebuild(focusId?: string): void;
}

/** A stable element id from a JSON pointer. */
export function pathId(path: string, suffix = ''): string {
  return `ed${path.replace(/[^A-Za-z0-9_-]/g, '-')}${suffix ? `-${suffix}` : ''}`;
}

/** A number as typed: a number when it is one, the text otherwise (the server then names the field), undefined when empty. */
export function typedNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = parseNumber(text);
  return Number.isNaN(n) ? (text as unknown as number) : n;
}

export function numberText(value: unknown): string {
  return typeof value === 'number' ? String(value).replace('.', ',') : typeof value === 'string' ? value : '';
}

interface ListSpec<T extends Labelled> {
  legend: string;
  path: string;
  items: T[];
  idStyle: string;
  min: number;
  max: number;
  addLabel: string;
  rowLabel: (item: T, index: number) => string;
  extra?: (item: T, index: number) => Child[];
  onRemove?: (item: T) => void;
  onText?: (item: T) => void;
  reorder?: boolean;
  hint?: string;
}

/** An editable list of `{id, text}` rows: text, extra controls, move, remove, add. */
function listEditor<T extends Labelled>(spec: ListSpec<T>, env: EditorEnv, make: (id: string) => T): HTMLElement {
  const set = fieldset(spec.legend, { path: spec.path, errors: env.errors, hint: spec.hint, class: 'list-editor' });
  const list = h('ol', { class: 'edit-list' });
  spec.items.forEach((item, i) => {
    const path = `${spec.path}/${i}/text`;
    const text = textarea({ id: pathId(path), rows: 2, class: 'rich-input' });
    text.value = item.text;
    text.addEventListener('input', () => {
      item.text = text.value;
      spec.onText?.(item);
      env.changed();
    });
    const label = spec.rowLabel(item, i);
    const tools = h('div', { class: 'row-tools' });
    if (spec.reorder) {
      const up = h('button', { type: 'button', class: 'icon-button', 'aria-label': `${t('item.moveUp')}: ${label}`, disabled: i === 0 }, '↑');
      const down = h('button', { type: 'button', class: 'icon-button', 'aria-label': `${t('item.moveDown')}: ${label}`, disabled: i === spec.items.length - 1 }, '↓');
      up.addEventListener('click', () => {
        spec.items.splice(i - 1, 0, ...spec.items.splice(i, 1));
        env.rebuild(i - 1 === 0 ? pathId(`${spec.path}/${i - 1}`, 'down') : pathId(`${spec.path}/${i - 1}`, 'up'));
      });
      down.addEventListener('click', () => {
        spec.items.splice(i + 1, 0, ...spec.items.splice(i, 1));
        env.rebuild(i + 1 === spec.items.length - 1 ? pathId(`${spec.path}/${i + 1}`, 'up') : pathId(`${spec.path}/${i + 1}`, 'down'));
      });
      up.id = pathId(`${spec.path}/${i}`, 'up');
      down.id = pathId(`${spec.path}/${i}`, 'down');
      tools.append(up, down);
    }
    if (spec.items.length > spec.min) {
      const remove = h('button', { type: 'button', class: 'button button--ghost button--small', 'aria-label': `${t('staff.editor.remove')}: ${label}` }, t('staff.editor.remove'));
      remove.addEventListener('click', () => {
        spec.items.splice(i, 1);
        spec.onRemove?.(item);
        env.rebuild(pathId(spec.path, 'add'));
      });
      tools.append(remove);
    }
    const row = h('li', { class: 'edit-row', 'data-id': item.id }, field(label, text, { path, errors: env.errors, class: 'field--grow' }), ...(spec.extra?.(item, i) ?? []), tools);
    list.append(row);
  });
  const add = button(spec.addLabel, 'secondary', { id: pathId(spec.path, 'add'), class: 'button button--secondary button--small' });
  add.disabled = spec.items.length >= spec.max;
  add.addEventListener('click', () => {
    const id = nextId(spec.items.map((x) => x.id), spec.idStyle);
    spec.items.push(make(id));
    env.rebuild(pathId(`${spec.path}/${spec.items.length - 1}/text`));
  });
  set.append(list, add);
  return set;
}

/** A status line that holds the errors of a key field whose controls are spread over rows. */
function keySlot(path: string, env: EditorEnv, text: string, focusTarget: () => HTMLElement | null): HTMLElement {
  const line = h('p', { class: 'key-line', id: pathId(path, 'summary') }, text);
  const key = `staff.field.${path.slice(1)}`;
  const wrap = h('div', { class: 'key-slot', 'data-label': hasMessage(key) ? t(key) : path }, line);
  // The error is announced on the first control that sets this key.
  queueMicrotask(() => {
    const target = focusTarget() ?? line;
    if (!target.id) target.id = pathId(path, 'target');
    env.errors.register(path, wrap, target);
  });
  return wrap;
}

function choiceEditor(draft: ItemContent, env: EditorEnv, multiple: boolean): Child[] {
  draft.options ??= [];
  draft.correct ??= [];
  const correctName = pathId('/correct');
  const summary = () => {
    const letters = draft.options!.map((o, i) => (draft.correct!.includes(o.id) ? String.fromCharCode(65 + i) : null)).filter(Boolean);
    return letters.length ? t('staff.editor.correctIs', { value: letters.join(', ') }) : t('staff.editor.correctNone');
  };
  let keyLine: HTMLElement;
  const options = listEditor(
    {
      legend: t('staff.editor.options'),
      path: '/options',
      items: draft.options,
      idStyle: 'upper',
      min: 2,
      max: 10,
      addLabel: t('staff.editor.addOption'),
      rowLabel: (_o, i) => t('staff.editor.option', { key: String.fromCharCode(65 + i) }),
      hint: multiple ? t('staff.editor.optionsHintMulti') : t('staff.editor.optionsHint'),
      onRemove: (o) => (draft.correct = draft.correct!.filter((id) => id !== o.id)),
      extra: (o, i) => {
        const right = h('input', { type: multiple ? 'checkbox' : 'radio', name: correctName, id: pathId(`/correct/${i}`), value: o.id });
        right.checked = draft.correct!.includes(o.id);
        right.addEventListener('change', () => {
          if (multiple) draft.correct = draft.options!.filter((x) => (x.id === o.id ? right.checked : draft.correct!.includes(x.id))).map((x) => x.id);
          else draft.correct = [o.id];
          keyLine.firstElementChild!.textContent = summary();
          env.changed();
        });
        const fixed = checkbox(t('staff.editor.fixed'), !!o.fixed);
        fixed.box.addEventListener('change', () => {
          (o as { fixed?: boolean }).fixed = fixed.box.checked || undefined;
          env.changed();
        });
        const feedbackPath = `/options/${i}/feedback`;
        const feedback = input({ id: pathId(feedbackPath) });
        feedback.value = (o as { feedback?: string }).feedback ?? '';
        feedback.addEventListener('input', () => {
          (o as { feedback?: string }).feedback = feedback.value || undefined;
          env.changed();
        });
        return [
          h('div', { class: 'row-key' }, h('label', { class: 'check check--key', for: right.id }, right, h('span', null, t('staff.editor.isCorrect'))), fixed.wrap),
          field(t('staff.editor.optionFeedback'), feedback, { path: feedbackPath, errors: env.errors, class: 'field--grow' }),
        ];
      },
    },
    env,
    (id) => ({ id, text: '' }),
  );
  keyLine = keySlot('/correct', env, summary(), () => document.getElementById(pathId('/correct/0')));
  const out: Child[] = [options, keyLine];
  if (multiple) {
    const scoring = select(
      [
        ['all_or_nothing', t('staff.editor.scoring.all_or_nothing')],
        ['partial', t('staff.editor.scoring.partial')],
      ],
      draft.scoring ?? 'all_or_nothing',
    );
    scoring.addEventListener('change', () => {
      draft.scoring = scoring.value as 'all_or_nothing' | 'partial';
      env.changed();
    });
    out.push(field(t('staff.editor.scoring'), scoring, { path: '/scoring', errors: env.errors, hint: t('staff.editor.scoringHintMulti') }));
  }
  return out;
}

function trueFalsePair(name: string, value: boolean | undefined, onChange: (v: boolean) => void, idBase: string): HTMLElement[] {
  const yes = h('input', { type: 'radio', name, id: `${idBase}-true`, value: 'true' });
  const no = h('input', { type: 'radio', name, id: `${idBase}-false`, value: 'false' });
  yes.checked = value === true;
  no.checked = value === false;
  yes.addEventListener('change', () => onChange(true));
  no.addEventListener('change', () => onChange(false));
  return [h('label', { class: 'check', for: yes.id }, yes, h('span', null, t('item.true'))), h('label', { class: 'check', for: no.id }, no, h('span', null, t('item.false')))];
}

function trueFalseEditor(draft: ItemContent, env: EditorEnv): Child[] {
  const pair = trueFalsePair(pathId('/value'), typeof draft.value === 'boolean' ? draft.value : undefined, (v) => {
    draft.value = v;
    env.changed();
  }, pathId('/value'));
  return [fieldset(t('staff.editor.tfKey'), { path: '/value', errors: env.errors, class: 'inline-set' }, ...pair)];
}

function clusterEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.statements ??= [];
  draft.values ??= {};
  const statements = listEditor(
    {
      legend: t('staff.editor.statements'),
      path: '/statements',
      items: draft.statements,
      idStyle: 'lower',
      min: 2,
      max: 8,
      addLabel: t('staff.editor.addStatement'),
      rowLabel: (_s, i) => t('staff.editor.statement', { key: String.fromCharCode(97 + i) }),
      hint: t('staff.editor.statementsHint'),
      onRemove: (s) => delete draft.values![s.id],
      extra: (s) => {
        const pair = trueFalsePair(pathId(`/values/${s.id}`), draft.values![s.id], (v) => {
          draft.values![s.id] = v;
          env.changed();
        }, pathId(`/values/${s.id}`));
        const set = fieldset(t('staff.editor.statementKey'), { path: `/values/${s.id}`, errors: env.errors, class: 'inline-set inline-set--compact' }, ...pair);
        return [set];
      },
    },
    env,
    (id) => ({ id, text: '' }),
  );
  const valuesSlot = keySlot('/values', env, t('staff.editor.valuesHint'), () => document.getElementById(`${pathId(`/values/${draft.statements![0]?.id ?? 'a'}`)}-true`));
  const ladder = input({ id: pathId('/ladder'), inputmode: 'decimal', placeholder: '0; 0,1; 0,25; 0,5; 1' });
  ladder.value = (draft.ladder ?? []).map((x) => numberText(x)).join('; ');
  ladder.addEventListener('input', () => {
    const parts = ladder.value.split(';').map((x) => x.trim()).filter(Boolean);
    draft.ladder = parts.length ? parts.map((p) => typedNumber(p) as number) : undefined;
    env.changed();
  });
  return [statements, valuesSlot, field(t('staff.editor.ladder'), ladder, { path: '/ladder', errors: env.errors, hint: t('staff.editor.ladderHint') })];
}

function numericEditor(draft: ItemContent, env: EditorEnv): Child[] {
  const value = input({ id: pathId('/value'), inputmode: 'decimal', autocomplete: 'off' });
  value.value = numberText(draft.value);
  value.addEventListener('input', () => {
    draft.value = typedNumber(value.value);
    env.changed();
  });
  const tolerance = input({ id: pathId('/tolerance'), inputmode: 'decimal', autocomplete: 'off' });
  tolerance.value = numberText(draft.tolerance);
  tolerance.addEventListener('input', () => {
    draft.tolerance = typedNumber(tolerance.value);
    env.changed();
  });
  return [
    h(
      'div',
      { class: 'form-grid' },
      field(t('staff.editor.numericValue'), value, { path: '/value', errors: env.errors, hint: t('staff.editor.numericHint') }),
      field(t('staff.editor.tolerance'), tolerance, { path: '/tolerance', errors: env.errors, hint: t('staff.editor.toleranceHint') }),
    ),
  ];
}

function linesEditor(label: string, path: string, values: string[], env: EditorEnv, hint: string, onChange: (v: string[]) => void): HTMLElement {
  const area = textarea({ id: pathId(path), rows: 3 });
  area.value = values.join('\n');
  area.addEventListener('input', () => {
    onChange(area.value.split('\n'));
    env.changed();
  });
  return field(label, area, { path, errors: env.errors, hint });
}

function shortTextEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.accepted ??= [];
  const cs = checkbox(t('staff.editor.caseSensitive'), !!draft.caseSensitive);
  cs.box.addEventListener('change', () => (draft.caseSensitive = cs.box.checked));
  const dia = checkbox(t('staff.editor.ignoreDiacritics'), !!draft.ignoreDiacritics);
  dia.box.addEventListener('change', () => (draft.ignoreDiacritics = dia.box.checked));
  return [
    linesEditor(t('staff.editor.accepted'), '/accepted', draft.accepted, env, t('staff.editor.acceptedHint'), (v) => (draft.accepted = v)),
    h('div', { class: 'checks' }, cs.wrap, dia.wrap),
  ];
}

function matchingEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.premises ??= [];
  draft.choices ??= [];
  draft.pairs ??= {};
  const pairSelects: HTMLSelectElement[] = [];
  const choiceOptions = (): [string, string][] => [['', t('item.choose')], ...draft.choices!.map((c, i): [string, string] => [c.id, `${i + 1}. ${plainText(c.text) || '…'}`])];
  const refreshSelects = () => {
    for (const sel of pairSelects) {
      const value = sel.value;
      sel.replaceChildren(...choiceOptions().map(([v, label]) => h('option', { value: v }, label)));
      sel.value = value;
    }
  };
  const premises = listEditor(
    {
      legend: t('staff.editor.premises'),
      path: '/premises',
      items: draft.premises,
      idStyle: 'p',
      min: 1,
      max: 20,
      addLabel: t('staff.editor.addPremise'),
      rowLabel: (_p, i) => t('staff.editor.premise', { key: String.fromCharCode(97 + i) }),
      onRemove: (p) => delete draft.pairs![p.id],
      extra: (p) => {
        const sel = select(choiceOptions(), draft.pairs![p.id] ?? '', { id: pathId(`/pairs/${p.id}`) });
        sel.addEventListener('change', () => {
          draft.pairs![p.id] = sel.value;
          env.changed();
        });
        pairSelects.push(sel);
        return [field(t('staff.editor.pairsWith'), sel, { path: `/pairs/${p.id}`, errors: env.errors })];
      },
    },
    env,
    (id) => ({ id, text: '' }),
  );
  const pairsSlot = keySlot('/pairs', env, t('staff.editor.pairsHint'), () => pairSelects[0] ?? null);
  const choices = listEditor(
    {
      legend: t('staff.editor.choices'),
      path: '/choices',
      items: draft.choices,
      idStyle: 'c',
      min: 1,
      max: 20,
      addLabel: t('staff.editor.addChoice'),
      rowLabel: (_c, i) => t('staff.editor.choice', { key: i + 1 }),
      onText: refreshSelects,
      onRemove: (c) => {
        for (const [p, chosen] of Object.entries(draft.pairs!)) if (chosen === c.id) delete draft.pairs![p];
      },
    },
    env,
    (id) => ({ id, text: '' }),
  );
  return [premises, pairsSlot, choices];
}

function orderingEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.elements ??= [];
  const elements = listEditor(
    {
      legend: t('staff.editor.elements'),
      path: '/elements',
      items: draft.elements,
      idStyle: 'e',
      min: 2,
      max: 20,
      addLabel: t('staff.editor.addElement'),
      rowLabel: (_e, i) => t('staff.editor.element', { n: i + 1 }),
      hint: t('staff.editor.elementsHint'),
      reorder: true,
    },
    env,
    (id) => ({ id, text: '' }),
  );
  const orderSlot = keySlot('/order', env, t('staff.editor.orderHint'), () => document.getElementById(pathId('/elements/0/text')));
  const scoring = select(
    [
      ['all_or_nothing', t('staff.editor.scoring.all_or_nothing')],
      ['partial', t('staff.editor.scoring.partialOrder')],
    ],
    draft.scoring ?? 'all_or_nothing',
  );
  scoring.addEventListener('change', () => {
    draft.scoring = scoring.value as 'all_or_nothing' | 'partial';
    env.changed();
  });
  return [elements, orderSlot, field(t('staff.editor.scoring'), scoring, { path: '/scoring', errors: env.errors })];
}

function clozeEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.blanks ??= [];
  const text = textarea({ id: pathId('/text'), rows: 5, class: 'rich-input' });
  text.value = draft.text ?? '';
  text.addEventListener('input', () => {
    draft.text = text.value;
    env.changed();
  });
  const insert = button(t('staff.editor.insertBlank'), 'secondary', { class: 'button button--secondary button--small', id: pathId('/text', 'insert') });
  insert.addEventListener('click', () => {
    const id = nextId(draft.blanks!.map((b) => b.id), 'b');
    const marker = `{{${id}}}`;
    const at = text.selectionStart ?? text.value.length;
    draft.text = text.value.slice(0, at) + marker + text.value.slice(text.selectionEnd ?? at);
    draft.blanks!.push({ id, accepted: [] });
    env.rebuild(pathId(`/blanks/${draft.blanks!.length - 1}/accepted`));
  });
  const blanks = fieldset(t('staff.editor.blanks'), { path: '/blanks', errors: env.errors, hint: t('staff.editor.blanksHint'), class: 'list-editor' });
  const list = h('ol', { class: 'edit-list' });
  draft.blanks.forEach((blank: ClozeBlank, i) => {
    const base = `/blanks/${i}`;
    const kind = select(
      [
        ['text', t('staff.editor.blankText')],
        ['number', t('staff.editor.blankNumber')],
        ['choice', t('staff.editor.blankChoice')],
      ],
      blank.accepted !== undefined ? 'text' : blank.options !== undefined ? 'choice' : 'number',
      { id: pathId(base, 'kind') },
    );
    kind.addEventListener('change', () => {
      const next: ClozeBlank =
        kind.value === 'text'
          ? { id: blank.id, accepted: [] }
          : kind.value === 'choice'
            ? { id: blank.id, options: [{ id: 'A', text: '' }, { id: 'B', text: '' }], correct: [] }
            : { id: blank.id, tolerance: 0 };
      draft.blanks![i] = next;
      env.rebuild(kind.id);
    });
    const controls: Child[] = [field(t('staff.editor.blankKind'), kind)];
    if (blank.accepted !== undefined) {
      controls.push(
        linesEditor(t('staff.editor.accepted'), `${base}/accepted`, blank.accepted, env, t('staff.editor.acceptedHint'), (v) => (blank.accepted = v)),
      );
      const cs = checkbox(t('staff.editor.caseSensitive'), !!blank.caseSensitive);
      cs.box.addEventListener('change', () => (blank.caseSensitive = cs.box.checked || undefined));
      const dia = checkbox(t('staff.editor.ignoreDiacritics'), !!blank.ignoreDiacritics);
      dia.box.addEventListener('change', () => (blank.ignoreDiacritics = dia.box.checked || undefined));
      controls.push(h('div', { class: 'checks' }, cs.wrap, dia.wrap));
    } else if (blank.options !== undefined) {
      controls.push(...choiceBlankControls(blank as ClozeBlank & { options: Labelled[] }, base, env));
    } else {
      const value = input({ id: pathId(`${base}/value`), inputmode: 'decimal' });
      value.value = numberText(blank.value);
      value.addEventListener('input', () => {
        blank.value = typedNumber(value.value);
        env.changed();
      });
      const tol = input({ id: pathId(`${base}/tolerance`), inputmode: 'decimal' });
      tol.value = numberText(blank.tolerance);
      tol.addEventListener('input', () => (blank.tolerance = typedNumber(tol.value)));
      controls.push(
        h('div', { class: 'form-grid' }, field(t('staff.editor.numericValue'), value, { path: `${base}/value`, errors: env.errors }), field(t('staff.editor.tolerance'), tol, { path: `${base}/tolerance`, errors: env.errors })),
      );
    }
    const remove = h('button', { type: 'button', class: 'button button--ghost button--small', 'aria-label': `${t('staff.editor.remove')}: ${t('staff.editor.blank', { id: blank.id })}` }, t('staff.editor.remove'));
    remove.addEventListener('click', () => {
      draft.blanks!.splice(i, 1);
      draft.text = (draft.text ?? '').split(`{{${blank.id}}}`).join('');
      env.rebuild(insert.id);
    });
    const row = h('li', { class: 'edit-row edit-row--block', id: pathId(base) }, h('h4', { class: 'row-title' }, t('staff.editor.blank', { id: blank.id }), ' ', h('code', null, `{{${blank.id}}}`)), ...controls, h('div', { class: 'row-tools' }, remove));
    env.errors.register(base, row, kind);
    list.append(row);
  });
  blanks.append(list);
  return [field(t('staff.editor.clozeText'), text, { path: '/text', errors: env.errors, hint: t('staff.editor.clozeHint') }), h('div', { class: 'actions actions--tight' }, insert), blanks];
}

/** A dropdown blank's options, which are right, and its pick-several and shuffle switches. */
function choiceBlankControls(blank: ClozeBlank & { options: Labelled[] }, base: string, env: EditorEnv): Child[] {
  blank.correct ??= [];
  const summary = () => {
    const letters = blank.options.map((o, i) => (blank.correct!.includes(o.id) ? String.fromCharCode(65 + i) : null)).filter(Boolean);
    return letters.length ? t('staff.editor.correctIs', { value: letters.join(', ') }) : t('staff.editor.correctNone');
  };
  let keyLine: HTMLElement;
  const options = listEditor(
    {
      legend: t('staff.editor.blankOptions'),
      path: `${base}/options`,
      items: blank.options,
      idStyle: 'upper',
      min: 2,
      max: 20,
      addLabel: t('staff.editor.addOption'),
      rowLabel: (_o, i) => t('staff.editor.option', { key: String.fromCharCode(65 + i) }),
      hint: t('staff.editor.blankOptionsHint'),
      onRemove: (o) => (blank.correct = blank.correct!.filter((id) => id !== o.id)),
      extra: (o, i) => {
        const right = h('input', { type: 'checkbox', id: pathId(`${base}/correct/${i}`), value: o.id });
        right.checked = blank.correct!.includes(o.id);
        right.addEventListener('change', () => {
          blank.correct = blank.options.filter((x) => (x.id === o.id ? right.checked : blank.correct!.includes(x.id))).map((x) => x.id);
          keyLine.firstElementChild!.textContent = summary();
          env.changed();
        });
        return [h('div', { class: 'row-key' }, h('label', { class: 'check check--key', for: right.id }, right, h('span', null, t('staff.editor.isCorrect'))))];
      },
    },
    env,
    (id) => ({ id, text: '' }),
  );
  const multiple = checkbox(t('staff.editor.blankMultiple'), !!blank.multiple);
  multiple.box.id = pathId(`${base}/multiple`);
  multiple.box.addEventListener('change', () => {
    blank.multiple = multiple.box.checked || undefined;
    env.changed();
  });
  const shuffle = checkbox(t('staff.editor.blankShuffle'), !!blank.shuffle);
  shuffle.box.id = pathId(`${base}/shuffle`);
  shuffle.box.addEventListener('change', () => {
    blank.shuffle = shuffle.box.checked || undefined;
    env.changed();
  });
  keyLine = keySlot(`${base}/correct`, env, summary(), () => document.getElementById(pathId(`${base}/correct/0`)));
  return [options, keyLine, h('div', { class: 'checks' }, multiple.wrap, shuffle.wrap)];
}

function essayEditor(draft: ItemContent, env: EditorEnv): Child[] {
  draft.rubric ??= [];
  const set = fieldset(t('staff.editor.rubric'), { path: '/rubric', errors: env.errors, hint: t('staff.editor.rubricHint'), class: 'list-editor' });
  const list = h('ol', { class: 'edit-list' });
  draft.rubric.forEach((row, i) => {
    const criterion = input({ id: pathId(`/rubric/${i}/criterion`) });
    criterion.value = row.criterion;
    criterion.addEventListener('input', () => {
      row.criterion = criterion.value;
      env.changed();
    });
    const points = input({ id: pathId(`/rubric/${i}/maxPoints`), inputmode: 'decimal', class: 'input--short' });
    points.value = numberText(row.maxPoints);
    points.addEventListener('input', () => (row.maxPoints = typedNumber(points.value) as number));
    const tools = h('div', { class: 'row-tools' });
    if (draft.rubric!.length > 1) {
      const remove = h('button', { type: 'button', class: 'button button--ghost button--small', 'aria-label': `${t('staff.editor.remove')}: ${t('staff.editor.criterion', { n: i + 1 })}` }, t('staff.editor.remove'));
      remove.addEventListener('click', () => {
        draft.rubric!.splice(i, 1);
        env.rebuild(pathId('/rubric', 'add'));
      });
      tools.append(remove);
    }
    list.append(
      h(
        'li',
        { class: 'edit-row' },
        field(t('staff.editor.criterion', { n: i + 1 }), criterion, { path: `/rubric/${i}/criterion`, errors: env.errors, class: 'field--grow' }),
        field(t('staff.editor.maxPoints'), points, { path: `/rubric/${i}/maxPoints`, errors: env.errors }),
        tools,
      ),
    );
  });
  const add = button(t('staff.editor.addCriterion'), 'secondary', { id: pathId('/rubric', 'add'), class: 'button button--secondary button--small' });
  add.addEventListener('click', () => {
    draft.rubric!.push({ criterion: '', maxPoints: 1 });
    env.rebuild(pathId(`/rubric/${draft.rubric!.length - 1}/criterion`));
  });
  set.append(list, add);
  const maxWords = input({ id: pathId('/maxWords'), inputmode: 'numeric', class: 'input--short' });
  maxWords.value = draft.maxWords !== undefined ? String(draft.maxWords) : '';
  maxWords.addEventListener('input', () => {
    draft.maxWords = typedNumber(maxWords.value);
    env.changed();
  });
  return [set, field(t('staff.editor.maxWords'), maxWords, { path: '/maxWords', errors: env.errors, hint: t('staff.editor.maxWordsHint') })];
}

const BUILDERS: Record<ItemType, (draft: ItemContent, env: EditorEnv) => Child[]> = {
  single_choice: (d, e) => choiceEditor(d, e, false),
  multiple_choice: (d, e) => choiceEditor(d, e, true),
  true_false: trueFalseEditor,
  true_false_cluster: clusterEditor,
  numeric: numericEditor,
  short_text: shortTextEditor,
  matching: matchingEditor,
  ordering: orderingEditor,
  cloze: clozeEditor,
  essay: essayEditor,
};

/** The controls of the draft's type (answer and key). */
export function typeEditor(draft: ItemContent, env: EditorEnv): Child[] {
  return BUILDERS[draft.type](draft, env);
}
