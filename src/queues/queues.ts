import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

/**
 * Every queue of the engine and the payload its jobs carry. Producers (the
 * API) and consumers (workers/) both import this map, so a payload change is a
 * type error on both sides.
 */
export interface QueuePayloads {
  /** Score a batch of submitted attempts. */
  grading: { attemptIds: string[] };
  /** Submit an attempt at its deadline, whether or not a socket is open. */
  autosubmit: { attemptId: string };
  /** Upsert graded attempts into the sector database. */
  sector: { attemptIds: string[] };
  /** A long tracked job: whole-exam grading or regrading, imports. */
  bulk: { kind: 'grade-exam'; examId: string; mode: 'all' | 'regrade'; requestedBy: string };
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
