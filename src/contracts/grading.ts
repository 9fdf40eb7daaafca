/**
 * The grading contract shared by the server and the browser: a background
 * job as GET /api/jobs/:jobId answers it, and the essays waiting for a
 * person (GET /api/exams/:id/manual-queue). Browser-safe: no Node or server imports.
 */
import type { RubricRow } from './items.js';

/** A job's state as the queue reports it; `unknown` when the queue no longer knows the job. */
export type JobState = 'completed' | 'failed' | 'active' | 'delayed' | 'prioritized' | 'waiting' | 'waiting-children' | 'unknown';

/** Why one attempt (or one batch) of a job failed. */
export interface JobFailure {
  reason: string;
  attemptId?: string;
  /** The batch job it happened in, for whole-exam runs. */
  jobId?: string;
}

/** A grading, regrading, sector push or bulk job (GET /api/jobs/:jobId). */
export interface JobView {
  id: string;
  queue: 'bulk' | 'grading' | 'sector';
  state: JobState;
  progress: { done: number; total: number };
  failed: JobFailure[];
  result: unknown;
  attemptsMade: number;
  createdAt: string;
  finishedAt: string | null;
}

/** One essay response waiting for a person. */
export interface ManualTask {
  attemptId: string;
  itemId: string;
  revision: number;
  /** Position of the item on the candidate's form. */
  number: number;
  formCode: string;
  maxPoints: number;
  /** Always null: a task leaves the queue once graded. */
  points: null;
  /** The candidate's response; null when they gave none. */
  response: unknown;
  /** The item's stem and (essays) rubric and word limit, when its revision could be read. */
  stem?: string;
  rubric?: RubricRow[];
  maxWords?: number;
}

/** What GET /api/exams/:id/manual-queue answers: a page of the tasks and how many there are. */
export interface ManualQueue {
  total: number;
  items: ManualTask[];
}
