/**
 * Grading of submitted attempts from the revisions their forms pin
 * (docs/architecture.md, "Data flow"). Scoring itself is scoring.ts; this module
 * reads attempts, forms and revisions in batches, stores one result per
 * attempt and says which results the sector database still needs.
 *
 * Idempotent: a result is a function of the attempt's answers, the pinned
 * revisions and any manual grades. Grading again with the same inputs writes
 * nothing; `version` rises by one only when the score or a per-item result
 * changes. Writes are conditional on the version read, so two graders racing
 * on one attempt (a live grading job and a regrade) never both win: the loser
 * reads again and re-scores.
 */
import type { BankReader, ItemRevision } from '../bank/item-types.js';
import type { Exam, ExamModel, Form, FormModel } from '../exams/exam-model.js';
import type { OrgModel } from '../orgs/org-model.js';
import type { GradingSnapshot, SectorPushItem, SnapshotExam } from '../queues/queues.js';
import { markLevels, marksOf, type MarkLevel, type SectorMark, type SectorMarkModel } from './mark-model.js';
import { ScoreChanges, createScoreChangeModel } from './score-changes.js';
import type { UserModel } from '../users/user-model.js';
import { roundScore, scoreAttempt, toScore10 } from './scoring.js';
import type { AdaptiveMeasure, ManualGrade, PerItemResult, Result, ResultModel, ResultStatus } from './result-model.js';
import { computeAdaptive } from './adaptive-results.js';
import { UPDATE_CHUNK, insertNew, nativeOf, readByIds, readMany } from '../infra/store.js';

/** What grading reads of an attempt; src/live owns the attempt model. */
export interface GradableAttempt {
  _id: string;
  examId: string;
  candidateId: string;
  status: string;
  formCode?: string | null;
  /** itemId → the candidate's response. */
  answers?: Record<string, unknown> | null;
}

/** Where attempts come from: the wiring implements these on the live attempt model. */
export interface AttemptSource {
  /** The attempts with these ids (any status); missing ids are simply absent. */
  byIds(ids: readonly string[]): Promise<GradableAttempt[]>;
  /** Ids of the exam's submitted attempts, sorted. */
  submittedIds(examId: string): Promise<string[]>;
  /** The exam's submitted attempts with their answers, in one pass (whole-exam runs). */
  streamSubmitted?(examId: string): AsyncIterable<GradableAttempt>;
}

