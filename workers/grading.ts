import type { Job } from 'bullmq';
import { processGradingJob, runExamGrading, type GradeExamPayload } from '../src/grading/grading-jobs.js';
import { auditRegradeRun } from '../src/grading/score-changes.js';
import type { WorkerContext } from './context.js';
import type { Registration } from './registry.js';

/**
 * Grading jobs: a batch of attempt ids each (one from the live path at
 * submit, up to GRADING_BATCH_SIZE from a whole-exam run). A poison attempt
 * fails the job with UnrecoverableError after the rest of the batch is graded.
 */
export const gradingRegistration: Registration<'grading'> = {
  queue: 'grading',
  // Two batches at once: one scores while the other waits on the database.
  concurrency: 2,
  factory: (ctx) => {
    // One grading service per worker process: its caches of pinned revisions and forms serve every job.
    const { grading } = ctx.services;
    return (job) => processGradingJob(job, { grading, queues: ctx.queues });
  },
};

/** The `grade-exam` bulk job (see runExamGrading): splits the exam into batches and follows them. */
export function gradeExamProcessor(ctx: WorkerContext) {
  const { audit, grading, sectorPush } = ctx.services;
  return async (job: Job<GradeExamPayload>, token?: string, signal?: AbortSignal) => {
    const summary = await runExamGrading(
      job,
      {
        grading,
        push: sectorPush,
        gradingQueue: ctx.queues.grading,
        batchSize: ctx.config.GRADING_BATCH_SIZE,
      },
      { token, signal },
    );
    // A regrade changes released results: the run's outcome goes into the exam's audit chain.
    if (job.data.mode === 'regrade') await auditRegradeRun({ audit, Exam: ctx.models.Exam }, { jobId: job.id!, examId: job.data.examId, requestedBy: job.data.requestedBy }, summary);
    return summary;
  };
}
