/**
 * Handing attempts in at their deadline, as the processes that do it see it:
 * the API's socket layer (its fallback timer) and the auto-submit worker both
 * go through an `AttemptFinaliser`, so neither needs the other. The attempt
 * service (attempt-service.ts) is the implementation; the composition root
 * builds one per process and hands it out as `services.attempts`.
 */

/** What one auto-submit did. */
export type AutoSubmitResult =
  | { status: 'submitted' | 'already_submitted'; at: Date }
  | { status: 'not_due'; endsAt: Date }
  | { status: 'missing' };

export interface AttemptFinaliser {
  /**
   * Submits the attempt if its deadline has passed; also finishes a hand-in
   * whose final write or grading job a crash interrupted. Idempotent.
   */
  autoSubmit(attemptId: string): Promise<AutoSubmitResult>;
  /** Queues the deadline job of the attempt for this deadline (a no-op when it exists). */
  scheduleDeadline(attemptId: string, endsAt: Date): Promise<void>;
}

/** BullMQ job id of the deadline job of an attempt for one deadline (ids may not contain ':'). */
export function deadlineJobId(attemptId: string, endsAt: Date): string {
  return `${attemptId}-${endsAt.getTime()}`;
}