export interface GradingDeps {
  attempts: AttemptSource;
  Result: ResultModel;
  SectorMark: SectorMarkModel;
  Exam: ExamModel;
  Form: FormModel;
  User: UserModel;
  Org: OrgModel;
  bank: BankReader;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** An attempt that cannot be graded however often it is retried (a poison input), and why. */
export interface GradingFailure {
  attemptId: string;
  reason: string;
}

/** An attempt whose score changed (or that was graded for the first time: `before` null). */
export interface ScoreChange {
  attemptId: string;
  candidateId: string;
  before: number | null;
  after: number;
  version: number;
}

export interface BatchOutcome {
  /** Attempts whose result is now current (changed + unchanged). */
  graded: number;
  changed: ScoreChange[];
  unchanged: number;
  /** Of the graded, how many wait for a person (essays). */
  pendingManual: number;
  /** Not graded and not an error: the attempt is not submitted yet. */
  skipped: GradingFailure[];
  /** Poison: missing attempt, exam, form or pinned revision. Retrying does not help. */
  failed: GradingFailure[];
  /** Results the sector database does not hold yet (changed, or never pushed), ready for a sector job. */
  toPush: SectorPushItem[];
  /** The exams of those results, so the push need not read them. */
  exams: SnapshotExam[];
  timings: { readMs: number; scoreMs: number; writeMs: number };
}

/** The part of a result that grading computes; everything else is bookkeeping. */
export interface ComputedResult {
  examId: string;
  candidateId: string;
  studentId: string | null;
  schoolOrgId: string;
  orgPath: string[];
  formCode: string;
  perItem: PerItemResult[];
  score: number;
  maxScore: number;
  score10: number;
  status: ResultStatus;
  /** Adaptive exams: θ, SE, length. */
  adaptive?: AdaptiveMeasure;
}

const pinKey = (itemId: string, revision: number) => `${itemId}@${revision}`;

/** Bounded insertion-order cache: pinned revisions and forms never change once written. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }
}

/**
 * The totals of per-item results: rounding happens once, on the sums, with
 * the scoring module's rounding and ten-point scale.
 */
export function totals(perItem: readonly PerItemResult[]): { score: number; maxScore: number; score10: number; status: ResultStatus } {
  let score = 0;
  let maxScore = 0;
  let pending = false;
  for (const p of perItem) {
    score += p.points;
    maxScore += p.maxPoints;
    if (p.status === 'pending') pending = true;
  }
  return { score: roundScore(score), maxScore: roundScore(maxScore), score10: toScore10(score, maxScore), status: pending ? 'pending_manual' : 'graded' };
}

/**
 * Scores one attempt on its form. A manual grade counts for an essay while the
 * form still pins the revision it was given for; after a re-pin to a new
 * revision (its rubric may have changed) the essay waits for a person again.
 */
export function computeResult(
  attempt: GradableAttempt,
  form: Pick<Form, 'code' | 'items'> & Partial<Pick<Form, '_id' | 'hash' | 'adaptive'>>,
  revisions: ReadonlyMap<string, ItemRevision>,
  manual: readonly ManualGrade[],
  who: { studentId: string | null; schoolOrgId: string; orgPath: string[] },
): ComputedResult {
  const answers = attempt.answers ?? {};
  if (form.adaptive) {
    const content = new Map(form.items.map((p) => [p.itemId, revisions.get(pinKey(p.itemId, p.revision))!]));
    const r = computeAdaptive(`${form._id}:${form.hash}`, { items: form.items, adaptive: form.adaptive }, content, attempt._id, answers);
    return { examId: attempt.examId, candidateId: attempt.candidateId, ...who, formCode: form.code, ...r, status: 'graded' };
  }
  const entries = form.items.map((pin) => ({
    item: revisions.get(pinKey(pin.itemId, pin.revision))!,
    response: Object.hasOwn(answers, pin.itemId) ? answers[pin.itemId] : undefined,
    points: pin.points,
  }));
  const scored = scoreAttempt(entries);
  const manualByItem = new Map(manual.map((m) => [m.itemId, m]));
  const perItem: PerItemResult[] = form.items.map((pin, i) => {
    const s = scored.perItem[i]!;
    const entry: PerItemResult = { itemId: pin.itemId, revision: pin.revision, points: s.points, maxPoints: s.maxPoints, status: s.status };
    const m = manualByItem.get(pin.itemId);
    if (m && m.revision === pin.revision && entries[i]!.item.type === 'essay') {
      entry.points = Math.min(m.points, s.maxPoints);
      entry.status = 'scored';
      entry.manual = true;
      if (m.comment) entry.comment = m.comment;
    }
    return entry;
  });
  return {
    examId: attempt.examId,
    candidateId: attempt.candidateId,
    studentId: who.studentId,
    schoolOrgId: who.schoolOrgId,
    orgPath: who.orgPath,
    formCode: form.code,
    perItem,
    ...totals(perItem),
  };
}

/**
 * How a freshly computed result differs from the stored one: `same` —
 * nothing to write; `pins` — only the revisions of items changed (a re-pin
 * that moved no points): rewritten in place, same version, nothing to push;
 * `changed` — a score, a per-item result or an identity field changed: a new
 * version.
 */
export function compareResult(a: ComputedResult, b: Pick<Result, keyof ComputedResult>): 'same' | 'pins' | 'changed' {
  if (a.score !== b.score || a.maxScore !== b.maxScore || a.score10 !== b.score10 || a.status !== b.status) return 'changed';
  if (a.adaptive?.theta !== b.adaptive?.theta || a.adaptive?.se !== b.adaptive?.se) return 'changed';
  if (a.formCode !== b.formCode || a.studentId !== (b.studentId ?? null) || a.schoolOrgId !== b.schoolOrgId) return 'changed';
  if (a.orgPath.length !== b.orgPath.length || a.orgPath.some((o, i) => o !== b.orgPath[i])) return 'changed';
  if (a.perItem.length !== b.perItem.length) return 'changed';
  let pins = false;
  for (const [i, p] of a.perItem.entries()) {
    const q = b.perItem[i]!;
    const same =
      p.itemId === q.itemId &&
      p.points === q.points &&
      p.maxPoints === q.maxPoints &&
      p.status === q.status &&
      Boolean(p.manual) === Boolean(q.manual) &&
      (p.comment ?? '') === (q.comment ?? '');
    if (!same) return 'changed';
    if (p.revision !== q.revision) pins = true;
  }
  return pins ? 'pins' : 'same';
}

/** Same score, same per-item results, same identity fields (and same pins): nothing to write. */
export function sameResult(a: ComputedResult, b: Pick<Result, keyof ComputedResult>): boolean {
  return compareResult(a, b) === 'same';
}

const MAX_WRITE_ROUNDS = 5;

/** A stored result as the sector job carries it. */
export function pushItemOf(r: Pick<Result, '_id' | 'examId' | 'studentId' | 'schoolOrgId' | 'orgPath' | 'formCode' | 'score' | 'maxScore' | 'score10' | 'status' | 'gradedAt' | 'version'>): SectorPushItem {
  return {
    _id: r._id,
    examId: r.examId,
    studentId: r.studentId ?? null,
    schoolOrgId: r.schoolOrgId,
    orgPath: r.orgPath,
    formCode: r.formCode,
    score: r.score,
    maxScore: r.maxScore,
    score10: r.score10,
    status: r.status,
    gradedAt: new Date(r.gradedAt).toISOString(),
    version: r.version,
  };
}

export class GradingService {
  private readonly now: () => Date;
  private readonly revisionCache = new BoundedCache<ItemRevision>(20_000);
  private readonly formCache = new BoundedCache<Form>(1_000);
  /** Released scores that a regrade or manual grade changed (src/grading/score-changes.ts). */
  private readonly scoreChanges: ScoreChanges;

