import { Worker } from 'bullmq';
import { cappedBackoff } from '../src/grading/job-options.js';
import type { WorkerContext } from './context.js';
import { REGISTRATIONS } from './registry.js';

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs and waits for those in flight to finish. */
  close(): Promise<void>;
}

export function startWorkers(ctx: WorkerContext, log: (msg: string) => void = console.log): RunningWorkers {
  const workers = REGISTRATIONS.map((reg) => {
    const worker = new Worker(reg.queue, reg.factory(ctx), {
      connection: ctx.workerConnection,
      prefix: ctx.config.QUEUE_PREFIX,
      concurrency: reg.concurrency ?? 1,
      // A job whose worker died (SIGKILL) is taken up again once its lock lapses.
      lockDuration: ctx.config.WORKER_LOCK_MS,
      stalledInterval: ctx.config.WORKER_STALLED_MS,
      settings: { backoffStrategy: cappedBackoff(ctx.config) },
    });
    // Processors that take an abort signal (long runs) hand their job back instead of being waited for.
    worker.on('closing', () => worker.cancelAllJobs('worker shutting down'));
    worker.on('error', (err) => log(`worker ${reg.queue} error: ${err.message}`));
    worker.on('failed', (job, err) => log(`job ${reg.queue}/${job?.id} failed: ${err.message}`));
    return worker;
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
