import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import { deadlineJobId, type AttemptFinaliser, type AutoSubmitResult } from '../src/attempts/finalisation.js';
import type { QueuePayloads } from '../src/queues/queues.js';
import type { Registration } from './registry.js';

/** A job that fires this close to the deadline (clocks differ a little) waits for it instead of rescheduling. */
const WAIT_FOR_DEADLINE_MS = 5000;

/**
 * The deadline job of one attempt: hands it in if the deadline has passed
 * (same code as the API's fallback), or finishes a hand-in a crash
 * interrupted. A job that fires early — the deadline moved by an extension —
 * does nothing but make sure a job for the current deadline exists.
 */
export function autosubmitProcessor(live: AttemptFinaliser) {
  return async (job: Job<QueuePayloads['autosubmit']>, token?: string): Promise<AutoSubmitResult> => {
    const { attemptId } = job.data;
    let result = await live.autoSubmit(attemptId);
    if (result.status !== 'not_due') return result;
    const wait = result.endsAt.getTime() - Date.now();
    if (wait <= WAIT_FOR_DEADLINE_MS) {
      await sleep(Math.max(0, wait));
      result = await live.autoSubmit(attemptId);
      if (result.status !== 'not_due') return result;
    }
    if (job.id === deadlineJobId(attemptId, result.endsAt) && token) {
      // This very job is the one for the current deadline (it fired early): put it back until then.
      await job.moveToDelayed(result.endsAt.getTime(), token);
      throw new DelayedError();
    }
    await live.scheduleDeadline(attemptId, result.endsAt);
    return result;
  };
}

export const autosubmitRegistration: Registration<'autosubmit'> = {
  queue: 'autosubmit',
  // Each job is a few point reads and writes; at closesAt a whole exam falls due at once.
  concurrency: 8,
  factory: (ctx) => autosubmitProcessor(ctx.services.attempts),
};
