/**
 * Score-change accountability: when a regrade or a manual grade changes a
 * score that was already released, the old and new score of that attempt are
 * kept, and the candidate's own result shows that it changed and when.
 *
 * "Released" means the stored result was fully graded (status `graded`): such
 * a result is the official one (pushed to the sector database, shown to the
 * candidate as `showResults` allows). Completing a result that waited for a
 * person (`pending_manual` → `graded`) is grading, not a change.
 *
 * One document per changed version in `score_changes`, `_id`
 * `<attemptId>:<new version>`: written after the result (insert-only, a
 * duplicate is the same change written again by a retried job), and read back
 * by primary key from the result's version.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Result } from './result-model.js';
import { insertNew, nativeOf, readByIds } from '../infra/store.js';
import type { AuditService } from '../audit/audit-service.js';
import type { ExamModel } from '../exams/exam-model.js';

export type ScoreChangeCause = 'regrade' | 'manual_grade';

export interface ScoreChangeRecord {
  /** `<attemptId>:<toVersion>` */
  _id: string;
  attemptId: string;
  examId: string;
  candidateId: string;
  before: { score: number; maxScore: number; score10: number; version: number };
  after: { score: number; maxScore: number; score10: number; version: number };
  cause: ScoreChangeCause;
  /** Who graded by hand; absent for regrades (the audit trail names who started the run). */
  by?: string;
  at: Date;
}

const scoreSchema = { score: Number, maxScore: Number, score10: Number, version: Number };

const scoreChangeSchema = new Schema<ScoreChangeRecord>(
  {
    _id: { type: String, required: true },
    attemptId: { type: String, required: true },
    examId: { type: String, required: true },
    candidateId: { type: String, required: true },
    before: scoreSchema,
    after: scoreSchema,
    cause: { type: String, enum: ['regrade', 'manual_grade'], required: true },
    by: String,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
scoreChangeSchema.index({ examId: 1 });

export type ScoreChangeModel = Model<ScoreChangeRecord>;

/** Idempotent per connection: grading and results both ask for it. */
export function createScoreChangeModel(conn: Connection): ScoreChangeModel {
  return (conn.models.ScoreChange as ScoreChangeModel | undefined) ?? conn.model<ScoreChangeRecord>('ScoreChange', scoreChangeSchema, 'score_changes');
}

export const scoreChangeId = (attemptId: string, version: number) => `${attemptId}:${version}`;

type Scored = Pick<Result, '_id' | 'examId' | 'candidateId' | 'score' | 'maxScore' | 'score10' | 'status' | 'version' | 'gradedAt'>;

/** A released score that moved: what the history keeps. */
export function changeOf(prev: Scored | undefined, next: Scored, cause: ScoreChangeCause, by?: string): ScoreChangeRecord | null {
  if (prev?.status !== 'graded' || next.version <= prev.version) return null;
  if (prev.score === next.score && prev.maxScore === next.maxScore) return null;
  const record: ScoreChangeRecord = {
    _id: scoreChangeId(next._id, next.version),
    attemptId: next._id,
    examId: next.examId,
    candidateId: next.candidateId,
    before: { score: prev.score, maxScore: prev.maxScore, score10: prev.score10, version: prev.version },
    after: { score: next.score, maxScore: next.maxScore, score10: next.score10, version: next.version },
    cause,
    at: new Date(next.gradedAt),
  };
  if (by) record.by = by;
  return record;
}

export class ScoreChanges {
  constructor(private readonly Model: ScoreChangeModel) {}

  /**
   * After results were written: keeps every released score that changed.
   * `previous` are the results as read before the write, `written` the
   * documents that were stored.
   */
  async afterWrite(previous: ReadonlyMap<string, Scored>, written: readonly Scored[], cause: ScoreChangeCause, by?: string): Promise<number> {
    const records = written.flatMap((doc) => changeOf(previous.get(doc._id), doc, cause, by) ?? []);
    if (records.length) await insertNew(nativeOf<ScoreChangeRecord>(this.Model), records);
    return records.length;
  }

  /** The attempt's score changes up to its current version, oldest first (primary-key reads only). */
  async forAttempt(attemptId: string, currentVersion: number): Promise<ScoreChangeRecord[]> {
    const ids = Array.from({ length: Math.max(0, currentVersion - 1) }, (_, i) => scoreChangeId(attemptId, i + 2));
    const found = await readByIds(nativeOf<ScoreChangeRecord>(this.Model), ids);
    return ids.flatMap((id) => found.get(id) ?? []);
  }
}

/** What a finished regrade run reports (a subset of RunSummary in src/grading/grading-jobs.ts). */
export interface RegradeOutcome {
  total: number;
  changed: number;
  firstGraded: number;
  delta: unknown;
  byDelta: Record<string, number>;
}

/**
 * The audit record of a finished regrade run, written by the worker that ran
 * it: one per run, in the exam's chain, with who asked for it. The scores it
 * moved are in `score_changes`; the record carries the counts, so editing the
 * history afterwards cannot go unnoticed.
 */
export async function auditRegradeRun(
  deps: { audit: AuditService; Exam: ExamModel },
  run: { jobId: string; examId: string; requestedBy: string },
  outcome: RegradeOutcome,
): Promise<void> {
  const exam = await deps.Exam.findById(run.examId, { ownerOrgId: 1 }).lean<{ ownerOrgId: string }>();
  if (!exam) return;
  await deps.audit.record(
    { actorId: run.requestedBy, actorRole: 'exam_manager' },
    {
      orgId: exam.ownerOrgId,
      action: 'exam.regrade_results',
      target: `exam:${run.examId}`,
      summary: { jobId: run.jobId, attempts: outcome.total, changed: outcome.changed - outcome.firstGraded, firstGraded: outcome.firstGraded, delta: outcome.delta, byDelta: outcome.byDelta },
    },
  );
}
