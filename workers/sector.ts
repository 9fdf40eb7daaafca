import { processSectorJob } from '../src/sector/sector-jobs.js';
import type { Registration } from './registry.js';

/**
 * Sector pushes: version-guarded upserts into the sector database. While it
 * is unreachable the job fails and is retried with capped backoff; after
 * the last retry its results count as failed in GET /api/exams/:id/sector-sync.
 */
export const sectorRegistration: Registration<'sector'> = {
  queue: 'sector',
  concurrency: 2,
  factory: (ctx) => {
    const push = ctx.services.sectorPush;
    return (job) => processSectorJob(job, { push });
  },
};
