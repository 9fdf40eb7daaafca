/**
 * The item editor's model: a draft of any type (ItemContent), the fresh
 * content of each type, the request body for POST/PUT /api/items (only the
 * fields of the draft's own type: the schemas refuse the others), the
 * candidate-facing item for the live preview, and the key as a response.
 */
import type { CandidateItem, ItemResponse, ItemType } from '../../items/types.js';
import { SERVER_FIELDS, type ItemContent, type ItemView } from '../api.js';

export const DEFAULT_LADDER = [0, 0.1, 0.25, 0.5, 1];

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The next id of a list: letters (`A`, `a`) or a prefix and a number (`p3`). */
export function nextId(existing: readonly string[], style: 'upper' | 'lower' | string): string {
  if (style === 'upper' || style === 'lower') {
    const letters = style === 'upper' ? LETTERS : LETTERS.toLowerCase();
    for (const c of letters) if (!existing.includes(c)) return c;
  }
  const prefix = style === 'upper' ? 'X' : style === 'lower' ? 'x' : style;
  for (let n = 1; ; n++) if (!existing.includes(`${prefix}${n}`)) return `${prefix}${n}`;
}

const labelled = (style: string, n: number) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(nextId(ids, style));
  return ids.map((id) => ({ id, text: '' }));
};

/** Common fields kept when the type of a new item changes. */
const COMMON = ['type', 'stem', 'subject', 'grade', 'topic', 'cognitiveLevel', 'tags', 'language', 'points', 'difficulty', 'sharing', 'stimulusId', 'stimulusOrder', 'shuffleOptions', 'ownerOrgId'] as const;

/** The fields that belong to each type (docs/item-types.md). */
export const TYPE_FIELDS: Record<ItemType, readonly (keyof ItemContent)[]> = {
  single_choice: ['options', 'correct'],
  multiple_choice: ['options', 'correct', 'scoring'],
  true_false: ['value'],
  true_false_cluster: ['statements', 'values', 'ladder'],
  numeric: ['value', 'tolerance'],
  short_text: ['accepted', 'caseSensitive', 'ignoreDiacritics'],
  matching: ['premises', 'choices', 'pairs'],
  ordering: ['elements', 'order', 'scoring'],
  cloze: ['text', 'blanks'],
  essay: ['rubric', 'maxWords'],
};

/** Type-specific content of a new item of `type`. */
export function freshContent(type: ItemType): Partial<ItemContent> {
  switch (type) {
    case 'single_choice':
      return { options: labelled('upper', 4), correct: [] };
    case 'multiple_choice':
      return { options: labelled('upper', 4), correct: [], scoring: 'all_or_nothing' };
    case 'true_false':
      return {};
    case 'true_false_cluster':
      return { statements: labelled('lower', 4), values: {} };
    case 'numeric':
      return { tolerance: 0 };
    case 'short_text':
      return { accepted: [], caseSensitive: false, ignoreDiacritics: false };
    case 'matching':
      return { premises: labelled('p', 3), choices: labelled('c', 4), pairs: {} };
    case 'ordering':
      return { elements: labelled('e', 4), scoring: 'all_or_nothing' };
    case 'cloze':
      return { text: '', blanks: [] };
    case 'essay':
      return { rubric: [{ criterion: '', maxPoints: 1 }] };
  }
}

/** A new draft of `type`, keeping the common fields of `from` (when the author switches type). */
export function newDraft(type: ItemType, from?: Partial<ItemContent>): ItemContent {
  const base: Partial<ItemContent> = { stem: '', subject: '', grade: 12, topic: '', cognitiveLevel: 1, language: 'vi', sharing: 'org', shuffleOptions: true };
  if (from) for (const key of COMMON) if (from[key] !== undefined) (base as Record<string, unknown>)[key] = from[key];
  return { ...base, ...freshContent(type), type } as ItemContent;
}

