import type { Job } from 'bullmq';
import { createBank, createSearchIndex } from '../src/bank/index.js';
import { processGradingJob, runExamGrading, type GradeExamPayload } from '../src/grading/grading-jobs.js';
import type { GradingService } from '../src/grading/grading-service.js';
import { createGradingService, createPushService } from '../src/grading/wiring.js';
import { Access } from '../src/orgs/access.js';
import { OrgService } from '../src/orgs/org-service.js';
import { AuditService } from '../src/audit/audit-service.js';
import { ChainHeads } from '../src/audit/chain-heads.js';
import { auditRegradeRun } from '../src/results/score-changes.js';
import type { WorkerContext } from './context.js';
import type { Registration } from './registry.js';

const services = new WeakMap<WorkerContext, GradingService>();

/** One grading service per worker process: its caches of pinned revisions and forms serve every job. */
export function gradingServiceOf(ctx: WorkerContext): GradingService {
  let service = services.get(ctx);
  if (!service) {
    const orgs = new OrgService(ctx.models.Org);
    const bank = createBank({ models: ctx.models, access: new Access(orgs), orgs, index: createSearchIndex(ctx.config, ctx.models, ctx.appRedis) });
    service = createGradingService(ctx.models, bank.pools);
    services.set(ctx, service);
  }
  return service;
}

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
    const grading = gradingServiceOf(ctx);
    return (job) => processGradingJob(job, { grading, queues: ctx.queues });
  },
};

/** The `grade-exam` bulk job (see runExamGrading): splits the exam into batches and follows them. */
export function gradeExamProcessor(ctx: WorkerContext) {
  const audit = new AuditService(ctx.models.Audit, new OrgService(ctx.models.Org), { key: ctx.config.AUDIT_KEY, heads: new ChainHeads(ctx.appRedis) });
  return async (job: Job<GradeExamPayload>, token?: string, signal?: AbortSignal) => {
    const summary = await runExamGrading(
      job,
      {
        grading: gradingServiceOf(ctx),
        push: createPushService(ctx.models, ctx.sector),
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
