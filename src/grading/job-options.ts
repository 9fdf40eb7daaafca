import type { JobsOptions } from 'bullmq';
import type { Config } from '../config.js';

/**
 * Backoff type of the grading, sector and bulk jobs: exponential from
 * JOB_BACKOFF_MS, capped at JOB_BACKOFF_MAX_MS, so a sector database that is
 * down for an hour is retried every minute rather than once a day.
 */
export const CAPPED_BACKOFF = 'capped';

/**
 * The workers' `settings.backoffStrategy`. BullMQ calls it only for types it
 * does not know itself ('fixed' and 'exponential' stay BullMQ's); an unknown
 * type other than 'capped' waits JOB_BACKOFF_MS.
 */
export function cappedBackoff(config: Pick<Config, 'JOB_BACKOFF_MS' | 'JOB_BACKOFF_MAX_MS'>) {
  return (attemptsMade: number, type?: string): number => {
    if (type !== CAPPED_BACKOFF) return config.JOB_BACKOFF_MS;
    const exp = config.JOB_BACKOFF_MS * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30));
    return Math.min(exp, config.JOB_BACKOFF_MAX_MS);
  };
}

/** Batches of a whole-exam run: a database outage of a few minutes is ridden out. */
export const GRADING_JOB_OPTIONS: JobsOptions = { attempts: 10, backoff: { type: CAPPED_BACKOFF } };

/** Sector pushes: the sector database may be away for long; with the default cap this retries for about half an hour. */
export const SECTOR_JOB_OPTIONS: JobsOptions = { attempts: 40, backoff: { type: CAPPED_BACKOFF } };

/** The tracked whole-exam job; its batches carry the real work, so it retries little. */
export const BULK_JOB_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: CAPPED_BACKOFF } };
