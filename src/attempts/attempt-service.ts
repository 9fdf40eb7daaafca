/**
 * Attempts as every process writes them outside a socket: reading an
 * attempt and its log, the deadline job, the hand-in at the deadline and
 * the final write of any hand-in, and the snapshots sessions leave on the
 * attempt document. The API (its sessions and their fallback timers, through
 * the live service) and the `autosubmit` worker use the same instance type,
 * built once per process by the composition root, so a hand-in is finished
 * the same way wherever it happens and workers never need the socket layer.
 *
 * Storage (see attempt-model.ts and log-model.ts): an attempt document per
 * candidate and exam, and an append-only log per attempt. Every change to an
 * attempt in progress is an insert of the next log entry through the
 * process's group commit (attempt-log.ts); the insert's duplicate-key check
 * orders concurrent writers (a replaced tab, the deadline job, an
 * extension). The attempt document carries a snapshot of the log and, once
 * submitted, the final answers graders read.
 */
import type { Queue } from 'bullmq';
import type { mongo } from 'mongoose';
import { nativeOf } from '../infra/store.js';
import type { QueuePayloads } from '../queues/queues.js';
import type { Attempt, AttemptModel, EventCounts, SubmitReason } from './attempt-model.js';
import type { AttemptLogStore } from './attempt-log.js';
import { deadlineJobId, type AttemptFinaliser, type AutoSubmitResult } from './finalisation.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { logEntryId, type LogEntry, type LogFrame } from './log-model.js';
import { applyEntry, endsAtOf, infoOf, stateFromCheckpoint, toCheckpoint, type AttemptInfo, type LiveState } from './replay.js';
import { encodeState } from './state-cache.js';

/**
 * Where a hand-in is announced (the live presence in Redis): the state
 * cache a resume reads, the proctors' monitor, and the process holding the
 * candidate's socket. Best effort: the attempt document and log are the truth.
 */
export interface HandInNotices {
  /** Writes the attempt's cached state (`live:st:`) unless a later one is there. */
  setStateNow(attemptId: string, n: number, json: string): Promise<void>;
  /** Marks the candidate handed in on the exam's monitor. */
  setSubmitted(examId: string, candidateId: string, entry: { at: string; reason: SubmitReason; answered: number; events: EventCounts; joins?: number }): Promise<void>;
  /** Tells every API process, so the one holding the socket ends it. */
  publish(msg: { t: 'submitted'; attemptId: string; at: string; reason: SubmitReason }): Promise<void>;
}

export interface AttemptServiceDeps {
  Attempt: AttemptModel;
  /** The process's attempt log (one group committer per process). */
  log: AttemptLogStore;
  queues: { grading: Queue<QueuePayloads['grading']>; autosubmit: Queue<QueuePayloads['autosubmit']> };
  notices: HandInNotices;
  warn: (msg: string, err?: unknown) => void;
  /** Batching of deadline jobs (a join storm queues thousands at once). */
  commitOptions?: GroupCommitOptions;
}

/** Rounds of "read what won, try again" before a writer gives up. */
export const MAX_CAS_ROUNDS = 20;

export class AttemptService implements AttemptFinaliser {
  private readonly attempts: mongo.Collection<Attempt>;
  /** Snapshots waiting to be written onto attempt documents, by attempt id. */
  private readonly checkpoints = new Map<string, { state: ReturnType<typeof toCheckpoint>; lastSeenAt: Date }>();
  private checkpointing: Promise<void> | null = null;
  /** Deadline jobs queued in batches (a join storm queues thousands). */
  private readonly deadlines: GroupCommitter<{ _id: string; attemptId: string; endsAt: Date }>;
  /** Deadline jobs this process has queued already: a resume need not queue them again. */
  private readonly scheduled = new Set<string>();

  constructor(private readonly deps: AttemptServiceDeps) {
    this.attempts = nativeOf<Attempt>(deps.Attempt);
    this.deadlines = new GroupCommitter(async (jobs) => {
      try {
        // A job id that exists already is left as it is: queueing the same deadline twice is a no-op.
        await deps.queues.autosubmit.addBulk(
          jobs.map((j) => ({ name: 'autosubmit', data: { attemptId: j.attemptId }, opts: { jobId: j._id, delay: Math.max(0, j.endsAt.getTime() - Date.now()) } })),
        );
        return jobs.map(() => 'ok' as const);
      } catch {
        return jobs.map(() => 'failed' as const);
      }
    }, deps.commitOptions);
  }

  /** The attempt log: sessions append their frames through its group commit. */
  get log(): AttemptLogStore {
    return this.deps.log;
  }

  /** The attempt document, or null. */
  find(attemptId: string): Promise<Attempt | null> {
    return this.attempts.findOne({ _id: attemptId });
  }

  /** Applies the log entries after `state.n`; returns them. */
  async catchUp(attemptId: string, state: LiveState): Promise<LogEntry[]> {
    const entries = await this.deps.log.readAfter(attemptId, state.n);
    for (const e of entries) applyEntry(state, e);
    return entries;
  }

  /** The log entry at position `n` of an attempt, written by `conn` (a socket, or `system:<who>`). */
  entry(info: Pick<AttemptInfo, 'attemptId' | 'examId'>, n: number, conn: string, gen: number, frames: LogFrame[]): LogEntry {
    return { _id: logEntryId(info.attemptId, n), attemptId: info.attemptId, examId: info.examId, n, conn, gen, at: new Date(), frames };
  }

  // ---------------------------------------------------------------- deadline and hand-in