  constructor(private readonly deps: GradingDeps) {
    this.now = deps.now ?? (() => new Date());
    this.scoreChanges = new ScoreChanges(createScoreChangeModel(deps.Result.db));
  }

  /** Ids of the exam's submitted attempts, sorted. */
  submittedIds(examId: string): Promise<string[]> {
    return this.deps.attempts.submittedIds(examId);
  }

  /**
   * The exam's submitted attempts (but those in `skip`) in batches, with
   * everything grading reads about them, from one pass over the attempts and
   * one over the roster's users; which of them have a result, and which
   * version of it the sector database holds, come from the marks (`levels`,
   * read here when not given) rather than from a pass over the results, whose
   * per-item lists make every read of them dear on FerretDB. A result
   * without its mark (a crash between the two writes) is found when its
   * insert meets the stored one, and graded again from what is stored.
   * Whole-exam runs hand each batch to a grading job as it fills.
   */
  async *snapshots(examId: string, skip: ReadonlySet<string>, batchSize: number, levels?: ReadonlyMap<string, MarkLevel>): AsyncGenerator<GradingSnapshot> {
    const exam = await nativeOf<Exam>(this.deps.Exam).findOne({ _id: examId });
    if (!exam) return;
    const facts = examFacts(exam);
    const marks = levels ?? (await markLevels(this.deps.SectorMark, examId));
    const who = await this.identities(exam.candidateIds ?? []);
    let batch: GradingSnapshot['attempts'] = [];
    const cut = (): GradingSnapshot => {
      const graded: string[] = [];
      const pushed: Record<string, number> = {};
      for (const a of batch) {
        const level = marks.get(a._id);
        if (!level?.graded) continue;
        graded.push(a._id);
        if (level.pushed) pushed[a._id] = level.pushed;
      }
      const out = { exam: facts, attempts: batch, graded, pushed };
      batch = [];
      return out;
    };
    for await (const a of this.submittedStream(examId)) {
      if (skip.has(a._id)) continue;
      const w = who.get(a.candidateId);
      batch.push({
        _id: a._id,
        examId: a.examId,
        candidateId: a.candidateId,
        formCode: a.formCode ?? '',
        answers: a.answers ?? {},
        studentId: w?.studentId ?? null,
        ...(w?.schoolOrgId && w.orgPath ? { schoolOrgId: w.schoolOrgId, orgPath: w.orgPath } : {}),
      });
      if (batch.length >= batchSize) yield cut();
    }
    if (batch.length) yield cut();
  }

  private async *submittedStream(examId: string): AsyncGenerator<GradableAttempt> {
    if (this.deps.attempts.streamSubmitted) {
      yield* this.deps.attempts.streamSubmitted(examId);
      return;
    }
    const ids = await this.deps.attempts.submittedIds(examId);
    for (let i = 0; i < ids.length; i += 500) yield* await this.deps.attempts.byIds(ids.slice(i, i + 500));
  }

