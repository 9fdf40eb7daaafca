import { Schema, type Connection, type Model } from 'mongoose';
import { RESULT_STATUSES, type ResultStatus } from '../contracts/results.js';

export { RESULT_STATUSES, type ResultStatus };

/** One item of a graded attempt, in delivery order. */
export interface PerItemResult {
  itemId: string;
  /** The pinned revision the item was scored with. */
  revision: number;
  /** Unrounded (only totals are rounded); 0 while pending. */
  points: number;
  maxPoints: number;
  status: 'scored' | 'pending';
  /** Set when a person graded it (essays). */
  manual?: boolean;
  comment?: string;
  /** Adaptive tests: an unscored pretest item (its answer is kept for calibration; it counts for nothing). */
  pretest?: boolean;
}

/** An adaptive attempt's measurement (src/grading/adaptive-results.ts). */
export interface AdaptiveMeasure {
  /** EAP ability estimate, logits, 4 decimals. */
  theta: number;
  /** Its standard error (posterior SD), 4 decimals. */
  se: number;
  /** Operational items answered. */
  length: number;
  /** The stopping rule that ended the test (max_items, se_target, pool_exhausted), or null when time ran out first or the candidate handed in. */
  stop: string | null;
}

/** A person's grade of one essay item; kept across regrades while the item's revision stays pinned. */
export interface ManualGrade {
  itemId: string;
  revision: number;
  points: number;
  comment: string;
  gradedBy: string;
  gradedAt: Date;
}

/**
 * The graded result of one attempt, keyed by the attempt id. `version` rises
 * by one each time the score or a per-item result changes, never otherwise;
 * the sector record carries it, so only a newer result replaces an older one.
 * Where each version stands with the sector database is in `sector_marks`
 * (src/grading/mark-model.ts), written by inserts only.
 */
export interface Result {
  /** The attempt id. */
  _id: string;
  examId: string;
  candidateId: string;
  studentId: string | null;
  /** The candidate's school (their candidate role's organisation), else the exam's organisation. */
  schoolOrgId: string;
  /** Ancestors of schoolOrgId, root first, ending with it. */
  orgPath: string[];
  formCode: string;
  perItem: PerItemResult[];
  manualGrades: ManualGrade[];
  score: number;
  maxScore: number;
  score10: number;
  status: ResultStatus;
  gradedAt: Date;
  version: number;
  /** Adaptive exams: θ, SE and the test's length; `score10` is then the engine's 10-point score, `score`/`maxScore` the same on 10. */
  adaptive?: AdaptiveMeasure;
}

const perItemSchema = new Schema<PerItemResult>(
  {
    itemId: { type: String, required: true },
    revision: { type: Number, required: true },
    points: { type: Number, required: true },
    maxPoints: { type: Number, required: true },
    status: { type: String, enum: ['scored', 'pending'], required: true },
    manual: { type: Boolean },
    comment: { type: String },
    pretest: { type: Boolean },
  },
  { _id: false },
);

const manualGradeSchema = new Schema<ManualGrade>(
  {
    itemId: { type: String, required: true },
    revision: { type: Number, required: true },
    points: { type: Number, required: true },
    comment: { type: String, default: '' },
    gradedBy: { type: String, required: true },
    gradedAt: { type: Date, required: true },
  },
  { _id: false },
);

const resultSchema = new Schema<Result>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true },
    candidateId: { type: String, required: true },
    studentId: { type: String, default: null },
    schoolOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true },
    formCode: { type: String, required: true },
    perItem: { type: [perItemSchema], default: [] },
    manualGrades: { type: [manualGradeSchema], default: [] },
    score: { type: Number, required: true },
    maxScore: { type: Number, required: true },
    score10: { type: Number, required: true },
    status: { type: String, enum: RESULT_STATUSES, required: true },
    gradedAt: { type: Date, required: true },
    version: { type: Number, required: true },
  },
  { versionKey: false },
);
// Results of an exam, and the manual queue (status pending_manual). The push state lives in sector_marks.
resultSchema.index({ examId: 1, status: 1 });

export type ResultModel = Model<Result>;

/** Idempotent per connection: other domains (item analysis) may ask for it too. */
export function createResultModel(conn: Connection): ResultModel {
  return (conn.models.Result as ResultModel | undefined) ?? conn.model<Result>('Result', resultSchema, 'results');
}

/** A re-pin of one item of an exam to a newer revision (the regrade rule); kept as history. */
export interface Repin {
  _id: string;
  examId: string;
  itemId: string;
  from: number;
  to: number;
  /** Form codes that carried the item. */
  forms: string[];
  fromAssemblyId: string;
  toAssemblyId: string;
  by: string;
  at: Date;
}

const repinSchema = new Schema<Repin>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true, index: true },
    itemId: { type: String, required: true },
    from: { type: Number, required: true },
    to: { type: Number, required: true },
    forms: { type: [String], default: [] },
    fromAssemblyId: { type: String, required: true },
    toAssemblyId: { type: String, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

export type RepinModel = Model<Repin>;

export function createRepinModel(conn: Connection): RepinModel {
  return (conn.models.Repin as RepinModel | undefined) ?? conn.model<Repin>('Repin', repinSchema, 'exam_repins');
}
