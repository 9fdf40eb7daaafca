import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { AnalysisService, ExamNotFoundForAnalysis } from '../src/analysis/analysis-service.js';
import { createBank, createSearchIndex } from '../src/bank/index.js';
import { liveAttemptSource } from '../src/live/attempt-source.js';
import { Access } from '../src/orgs/access.js';
import { OrgService } from '../src/orgs/org-service.js';
import type { AnalyseExamPayload } from '../src/queues/queues.js';
import type { WorkerContext } from './context.js';

/** The analysis service as a worker uses it: no queue (it is the queue's consumer), so it always computes. */
export function workerAnalysisService(ctx: WorkerContext): AnalysisService {
  const orgs = new OrgService(ctx.models.Org);
  const bank = createBank({ models: ctx.models, access: new Access(orgs), orgs, index: createSearchIndex(ctx.config, ctx.models, ctx.appRedis) });
  return new AnalysisService({
    Exam: ctx.models.Exam,
    Form: ctx.models.Form,
    Result: ctx.models.Result,
    Analysis: ctx.models.Analysis,
    attempts: liveAttemptSource(ctx.models.Attempt, ctx.models.Exam),
    // The report's `bank.eligible` must agree with what the API's write-back would write.
    bankMinResponses: ctx.config.ANALYSIS_MIN_RESPONSES,
    // The pinned revisions (keys, options) come through the bank, from the search index's revision cache where it has them.
    bank: { revisions: (pins) => bank.pools.revisions(pins), setStatistics: (itemId, stats) => bank.items.setStatistics(itemId, stats) },
  });
}

/**
 * The `analyse-exam` bulk job: brings the exam's cached analysis up to date.
 * It writes nothing to the bank: an exam manager does that with
 * POST /api/exams/:id/analysis/write-back. Idempotent: a retry, or a
 * second job for the same grades, finds the cache current and does nothing.
 * Progress is `{done, total}` in attempts, as GET /api/jobs/:jobId shows it.
 */
export function analyseExamProcessor(ctx: WorkerContext) {
  const service = workerAnalysisService(ctx);
  return async (job: Job<AnalyseExamPayload>) => {
    try {
      const { report, cached } = await service.refresh(job.data.examId, {
        onProgress: (done, total) => job.updateProgress({ done, total }),
      });
      return { examId: report.examId, candidates: report.candidates, items: report.items.length, bankEligible: report.bank.eligible, cached, computedAt: report.computedAt };
    } catch (err) {
      if (err instanceof ExamNotFoundForAnalysis) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}
