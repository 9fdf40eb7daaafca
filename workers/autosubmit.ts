import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import { AttemptLogStore } from '../src/live/attempt-log.js';
import { modelExamSource } from '../src/live/exam-source.js';
import { deadlineJobId, LiveService, type AutoSubmitResult } from '../src/live/live-service.js';
import { LivePresence } from '../src/live/presence.js';
import type { QueuePayloads } from '../src/queues/queues.js';
import type { WorkerContext } from './context.js';
import type { Registration } from './registry.js';

/** A job that fires this close to the deadline (clocks differ a little) waits for it instead of rescheduling. */
const WAIT_FOR_DEADLINE_MS = 5000;

/** The live service as a worker uses it: hand-ins and their follow-up, no sockets. */
export function workerLiveService(ctx: WorkerContext): LiveService {
  const warn = (msg: string, err?: unknown) => console.warn(msg, err instanceof Error ? err.message : (err ?? ''));
  return new LiveService({
    Attempt: ctx.models.Attempt,
    log: new AttemptLogStore(ctx.models.AttemptLog, { windowMs: 2 }),
    exams: modelExamSource(ctx.models.Exam),
    queues: ctx.queues,
    // Publishes the hand-in to whichever API process holds the socket; names carry the key prefix.
    presence: new LivePresence({ redis: ctx.workerConnection, prefix: ctx.config.REDIS_KEY_PREFIX, warn }),
    warn,
  });
}

/**
 * The deadline job of one attempt: hands it in if the deadline has passed
 * (same code as the API's fallback), or finishes a hand-in a crash
 * interrupted. A job that fires early — the deadline moved by an extension —
 * does nothing but make sure a job for the current deadline exists.
 */
export function autosubmitProcessor(live: LiveService) {
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
  factory: (ctx) => autosubmitProcessor(workerLiveService(ctx)),
};
