import type { Job } from 'bullmq';
import type { QueuePayloads } from '../queues/queues.js';
import type { PushOutcome, SectorPushService } from './sector-service.js';

type SectorJob = Job<QueuePayloads['sector']>;

/** Pushes a batch of results; after the last retry they are counted as failed in sector-sync. */
export async function processSectorJob(job: SectorJob, deps: { push: SectorPushService }): Promise<Omit<PushOutcome, 'missing'> & { missing: number }> {
  try {
    const out = await deps.push.push(job.data.attemptIds, job.data.results, job.data.exams);
    return { ...out, missing: out.missing.length };
  } catch (err) {
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (lastTry) await deps.push.markFailed(job.data.attemptIds, job.data.results, err instanceof Error ? err.message : String(err));
    throw err;
  }
}
