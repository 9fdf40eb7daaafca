import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';

export const ATTEMPT_STATUSES = ['in_progress', 'submitted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Why an attempt was handed in: by the candidate, at the deadline, or by an adaptive test's stopping rule. */
export const SUBMIT_REASONS = ['candidate', 'time_up', 'completed'] as const;
export type SubmitReason = (typeof SUBMIT_REASONS)[number];

export const EVENT_KINDS = ['blur', 'focus', 'fullscreen_exit', 'paste', 'offline'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
export type EventCounts = Partial<Record<EventKind, number>>;

/**
 * A snapshot of an attempt's live state after applying its log up to entry
 * `n` (see log-model.ts). Resuming reads the snapshot and replays the entries
 * after it, so a stale snapshot only costs a few more reads, never an answer.
 */
export interface Checkpoint {
  n: number;
  lastSeq: number;
  answers: Record<string, unknown>;
  flags: string[];
  eventCounts: EventCounts;
  extraMinutes: number;
  /** Connections that joined (the first one and every reload or reconnect after it); absent in snapshots from before it was counted. */
  joins?: number;
  /** Plays of each item's recording, by item id; absent when none (and in snapshots from before plays were counted). */
  plays?: Record<string, number>;
}

/**
 * One candidate's sitting of one exam. The `_id` is derived from (examId,
 * candidateId) — see {@link attemptIdFor} — so every lookup is by `_id`
 * (the only query FerretDB answers from an index) and two processes creating
 * the same attempt collide on the key instead of making two.
 *
 * While `status` is `in_progress`, the truth is the append-only log
 * (`attempt_log`) and `cp` is only a snapshot of it. When the attempt is
 * submitted, the final `answers`, `flags` and `lastSeq` are written here once,
 * and graders read them from here.
 */
export interface Attempt {
  _id: string;
  examId: string;
  candidateId: string;
  /** The exam's organisation path, for access checks on results. */
  orgPath: string[];
  formCode: string;
  status: AttemptStatus;
  startedAt: Date;
  /** Copied from the exam at start. */
  durationMinutes: number;
  /** Copied from the exam at start: the deadline never passes it. */
  closesAt: Date;
  /** min(startedAt + durationMinutes + extraMinutes, closesAt), as last written (the log is the truth). */
  endsAt: Date;
  extraMinutes: number;
  /** Snapshot of the live state (in progress). */
  cp: Checkpoint;
  /** Final responses by item id (written at submit). */
  answers: Record<string, unknown>;
  /** Item ids marked for review (written at submit). */
  flags: string[];
  /** Highest client seq applied (written at submit). */
  lastSeq: number;
  eventCounts: EventCounts;
  /** Log position of the submit entry. */
  logN?: number;
  submittedAt?: Date;
  submitReason?: SubmitReason;
  /** Set once the grading job for this attempt is queued. */
  gradingQueuedAt?: Date;
  /** Time of the last frame in the snapshot `cp`. */
  lastSeenAt?: Date;
  createdAt: Date;
}

/**
 * The attempt id of a candidate in an exam: 24 hex characters of a SHA-256
 * of both ids, so it is opaque, stable, and computable by any process.
 */
export function attemptIdFor(examId: string, candidateId: string): string {
  return createHash('sha256').update(`attempt\u0000${examId}\u0000${candidateId}`).digest('hex').slice(0, 24);
}

export function emptyCheckpoint(): Checkpoint {
  return { n: 0, lastSeq: 0, answers: {}, flags: [], eventCounts: {}, extraMinutes: 0 };
}

const attemptSchema = new Schema<Attempt>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true },
    candidateId: { type: String, required: true },
    orgPath: { type: [String], default: [] },
    formCode: { type: String, required: true },
    status: { type: String, enum: ATTEMPT_STATUSES, required: true },
    startedAt: { type: Date, required: true },
    durationMinutes: { type: Number, required: true },
    closesAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    extraMinutes: { type: Number, default: 0 },
    cp: { type: Schema.Types.Mixed, required: true },
    answers: { type: Schema.Types.Mixed, default: {} },
    flags: { type: [String], default: [] },
    lastSeq: { type: Number, default: 0 },
    eventCounts: { type: Schema.Types.Mixed, default: {} },
    logN: { type: Number },
    submittedAt: { type: Date },
    submitReason: { type: String, enum: SUBMIT_REASONS },
    gradingQueuedAt: { type: Date },
    lastSeenAt: { type: Date },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false, minimize: false },
);
attemptSchema.index({ examId: 1, candidateId: 1 }, { unique: true });
attemptSchema.index({ examId: 1, status: 1 });

export type AttemptModel = Model<Attempt>;

export function createAttemptModel(conn: Connection): AttemptModel {
  return conn.model<Attempt>('Attempt', attemptSchema, 'attempts');
}
