import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { ExamNotFoundForAnalysis } from '../src/analysis/analysis-service.js';
import type { AnalyseExamPayload } from '../src/queues/queues.js';
import type { WorkerContext } from './context.js';

/**
 * The `analyse-exam` bulk job: brings the exam's cached analysis up to date.
 * It writes nothing to the bank: an exam manager does that with
 * POST /api/exams/:id/analysis/write-back. Idempotent: a retry, or a
 * second job for the same grades, finds the cache current and does nothing.
 * Progress is `{done, total}` in attempts, as GET /api/jobs/:jobId shows it.
 */
export function analyseExamProcessor(ctx: WorkerContext) {
  // The worker's analysis service has no bulk queue (it is the queue's consumer), so it always computes.
  const service = ctx.services.analysis;
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