  /** Pinned revisions (key included) by `${itemId}@${revision}`; immutable, so cached. */
  async pinned(pins: readonly { itemId: string; revision: number }[]): Promise<Map<string, ItemRevision>> {
    const out = new Map<string, ItemRevision>();
    const missing = new Map<string, { itemId: string; revision: number }>();
    for (const p of pins) {
      const key = pinKey(p.itemId, p.revision);
      if (out.has(key) || missing.has(key)) continue;
      const cached = this.revisionCache.get(key);
      if (cached) out.set(key, cached);
      else missing.set(key, { itemId: p.itemId, revision: p.revision });
    }
    if (missing.size) {
      for (const r of await this.deps.bank.revisions([...missing.values()])) {
        const key = pinKey(r.itemId, r.revision);
        this.revisionCache.set(key, r);
        out.set(key, r);
      }
    }
    return out;
  }

  /**
   * Grades a batch of attempts. Poison attempts (missing exam, form or pinned
   * revision) are reported in `failed` and do not stop the others; database
   * errors throw, and the whole batch can simply be run again.
   */
  async gradeBatch(attemptIds: readonly string[], snapshot?: GradingSnapshot): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { graded: 0, changed: [], unchanged: 0, pendingManual: 0, skipped: [], failed: [], toPush: [], exams: [], timings: { readMs: 0, scoreMs: 0, writeMs: 0 } };
    let todo = [...new Set(attemptIds)];
    for (let round = 0; todo.length > 0; round++) {
      if (round === MAX_WRITE_ROUNDS) throw new Error(`Grading kept losing write races on ${todo.length} attempts; retrying the job`);
      // The snapshot serves the first pass only: an attempt that lost a write race is read afresh.
      todo = await this.gradeRound(todo, outcome, round === 0 ? snapshot : undefined);
    }
    return outcome;
  }

  /** Reads what a pass needs: from the snapshot where there is one, else from the database. */
  private async inputs(ids: string[], snapshot: GradingSnapshot | undefined) {
    if (!snapshot) {
      const attempts = await this.deps.attempts.byIds(ids);
      const [previous, who] = await Promise.all([
        readByIds(nativeOf<Result>(this.deps.Result), attempts.filter((a) => a.status === 'submitted').map((a) => a._id)),
        this.identities(attempts.map((a) => a.candidateId)),
      ]);
      return { attempts, previous, who };
    }
    const wanted = new Set(ids);
    const given = snapshot.attempts.filter((a) => wanted.has(a._id));
    const givenIds = new Set(given.map((a) => a._id));
    const attempts: GradableAttempt[] = given.map((a) => ({ _id: a._id, examId: a.examId, candidateId: a.candidateId, status: 'submitted', formCode: a.formCode, answers: a.answers }));
    const missing = ids.filter((id) => !givenIds.has(id));
    if (missing.length) attempts.push(...(await this.deps.attempts.byIds(missing)));
    const graded = snapshot.graded.filter((id) => wanted.has(id));
    const [previous, more] = await Promise.all([
      readByIds(nativeOf<Result>(this.deps.Result), [...graded, ...missing]),
      this.identities(attempts.filter((a) => !givenIds.has(a._id)).map((a) => a.candidateId)),
    ]);
    const who = new Map<string, Identity>(given.map((a) => [a.candidateId, a.schoolOrgId && a.orgPath ? { studentId: a.studentId, schoolOrgId: a.schoolOrgId, orgPath: a.orgPath } : { studentId: a.studentId }]));
    for (const [k, v] of more) who.set(k, v);
    return { attempts, previous, who };
  }

