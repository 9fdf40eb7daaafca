import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

/**
 * Every queue of the engine and the payload its jobs carry. Producers (the
 * API) and consumers (workers/) both import this map, so a payload change is a
 * type error on both sides.
 */
export interface QueuePayloads {
  /**
   * Score a batch of submitted attempts. `runId` and `examId` are set when the
   * batch belongs to a whole-exam run (a bulk `grade-exam` job).
   */
  grading: { attemptIds: string[]; runId?: string; examId?: string; snapshot?: GradingSnapshot };
  /** Submit an attempt at its deadline, whether or not a socket is open. */
  autosubmit: { attemptId: string };
  /**
   * Upsert graded attempts into the sector database. Grading sends the
   * results it just stored along (`results`), sparing the push a read; the
   * version guard makes a stale copy harmless.
   */
  sector: { attemptIds: string[]; results?: SectorPushItem[]; exams?: Pick<SnapshotExam, '_id' | 'title' | 'subject' | 'grade'>[] };
  /** A long tracked job: whole-exam grading or regrading, item analysis of a large exam, imports. */
  bulk: { kind: 'grade-exam'; examId: string; mode: 'all' | 'regrade'; requestedBy: string; plan?: GradingRunPlan } | AnalyseExamPayload;
}

/**
 * The batches a whole-exam run split its attempts into, saved on the bulk job
 * once they are queued, so that a run taken over after a crash waits for the
 * same batches instead of queueing them again.
 */
export interface GradingRunPlan {
  total: number;
  children: { id: string; n: number }[];
}

/** Item analysis of an exam too large to analyse inside a request (GET /api/exams/:id/analysis answers 202). */
export interface AnalyseExamPayload {
  kind: 'analyse-exam';
  examId: string;
  requestedBy: string;
}

/**
 * What a whole-exam run read for one batch in its single pass over the
 * exam's attempts, so the batch need not read them again (on FerretDB every
 * read walks a whole collection). Submitted attempts are frozen, so the copy
 * is what the database holds.
 */
export interface GradingSnapshot {
  /** The exam as the run found it (its roster is left out: on FerretDB every read of the exam decodes all of it). */
  exam: SnapshotExam;
  attempts: {
    _id: string;
    examId: string;
    candidateId: string;
    formCode: string;
    answers: Record<string, unknown>;
    studentId: string | null;
    schoolOrgId?: string;
    orgPath?: string[];
  }[];
  /** Of these attempts, those that had a result when the run was planned: the batch reads only those. */
  graded: string[];
  /**
   * Of those, the version the sector database held (from the marks) when the
   * run was planned, by attempt id: an unchanged result already pushed is not
   * pushed again. Absent in snapshots queued by older builds.
   */
  pushed?: Record<string, number>;
}

/** What grading and the sector record need of an exam. */
export interface SnapshotExam {
  _id: string;
  title: string;
  subject: string;
  grade: number;
  assemblyId: string | null;
  ownerOrgId: string;
  orgPath: string[];
}

/** A graded result as a sector job carries it (JSON: `gradedAt` is an ISO string). */
export interface SectorPushItem {
  _id: string;
  examId: string;
  studentId: string | null;
  schoolOrgId: string;
  orgPath: string[];
  formCode: string;
  score: number;
  maxScore: number;
  score10: number;
  status: 'graded' | 'pending_manual';
  gradedAt: string;
  version: number;
}

export type QueueName = keyof QueuePayloads;
export const QUEUE_NAMES: QueueName[] = ['grading', 'autosubmit', 'sector', 'bulk'];

/** Retries with backoff by default; finished jobs are trimmed, failed ones kept for inspection. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export type Queues = { [N in QueueName]: Queue<QueuePayloads[N]> };

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const make = <N extends QueueName>(name: N) =>
    new Queue<QueuePayloads[N]>(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  return {
    grading: make('grading'),
    autosubmit: make('autosubmit'),
    sector: make('sector'),
    bulk: make('bulk'),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