/** The content of a stored revision, as a draft (server bookkeeping removed, a copy). */
export function draftOf(view: ItemView): ItemContent {
  const copy = JSON.parse(JSON.stringify(view)) as Record<string, unknown>;
  for (const f of SERVER_FIELDS) delete copy[f];
  const draft = copy as unknown as ItemContent;
  if (draft.type === 'ordering' && draft.elements && draft.order) {
    // The editor lists elements in their right order; `order` is derived from it on save.
    const rank = new Map(draft.order.map((id, i) => [id, i]));
    draft.elements = [...draft.elements].sort((a, b) => (rank.get(a.id) ?? 99) - (rank.get(b.id) ?? 99));
  }
  return draft;
}

function defined<T>(value: T | undefined | null | ''): value is T {
  return value !== undefined && value !== null && value !== '';
}

/**
 * The request body: common fields, then the fields of the draft's type only.
 * Numbers typed wrongly stay as the typed text so that the server's
 * validation names the field.
 */
export function toBody(draft: ItemContent, options: { includeOwner: boolean }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: draft.type,
    stem: draft.stem,
    grade: draft.grade,
    cognitiveLevel: draft.cognitiveLevel,
  };
  // A blank subject or topic is left out, so the server says it is required (not that its format is wrong).
  if (draft.subject?.trim()) body.subject = draft.subject;
  if (draft.topic?.trim()) body.topic = draft.topic;
  if (draft.tags?.length) body.tags = draft.tags;
  if (draft.language) body.language = draft.language;
  if (defined(draft.points)) body.points = draft.points;
  if (defined(draft.difficulty)) body.difficulty = draft.difficulty;
  if (draft.sharing) body.sharing = draft.sharing;
  if (defined(draft.stimulusId)) {
    body.stimulusId = draft.stimulusId;
    if (defined(draft.stimulusOrder)) body.stimulusOrder = draft.stimulusOrder;
  }
  if (draft.shuffleOptions !== undefined) body.shuffleOptions = draft.shuffleOptions;
  if (options.includeOwner && defined(draft.ownerOrgId)) body.ownerOrgId = draft.ownerOrgId;
  // Feedback fields left blank are left out (the server refuses an empty text).
  const feedback = Object.fromEntries(Object.entries(draft.feedback ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== ''));
  if (Object.keys(feedback).length) body.feedback = feedback;
  const hints = (draft.hints ?? []).filter((x) => x.trim() !== '');
  if (hints.length) body.hints = hints;
  if (draft.staffNotes?.trim()) body.staffNotes = draft.staffNotes;
  // Where an imported item came from is kept through every edit.
  if (draft.provenance) body.provenance = draft.provenance;
  // The recording, with its limit of plays when one is set.
  if (draft.audio?.media) body.audio = { media: draft.audio.media, ...(defined(draft.audio.maxPlays) ? { maxPlays: draft.audio.maxPlays } : {}) };

  switch (draft.type) {
    case 'single_choice':
    case 'multiple_choice':
      body.options = (draft.options ?? []).map((o) => ({ id: o.id, text: o.text, ...(o.fixed ? { fixed: true } : {}), ...(o.feedback?.trim() ? { feedback: o.feedback } : {}) }));
      body.correct = draft.correct ?? [];
      if (draft.type === 'multiple_choice' && draft.scoring) body.scoring = draft.scoring;
      break;
    case 'true_false':
      if (draft.value !== undefined) body.value = draft.value;
      break;
    case 'true_false_cluster':
      body.statements = draft.statements ?? [];
      body.values = draft.values ?? {};
      if (draft.ladder?.length) body.ladder = draft.ladder;
      break;
    case 'numeric':
      if (defined(draft.value)) body.value = draft.value;
      if (defined(draft.tolerance)) body.tolerance = draft.tolerance;
      break;
    case 'short_text':
      body.accepted = (draft.accepted ?? []).filter((a) => a.trim() !== '');
      body.caseSensitive = !!draft.caseSensitive;
      body.ignoreDiacritics = !!draft.ignoreDiacritics;
      break;
    case 'matching':
      body.premises = draft.premises ?? [];
      body.choices = draft.choices ?? [];
      body.pairs = Object.fromEntries(Object.entries(draft.pairs ?? {}).filter(([, c]) => c));
      break;
    case 'ordering':
      body.elements = draft.elements ?? [];
      body.order = (draft.elements ?? []).map((e) => e.id);
      if (draft.scoring) body.scoring = draft.scoring;
      break;
    case 'cloze':
      body.text = draft.text ?? '';
      body.blanks = (draft.blanks ?? []).map((b) =>
        b.accepted !== undefined
          ? { id: b.id, accepted: b.accepted.filter((a) => a.trim() !== ''), ...(b.caseSensitive ? { caseSensitive: true } : {}), ...(b.ignoreDiacritics ? { ignoreDiacritics: true } : {}) }
          : b.options !== undefined
            ? { id: b.id, options: b.options, correct: b.correct ?? [], ...(b.multiple ? { multiple: true } : {}), ...(b.shuffle ? { shuffle: true } : {}) }
            : { id: b.id, ...(defined(b.value) ? { value: b.value } : {}), ...(defined(b.tolerance) ? { tolerance: b.tolerance } : {}) },
      );
      break;
    case 'essay':
      body.rubric = draft.rubric ?? [];
      if (defined(draft.maxWords)) body.maxWords = draft.maxWords;
      break;
  }
  return body;
}