  /** One read–score–write pass; returns the ids whose conditional write lost a race. */
  private async gradeRound(ids: string[], out: BatchOutcome, snapshot: GradingSnapshot | undefined): Promise<string[]> {
    const t0 = performance.now();
    const { attempts, previous, who } = await this.inputs(ids, snapshot);
    const byId = new Map(attempts.map((a) => [a._id, a]));
    const gradable: GradableAttempt[] = [];
    for (const id of ids) {
      const a = byId.get(id);
      if (!a) out.failed.push({ attemptId: id, reason: `Attempt ${id} does not exist` });
      else if (a.status !== 'submitted') out.skipped.push({ attemptId: id, reason: `Attempt ${id} is ${a.status}, not submitted` });
      else gradable.push(a);
    }
    const exams = snapshot ? new Map([[snapshot.exam._id, snapshot.exam]]) : await this.exams(gradable);
    for (const e of exams.values()) if (!out.exams.some((x) => x._id === e._id)) out.exams.push(e);
    const forms = await this.forms(gradable, exams);
    const revisions = await this.pinned([...forms.values()].flatMap((f) => f.items));
    const t1 = performance.now();

    const inserts: Result[] = [];
    const updates: { prevVersion: number; doc: Result }[] = [];
    const written: ScoreChange[] = [];
    const unchanged: Result[] = [];
    const repinned = new Set<string>();
    const gradedAt = this.now();
    for (const a of gradable) {
      const exam = exams.get(a.examId);
      if (!exam) {
        out.failed.push({ attemptId: a._id, reason: `Exam ${a.examId} of attempt ${a._id} does not exist` });
        continue;
      }
      const form = exam.assemblyId && a.formCode ? forms.get(formId(exam, a.formCode)) : undefined;
      if (!form) {
        out.failed.push({ attemptId: a._id, reason: `Form ${a.formCode ?? '(none)'} of exam ${exam._id} is not in its current assembly` });
        continue;
      }
      const missing = form.items.find((p) => !revisions.has(pinKey(p.itemId, p.revision)));
      if (missing) {
        out.failed.push({ attemptId: a._id, reason: `Pinned revision ${missing.itemId}@${missing.revision} of form ${form.code} is missing` });
        continue;
      }
      const prev = previous.get(a._id);
      const w = who.get(a.candidateId);
      const identity = { studentId: w?.studentId ?? null, schoolOrgId: w?.schoolOrgId ?? exam.ownerOrgId, orgPath: w?.orgPath ?? exam.orgPath };
      const computed = computeResult(a, form, revisions, prev?.manualGrades ?? [], identity);
      const diff = prev ? compareResult(computed, prev) : 'changed';
      if (prev && diff === 'same') {
        unchanged.push(prev);
        continue;
      }
      if (prev && diff === 'pins') {
        // The stored per-item revisions follow the forms (item analysis keys on them); nothing anyone reads moved.
        const doc: Result = { ...prev, perItem: computed.perItem };
        updates.push({ prevVersion: prev.version, doc });
        repinned.add(a._id);
        continue;
      }
      const version = (prev?.version ?? 0) + 1;
      const doc: Result = { _id: a._id, ...computed, manualGrades: prev?.manualGrades ?? [], gradedAt, version };
      if (prev) updates.push({ prevVersion: prev.version, doc });
      else inserts.push(doc);
      written.push({ attemptId: a._id, candidateId: a.candidateId, before: prev ? prev.score : null, after: computed.score, version });
    }
    const t2 = performance.now();

    const lost = await this.write(inserts, updates);
    await this.scoreChanges.afterWrite(previous, updates.filter((u) => !lost.has(u.doc._id)).map((u) => u.doc), 'regrade');
    const current: Result[] = [...unchanged];
    for (const doc of [...inserts, ...updates.map((u) => u.doc)]) {
      if (lost.has(doc._id)) continue;
      current.push(doc);
      if (repinned.has(doc._id)) unchanged.push(doc);
    }
    for (const change of written) if (!lost.has(change.attemptId)) out.changed.push(change);
    out.unchanged += unchanged.length;
    out.graded += current.length;
    out.pendingManual += current.filter((r) => r.status === 'pending_manual').length;
    // Marks after results: a crash in between leaves a result without its mark, which the next run adds.
    // One mark document per batch and exam (see mark-model.ts).
    if (current.length) await insertNew(nativeOf<SectorMark>(this.deps.SectorMark), marksOf('graded', current, gradedAt));
    const changedIds = new Set(out.changed.map((c) => c.attemptId));
    const pushed = unchanged.length ? await this.pushedVersions(unchanged, snapshot) : new Map<string, number>();
    for (const r of current) {
      if (changedIds.has(r._id) || (pushed.get(r._id) ?? 0) < r.version) out.toPush.push(pushItemOf(r));
    }
    const t3 = performance.now();
    out.timings.readMs += t1 - t0;
    out.timings.scoreMs += t2 - t1;
    out.timings.writeMs += t3 - t2;
    return [...lost];
  }

