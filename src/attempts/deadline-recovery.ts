/**
 * Deadline jobs live only in Redis (BullMQ). When Redis comes back empty —
 * a restart without persistence, a failover to a replica that had not caught
 * up — every attempt in progress loses its deadline job, and one whose
 * candidate is not connected at the deadline would stay in progress for ever.
 *
 * Each worker process therefore keeps a marker key in Redis. The marker is
 * written after a sweep that re-queues the deadline job of every attempt in
 * progress, so a missing marker means "Redis lost its data, or no sweep has
 * finished yet": the worker sweeps, then writes the marker. Looking for the
 * marker is one GET per interval; the sweep (a scan of the attempts in
 * progress) runs only after a loss. Re-queueing is idempotent (job ids name
 * the attempt and the deadline), so two workers sweeping at once, or a sweep
 * beside candidates rejoining, queue each deadline once. A deadline already
 * past gets a job with no delay, which hands the attempt in at once.
 */
import type { Redis } from 'ioredis';
import type { mongo } from 'mongoose';
import type { Attempt } from './attempt-model.js';

/** The Redis key (under the engine's REDIS_KEY_PREFIX) whose absence means the queued deadline jobs may be gone. */
export const DEADLINE_MARKER_KEY = 'attempts:deadline-jobs-intact';

export interface DeadlineScheduler {
  /** Queues the deadline job of the attempt for this deadline (a no-op when it exists). */
  scheduleDeadline(attemptId: string, endsAt: Date): Promise<void>;
  /** Forgets which deadline jobs this process believes it queued: they may be gone. */
  forgetScheduled(): void;
}

export interface DeadlineRecoveryDeps {
  attempts: mongo.Collection<Attempt>;
  /** The engine's Redis (with its key prefix): the same server as the queues. */
  redis: Redis;
  scheduler: DeadlineScheduler;
  /** How often the marker is looked for, in ms. */
  intervalMs: number;
  log: (message: string) => void;
}

export interface SweepOutcome {
  /** Whether the marker was missing, so a sweep ran. */
  swept: boolean;
  /** Deadline jobs re-queued by the sweep. */
  requeued: number;
}

export class DeadlineRecovery {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepOutcome> | null = null;

  constructor(private readonly deps: DeadlineRecoveryDeps) {}

  /** Sweeps when the marker is missing; one check at a time per process. */
  check(): Promise<SweepOutcome> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async checkOnce(): Promise<SweepOutcome> {
    if ((await this.deps.redis.exists(DEADLINE_MARKER_KEY)) === 1) return { swept: false, requeued: 0 };
    this.deps.scheduler.forgetScheduled();
    let requeued = 0;
    const cursor = this.deps.attempts.find({ status: 'in_progress' }, { projection: { _id: 1, endsAt: 1 } });
    for await (const doc of cursor) {
      await this.deps.scheduler.scheduleDeadline(doc._id, new Date(doc.endsAt));
      requeued++;
    }
    // Written last: a sweep cut off half-way leaves the marker missing, and the next check sweeps again.
    await this.deps.redis.set(DEADLINE_MARKER_KEY, new Date().toISOString());
    if (requeued > 0) this.deps.log(`deadline recovery: the queued deadline jobs were missing; re-queued ${requeued} for the attempts in progress`);
    return { swept: true, requeued };
  }

  /** Checks now, then every `intervalMs`; a failed check (Redis or the database away) is tried again at the next tick. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.check().catch((err: unknown) => this.deps.log(`deadline recovery: check failed, trying again later: ${err instanceof Error ? err.message : String(err)}`));
    };
    tick();
    this.timer = setInterval(tick, this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops the checks and waits for one in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
