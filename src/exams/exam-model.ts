import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../ids.js';
import type { FormItem } from '../assembly/assembler.js';

import { EXAM_MODES, EXAM_STATUSES, SHOW_FEEDBACK, SHOW_RESULTS, type AdaptiveSettings, type ExamMode, type ExamStatus, type ShowFeedback, type ShowResults } from '../contracts/exams.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';

export { EXAM_MODES, type AdaptiveSettings, type ExamMode, EXAM_STATUSES, SHOW_FEEDBACK, SHOW_RESULTS, type ExamStatus, type ShowFeedback, type ShowResults } from '../contracts/exams.js';

export interface Exam {
  _id: string;
  title: string;
  blueprintId: string;
  /** Copied from the blueprint: results and the sector record need them. */
  subject: string;
  grade: number;
  /** 1..100; form codes are "101".."200". */
  formCount: number;
  /** Every random draw of this exam derives from it (with the form code or candidate id). */
  seed: string;
  opensAt: Date;
  closesAt: Date;
  durationMinutes: number;
  candidateIds: string[];
  showResults: ShowResults;
  /** Absent on exams made before it existed: `with_details`. */
  showFeedback?: ShowFeedback;
  status: ExamStatus;
  ownerOrgId: string;
  /** Ancestors of the owner organisation, root first, ending with ownerOrgId. */
  orgPath: string[];
  createdBy: string;
  createdAt: Date;
  /** The current set of forms; forms of any other assembly are stale. Absent until assembled. */
  assemblyId?: string | null;
  /** Codes of the current forms, "101".. (empty until assembled). */
  formCodes: string[];
  overlap?: number;
  difficultySpread?: number;
  assembledAt?: Date;
  publishedAt?: Date;
  /** Absent on exams made before it existed: `fixed`. */
  mode?: ExamMode;
  /** The adaptive test (mode `adaptive`); the pool is on the exam's one form. */
  adaptive?: AdaptiveSettings;
}

const examSchema = new Schema<Exam>(
  {
    _id: { type: String, default: newId },
    title: { type: String, required: true },
    blueprintId: { type: String, required: true, index: true },
    subject: { type: String, required: true },
    grade: { type: Number, required: true },
    formCount: { type: Number, required: true },
    seed: { type: String, required: true },
    opensAt: { type: Date, required: true },
    closesAt: { type: Date, required: true },
    durationMinutes: { type: Number, required: true },
    candidateIds: { type: [String], default: [] },
    showResults: { type: String, enum: SHOW_RESULTS, required: true },
    showFeedback: { type: String, enum: SHOW_FEEDBACK },
    status: { type: String, enum: EXAM_STATUSES, required: true, default: 'draft' },
    ownerOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true, index: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
    assemblyId: { type: String, default: null },
    formCodes: { type: [String], default: [] },
    overlap: { type: Number },
    difficultySpread: { type: Number },
    assembledAt: { type: Date },
    publishedAt: { type: Date },
    mode: { type: String, enum: EXAM_MODES },
    adaptive: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);
// A candidate's exams (the live path and the browser client list them).
examSchema.index({ candidateIds: 1 });

export type ExamModel = Model<Exam>;

export function createExamModel(conn: Connection): ExamModel {
  return conn.model<Exam>('Exam', examSchema, 'exams');
}

/** One stored form ("mã đề") of one assembly of an exam. */
export interface Form {
  /** `${examId}:${assemblyId}:${code}` */
  _id: string;
  examId: string;
  assemblyId: string;
  code: string;
  items: FormItem[];
  hash: string;
  itemCount: number;
  totalPoints: number;
  meanDifficulty: number;
  /**
   * Keys the opaque ids candidates see for this form's options (delivery-ids.ts).
   * Not part of the hash and never sent to anyone. Forms stored before it
   * existed get one at their first delivery.
   */
  deliverySecret?: string;
  /**
   * Adaptive exams: the pool form holds every item a candidate may be given
   * (`items`) and this, what the engine needs: the calibrated pool with its
   * difficulties, the configuration with the blueprint, the seed. Frozen at
   * publish like every form; never sent to anyone.
   */
  adaptive?: AdaptivePoolForm;
}

const formItemSchema = new Schema<FormItem>(
  {
    itemId: { type: String, required: true },
    revision: { type: Number, required: true },
    points: { type: Number, required: true },
    section: { type: Number, required: true },
    // `default: undefined` keeps absent orders absent instead of `[]`.
    optionOrder: { type: [String], default: undefined },
    choiceOrder: { type: [String], default: undefined },
    elementOrder: { type: [String], default: undefined },
    stimulusId: { type: String },
    stimulusRevision: { type: Number },
  },
  { _id: false },
);

const formSchema = new Schema<Form>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true },
    assemblyId: { type: String, required: true },
    code: { type: String, required: true },
    items: { type: [formItemSchema], required: true },
    hash: { type: String, required: true },
    itemCount: { type: Number, required: true },
    totalPoints: { type: Number, required: true },
    meanDifficulty: { type: Number, required: true },
    deliverySecret: { type: String },
    adaptive: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);
// No secondary index: every read is by _id (`${examId}:${assemblyId}:${code}`).

export type FormModel = Model<Form>;

export function createFormModel(conn: Connection): FormModel {
  return conn.model<Form>('Form', formSchema, 'forms');
}