  /**
   * The version of each of these unchanged results that the sector database
   * holds: from the run's snapshot when it says (read once when the run was
   * planned), else from the marks of their exams. A version pushed since the
   * snapshot was taken is pushed again, which the version guard makes harmless.
   */
  private async pushedVersions(results: readonly Result[], snapshot: GradingSnapshot | undefined): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (snapshot?.pushed) {
      for (const r of results) out.set(r._id, snapshot.pushed[r._id] ?? 0);
      return out;
    }
    for (const examId of new Set(results.map((r) => r.examId))) {
      const levels = await markLevels(this.deps.SectorMark, examId);
      for (const r of results) if (r.examId === examId) out.set(r._id, levels.get(r._id)?.pushed ?? 0);
    }
    return out;
  }

  /**
   * Inserts new results and replaces changed ones, each conditional on the
   * version read. Returns the ids whose write did not happen because another
   * writer got there first (a duplicate insert, or a version that moved).
   */
  private async write(inserts: Result[], updates: { prevVersion: number; doc: Result }[]): Promise<Set<string>> {
    const results = nativeOf<Result>(this.deps.Result);
    const lost = await insertNew(results, inserts);
    for (let i = 0; i < updates.length; i += UPDATE_CHUNK) {
      const chunk = updates.slice(i, i + UPDATE_CHUNK);
      const res = await results.bulkWrite(
        chunk.map((u) => ({ replaceOne: { filter: { _id: u.doc._id, version: u.prevVersion }, replacement: u.doc } })),
        { ordered: false },
      );
      if (res.modifiedCount === chunk.length) continue;
      // Some replacement met a newer version: find which by reading back what is stored.
      const stored = await readByIds(results, chunk.map((u) => u.doc._id), { version: 1, gradedAt: 1 });
      for (const u of chunk) {
        const s = stored.get(u.doc._id);
        if (!s || s.version !== u.doc.version || new Date(s.gradedAt).getTime() !== u.doc.gradedAt.getTime()) lost.add(u.doc._id);
      }
    }
    return lost;
  }

  /**
   * Stores a person's grade of one essay item and re-totals the attempt. The
   * write is conditional on the version read; a concurrent regrade makes it
   * read and apply again. Returns the stored result and whether it changed.
   */
  async gradeManually(
    attemptId: string,
    itemId: string,
    grade: { points: number; comment: string; gradedBy: string },
  ): Promise<{ result: Result; changed: boolean }> {
    const results = nativeOf<Result>(this.deps.Result);
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      let prev = await results.findOne({ _id: attemptId });
      if (!prev) {
        // Not graded yet (the worker has not run): grade it here first.
        const outcome = await this.gradeBatch([attemptId]);
        const problem = outcome.failed[0] ?? outcome.skipped[0];
        if (problem) throw new ManualGradeRefused('not_gradable', problem.reason);
        prev = await results.findOne({ _id: attemptId });
        if (!prev) continue;
      }
      const index = prev.perItem.findIndex((p) => p.itemId === itemId);
      if (index < 0) throw new ManualGradeRefused('unknown_item', `Item ${itemId} is not on this attempt's form`);
      const entry = prev.perItem[index]!;
      const revision = (await this.pinned([entry])).get(pinKey(entry.itemId, entry.revision));
      if (!revision) throw new ManualGradeRefused('not_gradable', `Pinned revision ${entry.itemId}@${entry.revision} is missing`);
      if (revision.type !== 'essay') throw new ManualGradeRefused('not_manual', 'Only essay items are graded by a person; this item is scored automatically');
      if (grade.points > entry.maxPoints) throw new ManualGradeRefused('too_many_points', `At most ${entry.maxPoints} points may be given for this item`);
      const manual: ManualGrade = { itemId, revision: entry.revision, points: grade.points, comment: grade.comment, gradedBy: grade.gradedBy, gradedAt: this.now() };
      const perItem = prev.perItem.map((p, i) => {
        if (i !== index) return p;
        const next: PerItemResult = { itemId: p.itemId, revision: p.revision, points: grade.points, maxPoints: p.maxPoints, status: 'scored', manual: true };
        if (grade.comment) next.comment = grade.comment;
        return next;
      });
      const computed: ComputedResult = { ...prev, perItem, ...totals(perItem) };
      const manualGrades = [...prev.manualGrades.filter((m) => m.itemId !== itemId), manual];
      if (sameResult(computed, prev)) {
        // Same points and comment: nothing a reader of the result would see changes, so no new version.
        return { result: prev, changed: false };
      }
      const doc: Result = { ...prev, ...computed, manualGrades, gradedAt: manual.gradedAt, version: prev.version + 1 };
      const res = await results.replaceOne({ _id: attemptId, version: prev.version }, doc);
      if (res.modifiedCount === 1) {
        await this.scoreChanges.afterWrite(new Map([[attemptId, prev]]), [doc], 'manual_grade', grade.gradedBy);
        await insertNew(nativeOf<SectorMark>(this.deps.SectorMark), marksOf('graded', [doc], doc.gradedAt));
        return { result: doc, changed: true };
      }
    }
    throw new Error(`The result of attempt ${attemptId} kept changing while a manual grade was stored`);
  }

  private async exams(attempts: readonly GradableAttempt[]): Promise<Map<string, SnapshotExam>> {
    const ids = [...new Set(attempts.map((a) => a.examId))];
    const out = new Map<string, SnapshotExam>();
    for (const e of (await readByIds(nativeOf<Exam>(this.deps.Exam), ids, { candidateIds: 0 })).values()) out.set(e._id, examFacts(e));
    return out;
  }

  /** The current forms the attempts sat, by form id; a form never changes once written (a re-pin writes new ones), so they are cached. */
  private async forms(attempts: readonly GradableAttempt[], exams: ReadonlyMap<string, SnapshotExam>): Promise<Map<string, Form>> {
    const out = new Map<string, Form>();
    const missing: string[] = [];
    for (const a of attempts) {
      const exam = exams.get(a.examId);
      if (!exam?.assemblyId || !a.formCode) continue;
      const id = formId(exam, a.formCode);
      if (out.has(id) || missing.includes(id)) continue;
      const cached = this.formCache.get(id);
      if (cached) out.set(id, cached);
      else missing.push(id);
    }
    for (const [id, f] of await readByIds(nativeOf<Form>(this.deps.Form), missing)) {
      this.formCache.set(id, f);
      out.set(id, f);
    }
    return out;
  }

  /** Each candidate's student id and school: the organisation of their candidate role. */
  async identities(candidateIds: readonly string[]): Promise<Map<string, Identity>> {
    const out = new Map<string, Identity>();
    const users = await readMany(nativeOf<{ _id: string; studentId?: string; roles: { role: string; orgId: string }[] }>(this.deps.User), candidateIds, { studentId: 1, roles: 1 });
    const schoolOf = new Map<string, string>();
    for (const u of users.values()) {
      const grant = u.roles?.find((g) => g.role === 'candidate');
      if (grant) schoolOf.set(u._id, grant.orgId);
    }
    const orgs = await readByIds(nativeOf<{ _id: string; path: string[] }>(this.deps.Org), [...new Set(schoolOf.values())], { path: 1 });
    for (const u of users.values()) {
      const school = schoolOf.get(u._id);
      const path = school ? orgs.get(school)?.path : undefined;
      out.set(u._id, school && path ? { studentId: u.studentId ?? null, schoolOrgId: school, orgPath: path } : { studentId: u.studentId ?? null });
    }
    return out;
  }
}

/** A manual grade that cannot be stored, and why (the routes map `code` to a status). */
export class ManualGradeRefused extends Error {
  override name = 'ManualGradeRefused';
  constructor(
    readonly code: 'not_gradable' | 'unknown_item' | 'not_manual' | 'too_many_points',
    message: string,
  ) {
    super(message);
  }
}

/** A candidate as the sector record names them; without a school the exam's organisation stands in. */
export interface Identity {
  studentId: string | null;
  schoolOrgId?: string;
  orgPath?: string[];
}

/** What grading and the sector record need of an exam. */
export function examFacts(e: Exam): SnapshotExam {
  return { _id: e._id, title: e.title, subject: e.subject, grade: e.grade, assemblyId: e.assemblyId ?? null, ownerOrgId: e.ownerOrgId, orgPath: e.orgPath };
}

function formId(exam: Pick<SnapshotExam, '_id' | 'assemblyId'>, code: string): string {
  return `${exam._id}:${exam.assemblyId}:${code}`;
}