  /**
   * Queues the deadline job. Its id names the attempt and the deadline, so a
   * second call for the same deadline is a no-op and an extension adds a new
   * job (the old one finds the attempt not due and does nothing). Queued in
   * batches. Best effort: with Redis away the socket's own fallback timer and
   * the next join or extension schedule it again.
   */
  async scheduleDeadline(attemptId: string, endsAt: Date): Promise<void> {
    const jobId = deadlineJobId(attemptId, endsAt);
    if (this.scheduled.has(jobId)) return;
    const result = await this.deadlines.commit(() => ({ _id: jobId, attemptId, endsAt }));
    if (result?.outcome === 'ok') {
      if (this.scheduled.size >= 100_000) this.scheduled.clear();
      this.scheduled.add(jobId);
    } else {
      this.deps.warn('live: could not queue the deadline job');
    }
  }

  /** Forgets which deadline jobs this process queued: after Redis lost its data they may be gone (DeadlineRecovery). */
  forgetScheduled(): void {
    this.scheduled.clear();
  }

  /**
   * Submits the attempt if its deadline has passed (the deadline job and the
   * API's fallback timer both call this; whichever comes second finds it
   * submitted). Also finishes a hand-in whose final write or grading job a
   * crash interrupted.
   */
  async autoSubmit(attemptId: string): Promise<AutoSubmitResult> {
    const doc = await this.find(attemptId);
    if (!doc) return { status: 'missing' };
    if (doc.status === 'submitted' && doc.gradingQueuedAt && doc.submittedAt) return { status: 'already_submitted', at: new Date(doc.submittedAt) };
    const info = infoOf(doc);
    const state = stateFromCheckpoint(doc.status === 'submitted' ? null : doc.cp);
    await this.catchUp(attemptId, state);
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      if (state.submitted) {
        await this.finalize(info, state);
        return { status: 'already_submitted', at: state.submitted.at };
      }
      const endsAt = endsAtOf(info, state);
      if (Date.now() < endsAt.getTime()) return { status: 'not_due', endsAt };
      const entry = this.entry(info, state.n + 1, 'system:deadline', 0, [{ type: 'submit', reason: 'time_up', at: new Date() }]);
      const outcome = await this.deps.log.append(entry);
      if (outcome === 'ok') {
        applyEntry(state, entry);
        await this.finalize(info, state);
        return { status: 'submitted', at: state.submitted!.at };
      }
      if (outcome === 'failed') throw new Error('writing the hand-in failed');
      await this.catchUp(attemptId, state);
    }
    throw new Error('the attempt kept changing while it was being handed in');
  }

  /**
   * After a submit entry is in the log: writes the final answers onto the
   * attempt, queues grading (job id = attempt id, so at most one), and tells
   * the proctors' monitor and the process holding the socket. Idempotent.
   * Failures here do not undo the hand-in (the log holds it); the deadline
   * job runs this again for any attempt whose `gradingQueuedAt` is unset.
   */
  async finalize(info: AttemptInfo, state: LiveState): Promise<void> {
    const sub = state.submitted;
    if (!sub) throw new Error('finalize needs a submitted state');
    const endsAt = endsAtOf(info, state);
    const answered = state.answers.size;
    try {
      await this.attempts.updateOne(
        { _id: info.attemptId },
        {
          $set: {
            status: 'submitted',
            submittedAt: sub.at,
            submitReason: sub.reason,
            answers: Object.fromEntries(state.answers),
            flags: [...state.flags],
            lastSeq: state.lastSeq,
            eventCounts: state.eventCounts,
            extraMinutes: state.extraMinutes,
            endsAt,
            logN: sub.n,
            cp: toCheckpoint(state),
          },
        },
      );
      await this.deps.queues.grading.add('grade', { attemptIds: [info.attemptId] }, { jobId: info.attemptId });
      await this.attempts.updateOne({ _id: info.attemptId }, { $set: { gradingQueuedAt: new Date() } });
    } catch (err) {
      this.deps.warn('live: finishing a hand-in failed; the deadline job will finish it', err);
    }
    this.checkpoints.delete(info.attemptId);
    await this.deps.notices.setStateNow(info.attemptId, state.n, encodeState(info, state, state.n));
    await this.deps.notices.setSubmitted(info.examId, info.candidateId, { at: sub.at.toISOString(), reason: sub.reason, answered, events: state.eventCounts, joins: state.joins });
    await this.deps.notices.publish({ t: 'submitted', attemptId: info.attemptId, at: sub.at.toISOString(), reason: sub.reason });
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Queues a snapshot of a session's state onto the attempt document. Only
   * `cp` is written, never the final fields, so a late snapshot cannot undo
   * a hand-in; an old snapshot only makes the next resume read more entries.
   */
  checkpoint(attemptId: string, state: LiveState): void {
    this.checkpoints.set(attemptId, { state: toCheckpoint(state), lastSeenAt: state.lastFrameAt ?? new Date() });
    this.checkpointing ??= this.writeCheckpoints().finally(() => {
      this.checkpointing = null;
    });
  }

  private async writeCheckpoints(): Promise<void> {
    // One write at a time: snapshots are a convenience and must not crowd out the group commits.
    while (this.checkpoints.size > 0) {
      const [attemptId, cp] = this.checkpoints.entries().next().value!;
      this.checkpoints.delete(attemptId);
      try {
        await this.attempts.updateOne({ _id: attemptId }, { $set: { cp: cp.state, lastSeenAt: cp.lastSeenAt } });
      } catch (err) {
        this.deps.warn('live: checkpoint write failed (the log still holds everything)', err);
      }
    }
  }

  /** Writes what is queued (deadline jobs, checkpoints). The attempt log drains itself. */
  async drain(): Promise<void> {
    await this.deadlines.drain();
    if (this.checkpointing) await this.checkpointing;
  }
}