/** A small stable hash, for a preview order that does not give the answer away. */
function hash(s: string): number {
  let x = 2166136261;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619);
  return x >>> 0;
}

/** Ordering elements as a candidate might get them: never in the right order when there are two or more. */
export function previewOrder<T extends { id: string }>(elements: readonly T[]): T[] {
  const mixed = [...elements].sort((a, b) => hash(a.id) - hash(b.id));
  if (mixed.length > 1 && mixed.every((e, i) => e.id === elements[i]!.id)) mixed.push(mixed.shift()!);
  return mixed;
}

/** The item as a candidate receives it (no key, no scoring data), for renderItem. */
export function candidateItem(draft: ItemContent, id = 'preview'): CandidateItem {
  const item: CandidateItem = { id, type: draft.type, stem: draft.stem ?? '' };
  switch (draft.type) {
    case 'single_choice':
    case 'multiple_choice':
      item.options = (draft.options ?? []).map(({ id: oid, text }) => ({ id: oid, text }));
      break;
    case 'true_false_cluster':
      item.statements = draft.statements ?? [];
      break;
    case 'matching':
      item.premises = draft.premises ?? [];
      item.choices = draft.choices ?? [];
      break;
    case 'ordering':
      item.elements = previewOrder(draft.elements ?? []);
      break;
    case 'cloze':
      item.text = draft.text ?? '';
      item.blanks = (draft.blanks ?? []).map((b) => (b.options ? { id: b.id, options: b.options, ...(b.multiple ? { multiple: true } : {}) } : { id: b.id }));
      break;
    case 'essay':
      item.criteria = (draft.rubric ?? []).map((r) => r.criterion).filter(Boolean);
      if (typeof draft.maxWords === 'number') item.maxWords = draft.maxWords;
      break;
    default:
      break;
  }
  return item;
}

/** The right answer as a response `r` (the shapes of docs/item-types.md), to show the key in the preview. */
export function keyResponse(draft: ItemContent): ItemResponse | null {
  switch (draft.type) {
    case 'single_choice':
      return draft.correct?.[0] ?? null;
    case 'multiple_choice':
      return draft.correct?.length ? draft.correct : null;
    case 'true_false':
      return typeof draft.value === 'boolean' ? draft.value : null;
    case 'true_false_cluster':
      return draft.values && Object.keys(draft.values).length ? draft.values : null;
    case 'numeric':
      return typeof draft.value === 'number' ? String(draft.value) : null;
    case 'short_text':
      return draft.accepted?.find((a) => a.trim()) ?? null;
    case 'matching':
      return draft.pairs && Object.keys(draft.pairs).length ? draft.pairs : null;
    case 'ordering':
      return draft.elements?.length ? draft.elements.map((e) => e.id) : null;
    case 'cloze': {
      const out: Record<string, string | string[]> = {};
      for (const b of draft.blanks ?? []) {
        if (b.options) {
          if (b.correct?.length) out[b.id] = b.multiple ? b.correct : b.correct[0]!;
          continue;
        }
        const v = b.accepted?.find((a) => a.trim()) ?? (typeof b.value === 'number' ? String(b.value) : undefined);
        if (v !== undefined) out[b.id] = v;
      }
      return Object.keys(out).length ? out : null;
    }
    case 'essay':
      return null;
  }
}

