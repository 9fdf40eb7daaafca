/**
 * The key-edit guard: an item pinned by the current forms of a published exam
 * that has not closed yet cannot get a new revision whose key or scoring
 * differs from the pinned one, unless an exam manager of every such exam's
 * organisation says so with `?override=exam-key-change` on
 * `PUT /api/items/:id`. Without it the edit is `409 exam_key_locked`; with it
 * the edit goes through and its audit record names the override and the exams.
 *
 * The pinned forms never change by this (an exam keeps its revision until an
 * exam manager re-pins), so the guard is about intent: nobody changes the key
 * of a live exam's question by accident.
 */
import { stringify } from 'safe-stable-stringify';
import { Conflict, Forbidden } from '../errors.js';
import type { BankReader } from '../bank/item-types.js';
import { editContent, KEY_CHANGE_OVERRIDE, type ItemEditGuard, type KeyGuardOutcome } from '../bank/edit-guard.js';
import { checkItem } from '../bank/item-schemas.js';
import type { Access, Principal } from '../orgs/access.js';
import type { Role } from '../users/user-model.js';
import type { Exam, ExamModel, Form, FormModel } from './exam-model.js';

export { KEY_CHANGE_OVERRIDE, type KeyGuardOutcome };

/** Who may see an exam at all (GET /api/exams lists them its exams): only such exams are named to the caller. */
const EXAM_READERS: readonly Role[] = ['exam_manager', 'proctor', 'admin'];

/** Fields that decide how a response scores (the key and the scoring settings of docs/item-types.md). */
export const SCORING_FIELDS = [
  'type',
  'correct',
  'scoring',
  'value',
  'tolerance',
  'values',
  'ladder',
  'accepted',
  'caseSensitive',
  'ignoreDiacritics',
  'pairs',
  'order',
  'blanks',
  'rubric',
] as const;

/** The item's key and scoring settings as one comparable string. */
export function scoringOf(item: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const f of SCORING_FIELDS) if (item[f] !== undefined) out[f] = item[f];
  return stringify(out) ?? '';
}

export interface KeyGuardDeps {
  Exam: ExamModel;
  Form: FormModel;
  bank: Pick<BankReader, 'revisions'>;
  access: Access;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** The bank's edit guard (src/bank/edit-guard.ts) in use. */
export class KeyGuard implements ItemEditGuard {
  private readonly now: () => Date;

  constructor(private readonly deps: KeyGuardDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private holdsAt(actor: Principal, roles: readonly Role[], exam: Exam): boolean {
    return this.deps.access.grantOrgs(actor, roles).some((g) => exam.orgPath.includes(g));
  }

  /** Published exams not yet closed whose current forms pin the item, with the revisions they pin. */
  async liveExamsUsing(itemId: string): Promise<{ exam: Exam; revisions: number[] }[]> {
    const forms = await this.deps.Form.find({ 'items.itemId': itemId }, { examId: 1, assemblyId: 1, items: 1 }).lean<Pick<Form, 'examId' | 'assemblyId' | 'items'>[]>();
    if (forms.length === 0) return [];
    const examIds = [...new Set(forms.map((f) => f.examId))];
    const exams = await this.deps.Exam.find({ _id: { $in: examIds }, status: 'published', closesAt: { $gt: this.now() } }, { candidateIds: 0 }).lean<Exam[]>();
    return exams.flatMap((exam) => {
      const revisions = new Set<number>();
      for (const f of forms) {
        if (f.examId !== exam._id || f.assemblyId !== exam.assemblyId) continue;
        for (const pin of f.items) if (pin.itemId === itemId) revisions.add(pin.revision);
      }
      return revisions.size ? [{ exam, revisions: [...revisions] }] : [];
    });
  }

  /**
   * Checks an edit (the body of PUT /api/items/:id) before it is stored. The
   * caller has already been found allowed to author the item. Throws 409
   * exam_key_locked without the override, 403 when the override comes from
   * someone who is not exam manager of every exam concerned.
   */
  async check(actor: Principal, itemId: string, body: Record<string, unknown>, override: boolean): Promise<KeyGuardOutcome> {
    // Exactly the content the bank will validate and store (its owner cannot change, so it is not content here).
    const { ownerOrgId: _owner, ...content } = editContent(body);
    // The bank validates (and answers 400) itself; an invalid edit is never stored, so there is nothing to guard.
    const checked = checkItem(structuredClone(content));
    if (!checked.ok) return { keyChanged: false, exams: [] };
    const next = scoringOf(checked.value as unknown as Record<string, unknown>);
    const live = await this.liveExamsUsing(itemId);
    if (live.length === 0) return { keyChanged: false, exams: [] };
    const pins = [...new Set(live.flatMap((l) => l.revisions))].map((revision) => ({ itemId, revision }));
    const pinned = new Map((await this.deps.bank.revisions(pins)).map((r) => [r.revision, scoringOf(r as unknown as Record<string, unknown>)]));
    const affected = live.filter((l) => l.revisions.some((r) => pinned.get(r) !== next)).map((l) => l.exam);
    if (affected.length === 0) return { keyChanged: false, exams: [] };
    const managed = affected.filter((e) => this.holdsAt(actor, ['exam_manager'], e));
    if (!override) {
      // Only exams the caller may see are named, and never how many there are: an author
      // must not learn which other departments' exams, not yet open, use the item.
      const visible = affected.filter((e) => this.holdsAt(actor, EXAM_READERS, e));
      const rule = `a new revision may not change its key or scoring unless an exam manager of the exam adds ?override=${KEY_CHANGE_OVERRIDE}`;
      throw new Conflict(
        'exam_key_locked',
        visible.length
          ? `This item is on exams that have not closed, among them ${visible.map((e) => `"${e.title}"`).join(', ')}; ${rule}`
          : `This item is on an exam that has not closed; ${rule}`,
        [{ override: KEY_CHANGE_OVERRIDE, ...(visible.length ? { exams: visible.map((e) => ({ id: e._id, title: e.title })) } : {}) }],
      );
    }
    if (managed.length < affected.length) {
      throw new Forbidden('Only an exam manager of every exam that uses this item may override its key lock');
    }
    return { keyChanged: true, overridden: KEY_CHANGE_OVERRIDE, exams: affected.map((e) => e._id) };
  }
}
