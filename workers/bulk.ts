import { UnrecoverableError, type Job } from 'bullmq';
import type { QueuePayloads } from '../src/queues/queues.js';
import { analyseExamProcessor } from './analysis.js';
import type { WorkerContext } from './context.js';
import { gradeExamProcessor } from './grading.js';
import type { Registration } from './registry.js';

type BulkPayload = QueuePayloads['bulk'];
type BulkKind = BulkPayload['kind'];
type BulkProcessor<K extends BulkKind> = (job: Job<Extract<BulkPayload, { kind: K }>>, token?: string, signal?: AbortSignal) => Promise<unknown>;

/**
 * Processors of the bulk queue by job kind. The queue carries several kinds
 * of long job, and BullMQ hands a queue's jobs to whichever of its Workers is
 * free, so one Worker serves the queue and passes each job to its kind's
 * processor here (a second Worker per kind would take the other kinds' jobs).
 * Add a kind by adding its processor factory.
 */
export const BULK_PROCESSORS: { [K in BulkKind]?: (ctx: WorkerContext) => BulkProcessor<K> } = {
  'analyse-exam': analyseExamProcessor,
  'grade-exam': gradeExamProcessor,
};

export const bulkRegistration: Registration<'bulk'> = {
  queue: 'bulk',
  // Jobs of this queue are long; two at a time keeps one from waiting behind another.
  concurrency: 2,
  factory: (ctx) => {
    const built = new Map<BulkKind, BulkProcessor<BulkKind>>();
    for (const [kind, factory] of Object.entries(BULK_PROCESSORS) as [BulkKind, (ctx: WorkerContext) => BulkProcessor<BulkKind>][]) {
      // Sound: the map above pairs each kind with the processor of exactly that kind's jobs.
      built.set(kind, factory(ctx));
    }
    // Three parameters: BullMQ hands a processor that takes a signal one it aborts when the worker shuts down.
    return async (job: Job<BulkPayload>, token?: string, signal?: AbortSignal) => {
      const processor = built.get(job.data.kind);
      if (!processor) throw new UnrecoverableError(`This worker build has no processor for bulk jobs of kind ${job.data.kind}`);
      return processor(job, token, signal);
    };
  },
};