/** A draft's content as flat `path → text` pairs, for comparing two revisions. */
export function flatten(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path || '/', '[]');
    value.forEach((v, i) => flatten(v, `${path}/${i}`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, `${path}/${k}`, out);
  } else if (value !== undefined) {
    out.set(path || '/', typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** The key and the scoring rules in words, for reviewers (what the preview cannot show). */
export function keyLines(draft: ItemContent, say: KeyWords): string[] {
  const letter = (i: number) => String.fromCharCode(65 + i);
  const lines: string[] = [];
  switch (draft.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const options = draft.options ?? [];
      lines.push(`${say.correct}: ${options.map((o, i) => (draft.correct?.includes(o.id) ? letter(i) : null)).filter(Boolean).join(', ') || '—'}`);
      if (draft.type === 'multiple_choice') lines.push(`${say.scoring}: ${say.scoringName(draft.scoring ?? 'all_or_nothing')}`);
      const fixed = options.map((o, i) => (o.fixed ? letter(i) : null)).filter(Boolean);
      if (fixed.length) lines.push(`${say.fixed}: ${fixed.join(', ')}`);
      break;
    }
    case 'true_false':
      lines.push(`${say.correct}: ${draft.value === true ? say.yes : draft.value === false ? say.no : '—'}`);
      break;
    case 'true_false_cluster':
      lines.push(`${say.correct}: ${(draft.statements ?? []).map((s, i) => `${letter(i).toLowerCase()}) ${draft.values?.[s.id] === true ? say.yes : draft.values?.[s.id] === false ? say.no : '—'}`).join('; ')}`);
      lines.push(`${say.ladder}: ${(draft.ladder ?? DEFAULT_LADDER).join('; ')}`);
      break;
    case 'numeric':
      lines.push(`${say.correct}: ${String(draft.value ?? '—')}${draft.tolerance ? ` ± ${draft.tolerance}` : ''}`);
      break;
    case 'short_text':
      lines.push(`${say.accepted}: ${(draft.accepted ?? []).filter((a) => a.trim()).join(' | ') || '—'}`);
      if (draft.caseSensitive) lines.push(say.caseSensitive);
      if (draft.ignoreDiacritics) lines.push(say.ignoreDiacritics);
      break;
    case 'matching': {
      const choices = draft.choices ?? [];
      lines.push(`${say.correct}: ${(draft.premises ?? []).map((p, i) => `${letter(i).toLowerCase()}) → ${choices.findIndex((c) => c.id === draft.pairs?.[p.id]) + 1 || '—'}`).join('; ')}`);
      break;
    }
    case 'ordering':
      lines.push(`${say.correct}: ${(draft.elements ?? []).map((e) => e.text.replace(/<[^>]*>/g, '').trim()).join(' → ')}`);
      lines.push(`${say.scoring}: ${say.scoringName(draft.scoring ?? 'all_or_nothing')}`);
      break;
    case 'cloze':
      for (const b of draft.blanks ?? []) {
        if (b.options) {
          const right = (b.correct ?? []).map((id) => (b.options!.find((o) => o.id === id)?.text ?? id).replace(/<[^>]*>/g, '').trim());
          lines.push(`{{${b.id}}}: ${right.join(b.multiple ? ' + ' : ' | ') || '—'}`);
        } else {
          lines.push(`{{${b.id}}}: ${b.accepted ? b.accepted.join(' | ') : `${String(b.value ?? '—')}${b.tolerance ? ` ± ${b.tolerance}` : ''}`}`);
        }
      }
      break;
    case 'essay':
      for (const r of draft.rubric ?? []) lines.push(`${r.criterion.replace(/<[^>]*>/g, '').trim()}: ${r.maxPoints}`);
      if (draft.maxWords) lines.push(`${say.maxWords}: ${draft.maxWords}`);
      break;
  }
  return lines;
}

/** The words keyLines uses, in the page's language. */
export interface KeyWords {
  correct: string;
  scoring: string;
  scoringName(s: string): string;
  fixed: string;
  yes: string;
  no: string;
  ladder: string;
  accepted: string;
  caseSensitive: string;
  ignoreDiacritics: string;
  maxWords: string;
}
