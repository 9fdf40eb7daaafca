/**
 * The live exam, without Fastify: join and resume, extensions, the
 * proctors' monitor and the candidate's exam list. The hand-in, the deadline
 * and the attempt log belong to the attempts domain (src/attempts/
 * attempt-service.ts), which the API's sessions reach through `attempts` and
 * the `autosubmit` worker uses directly.
 *
 * Storage is the attempts domain's (attempt-model.ts and log-model.ts there):
 * every change to an attempt in progress is an insert of the next log entry,
 * whose duplicate-key check orders concurrent writers (a replaced tab, the
 * deadline job, an extension).
 */
import type { mongo } from 'mongoose';
import type { Extension, LiveRow } from '../contracts/live.js';
import { attemptIdFor, emptyCheckpoint, type Attempt, type AttemptModel, type SubmitReason } from '../attempts/attempt-model.js';
import type { AttemptLogStore } from '../attempts/attempt-log.js';
import { MAX_CAS_ROUNDS, type AttemptService } from '../attempts/attempt-service.js';
import { GroupCommitter, insertManyWriter, type GroupCommitOptions } from '../attempts/group-commit.js';
import { applyEntry, computeEndsAt, endsAtOf, infoOf, stateFromCheckpoint, type AttemptInfo, type LiveState } from '../attempts/replay.js';
import { decodeState, encodeState } from '../attempts/state-cache.js';
import type { FormDelivery } from '../exams/candidate-form.js';
import type { Exam } from '../exams/exam-model.js';
import { Conflict, NotFound, ServiceUnavailable, ValidationFailed } from '../errors.js';
import { mapLimit, nativeOf } from '../infra/store.js';
import { CLOSE } from './protocol.js';
import type { LivePresence } from './presence.js';

/** An exam as the live path reads it, with its roster as a set. */
export interface LiveExam {
  exam: Exam;
  candidates: ReadonlySet<string>;
}

/** Where the live path reads exams and forms; the API builds it on `app.exams`. */
export interface LiveExamSource {
  /** The exam, or null. May be a few seconds stale (window and roster changes are rare). */
  exam(examId: string): Promise<LiveExam | null>;
  /** Published exams whose roster lists the candidate. */
  publishedFor(candidateId: string): Promise<Exam[]>;
  /** The form code a candidate sits (stored on the attempt at first join). */
  formCodeFor(exam: Exam, candidateId: string): string;
  /**
   * The form as candidates receive it (allow-listed, no key, opaque option
   * ids), the translation of those ids, and the pinned revisions by item id
   * to check response shapes (never sent to anyone).
   */
  delivery(exam: Exam, formCode: string): Promise<FormDelivery>;
}

export interface LiveServiceDeps {
  Attempt: AttemptModel;
  /** Hand-ins, the deadline job, the attempt log and snapshots (the same service the auto-submit worker uses). */
  attempts: AttemptService;
  exams: LiveExamSource;
  presence: LivePresence;
  warn: (msg: string, err?: unknown) => void;
  /** Group commit of attempt creation (a join storm creates thousands at once). */
  commitOptions?: GroupCommitOptions;
}

/** A join the server refuses: an error frame, then the socket closes with `closeCode`. */
export class JoinRefused extends Error {
  override name = 'JoinRefused';
  constructor(
    readonly closeCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type JoinResult =
  | {
      kind: 'state';
      info: AttemptInfo;
      state: LiveState;
      /** Checkpoint position the attempt document holds (sessions write a new one every so often). */
      checkpointN: number;
      delivery: FormDelivery;
    }
  | { kind: 'submitted'; attemptId: string; at: Date; reason: SubmitReason }
  | { kind: 'replaced' };

/** Joins after the first one. */
function reconnectsOf(joins: number | undefined): number {
  return Math.max(0, (joins ?? 0) - 1);
}

export interface MyExamRow {
  id: string;
  title: string;
  opensAt: string;
  closesAt: string;
  durationMinutes: number;
  /** The candidate's standing: submitted, in_progress, or the window (upcoming, open, closed). */
  status: 'upcoming' | 'open' | 'closed' | 'in_progress' | 'submitted';
  attemptId: string | null;
  endsAt: string | null;
}

/**
 * How many log entries a session applies before it writes a snapshot onto the
 * attempt document. Resumes normally start from the Redis cache; the snapshot
 * bounds the log read when Redis lost it. Kept rare: each one rewrites the
 * attempt document.
 */
export const CHECKPOINT_EVERY = 200;
/**
 * How many log entries a session applies between two writes of its state to
 * the Redis cache (it is also written at join and when the socket closes). A
 * resume after a crash reads at most this many entries from the log.
 */
export const STATE_CACHE_EVERY = 16;
/** A monitor entry older than this means the holding process is gone. */
export const LIVE_STALE_MS = 60_000;

export class LiveService {
  private readonly collection: mongo.Collection<Attempt>;
  private readonly creator: GroupCommitter<Attempt>;

  constructor(private readonly deps: LiveServiceDeps) {
    this.collection = nativeOf<Attempt>(deps.Attempt);
    this.creator = new GroupCommitter<Attempt>(insertManyWriter(this.collection), deps.commitOptions);
  }

  /** The attempts domain: the hand-in, the deadline job, the log, snapshots. */
  get attempts(): AttemptService {
    return this.deps.attempts;
  }

  /** The attempt log (the sessions' group commit). */
  get log(): AttemptLogStore {
    return this.attempts.log;
  }

  get presence(): LivePresence {
    return this.deps.presence;
  }

  // ---------------------------------------------------------------- join

  /** The candidate ids of a published exam (from the live exam cache), or null. */
  async roster(examId: string): Promise<readonly string[] | null> {
    const live = await this.deps.exams.exam(examId);
    return live && live.exam.status === 'published' ? [...live.candidates] : null;
  }

  /**
   * Checks a join and returns the attempt's state, creating the attempt on
   * the first join. Writes a join entry (a fence) before answering, so that
   * an older connection of the same candidate can no longer write, and the
   * state returned is exactly the log up to that fence.
   */
  async join(candidateId: string, examId: string, conn: string, gen: number): Promise<JoinResult> {
    const live = await this.deps.exams.exam(examId);
    if (live?.exam.status !== 'published') throw new JoinRefused(CLOSE.notFound, 'not_found', 'No such exam is open for candidates');
    if (!live.candidates.has(candidateId)) throw new JoinRefused(CLOSE.forbidden, 'forbidden', 'You are not a candidate of this exam');
    const { exam } = live;
    const attemptId = attemptIdFor(examId, candidateId);
    const loaded = await this.load(exam, attemptId, candidateId);
    if ('submitted' in loaded) return { kind: 'submitted', attemptId, ...loaded.submitted };
    const { info, state } = loaded;
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      if (state.submitted) {
        // Make sure the hand-in was finished (final answers, grading) before saying so.
        await this.attempts.autoSubmit(attemptId);
        return { kind: 'submitted', attemptId, at: state.submitted.at, reason: state.submitted.reason };
      }
      if (state.gen > gen) return { kind: 'replaced' };
      if (Date.now() >= endsAtOf(info, state).getTime()) {
        const r = await this.attempts.autoSubmit(attemptId);
        if (r.status === 'submitted' || r.status === 'already_submitted') return { kind: 'submitted', attemptId, at: r.at, reason: 'time_up' };
        await this.attempts.catchUp(attemptId, state);
        continue;
      }
      // The fence. Its insert is also the check that `state` is the whole log: had anything
      // been written after it (a stale cache, a concurrent writer), this position is taken.
      const fence = this.attempts.entry(info, state.n + 1, conn, gen, [{ type: 'join', gen, at: new Date() }]);
      const outcome = await this.attempts.log.append(fence);
      if (outcome === 'ok') {
        applyEntry(state, fence);
        await this.attempts.scheduleDeadline(attemptId, endsAtOf(info, state));
        const delivery = await this.deps.exams.delivery(exam, info.formCode);
        return { kind: 'state', info, state, checkpointN: loaded.cpN, delivery };
      }
      if (outcome === 'failed') throw new ServiceUnavailable('unavailable', 'The database did not answer; try again');
      await this.attempts.catchUp(attemptId, state);
    }
    throw new ServiceUnavailable('unavailable', 'The attempt is changing too fast; try again');
  }

  /**
   * The attempt and a state to start from, reading as little as possible:
   * the Redis cache when it has the attempt (no database read at all), else
   * a new attempt (one batched insert), else the attempt document and the
   * log after its snapshot. Each read is a database round trip that a join
   * storm multiplies by thousands, so the cache and the batched insert come first.
   */
  private async load(
    exam: Exam,
    attemptId: string,
    candidateId: string,
  ): Promise<{ info: AttemptInfo; state: LiveState; cpN: number } | { submitted: { at: Date; reason: SubmitReason } }> {
    const cached = await this.deps.presence.getState(attemptId);
    const decoded = cached ? decodeState(cached.json, cached.n) : null;
    if (decoded && decoded.info.attemptId === attemptId) return decoded;
    const now = Date.now();
    if (now >= exam.opensAt.getTime() && now < exam.closesAt.getTime()) {
      const created = await this.createAttempt(exam, attemptId, candidateId, now);
      if (created) return { info: infoOf(created), state: stateFromCheckpoint(created.cp), cpN: 0 };
    }
    const doc = await this.attempts.find(attemptId);
    if (!doc) {
      if (now < exam.opensAt.getTime()) throw new JoinRefused(CLOSE.notOpen, 'exam_not_open', 'The exam is not open yet');
      throw new JoinRefused(CLOSE.notOpen, 'exam_closed', 'The exam is closed');
    }
    if (doc.status === 'submitted') {
      if (!doc.gradingQueuedAt) await this.attempts.autoSubmit(attemptId);
      return { submitted: { at: new Date(doc.submittedAt ?? doc.endsAt), reason: doc.submitReason ?? 'candidate' } };
    }
    const state = stateFromCheckpoint(doc.cp);
    await this.attempts.catchUp(attemptId, state);
    return { info: infoOf(doc), state, cpN: doc.cp?.n ?? 0 };
  }

  /** Creates the attempt; null when it already exists. */
  private async createAttempt(exam: Exam, attemptId: string, candidateId: string, now: number): Promise<Attempt | null> {
    const startedAt = new Date(now);
    const doc: Attempt = {
      _id: attemptId,
      examId: exam._id,
      candidateId,
      orgPath: exam.orgPath ?? [],
      formCode: this.deps.exams.formCodeFor(exam, candidateId),
      status: 'in_progress',
      startedAt,
      durationMinutes: exam.durationMinutes,
      closesAt: new Date(exam.closesAt),
      endsAt: computeEndsAt(startedAt, exam.durationMinutes, 0, new Date(exam.closesAt)),
      extraMinutes: 0,
      cp: emptyCheckpoint(),
      answers: {},
      flags: [],
      lastSeq: 0,
      eventCounts: {},
      createdAt: startedAt,
    };
    const result = await this.creator.commit(() => doc);
    if (result?.outcome === 'ok') return doc;
    if (result?.outcome === 'duplicate') return null; // it exists: the caller reads it
    throw new ServiceUnavailable('unavailable', 'The database did not answer; try again');
  }

  // ---------------------------------------------------------------- extensions

  /**
   * Grants extra minutes (they add up). Applies at once: the log gets an
   * `extend` entry, the deadline job moves and the socket's process sends
   * `time`. A candidate who has not started gets them when they start.
   */
  async extend(examId: string, candidateId: string, extraMinutes: number, by: string): Promise<Extension> {
    const live = await this.deps.exams.exam(examId);
    if (!live) throw new NotFound('Exam');
    if (!live.candidates.has(candidateId)) throw new ValidationFailed('The candidate is not on this exam', [{ instancePath: '/candidateId', message: 'not a candidate of this exam' }]);
    const attemptId = attemptIdFor(examId, candidateId);
    let doc = await this.attempts.find(attemptId);
    if (doc?.status === 'submitted') throw new Conflict('already_submitted', 'The candidate has already handed in');
    const state = stateFromCheckpoint(doc?.cp);
    await this.attempts.catchUp(attemptId, state);
    const target = { attemptId, examId };
    let done = false;
    for (let round = 0; round < MAX_CAS_ROUNDS && !done; round++) {
      if (state.submitted) throw new Conflict('already_submitted', 'The candidate has already handed in');
      const entry = this.attempts.entry(target, state.n + 1, `system:extend:${by}`, 0, [{ type: 'extend', extraMinutes, by, at: new Date() }]);
      const outcome = await this.attempts.log.append(entry);
      if (outcome === 'ok') {
        applyEntry(state, entry);
        done = true;
      } else if (outcome === 'failed') {
        throw new ServiceUnavailable('unavailable', 'The database did not answer; try again');
      } else {
        await this.attempts.catchUp(attemptId, state);
      }
    }
    if (!done) throw new ServiceUnavailable('unavailable', 'The attempt kept changing; try again');
    // The candidate may have started meanwhile: their join read the log before or after this entry.
    doc ??= await this.attempts.find(attemptId);
    if (!doc) return { candidateId, extraMinutes: state.extraMinutes, endsAt: null };
    const info = infoOf(doc);
    const endsAt = endsAtOf(info, state);
    await this.collection.updateOne({ _id: attemptId }, { $max: { endsAt, extraMinutes: state.extraMinutes } });
    await this.attempts.scheduleDeadline(attemptId, endsAt);
    await this.deps.presence.publish({ t: 'time', attemptId, endsAt: endsAt.toISOString() });
    return { candidateId, extraMinutes: state.extraMinutes, endsAt: endsAt.toISOString() };
  }

  // ---------------------------------------------------------------- state cache

  /** Caches the session's state in Redis (at the next flush, or now), so a resume reads no log. */
  cacheState(info: AttemptInfo, state: LiveState, cpN: number, now = false): Promise<void> | void {
    if (now) return this.deps.presence.setStateNow(info.attemptId, state.n, encodeState(info, state, cpN));
    this.deps.presence.setState(info.attemptId, () => ({ n: state.n, json: encodeState(info, state, cpN) }));
  }

  // ---------------------------------------------------------------- reads for the API

  /** GET /api/exams/:id/monitor: one row per candidate on the roster. */
  async monitor(exam: Exam): Promise<LiveRow[]> {
    const { live, submitted } = await this.deps.presence.read(exam._id);
    const now = Date.now();
    const rows: LiveRow[] = [];
    const unknown: { index: number; candidateId: string }[] = [];
    for (const candidateId of exam.candidateIds) {
      const sub = submitted.get(candidateId);
      const l = live.get(candidateId);
      if (sub) {
        rows.push({ candidateId, state: 'submitted', connected: false, answered: sub.answered, lastSeenAt: l?.lastSeenAt ?? sub.at, events: sub.events, reconnects: reconnectsOf(sub.joins ?? l?.joins) });
      } else if (l) {
        const connected = l.connected && now - l.hb < LIVE_STALE_MS;
        rows.push({ candidateId, state: 'in_progress', connected, answered: l.answered, lastSeenAt: l.lastSeenAt, events: l.events, reconnects: reconnectsOf(l.joins) });
      } else {
        unknown.push({ index: rows.length, candidateId });
        rows.push({ candidateId, state: 'not_started', connected: false, answered: 0, lastSeenAt: null, events: {}, reconnects: 0 });
      }
    }
    // Without a live entry (never joined, or Redis lost it) the attempt documents answer: one query for all of them.
    if (unknown.length > 0) {
      const docs = new Map((await this.collection.find({ examId: exam._id }).toArray()).map((d) => [d.candidateId, d]));
      for (const { index, candidateId } of unknown) {
        const doc = docs.get(candidateId);
        if (!doc) continue;
        const row = rows[index]!;
        if (doc.status === 'submitted') {
          Object.assign(row, { state: 'submitted', answered: Object.keys(doc.answers ?? {}).length, events: doc.eventCounts ?? {}, reconnects: reconnectsOf(doc.cp?.joins), lastSeenAt: new Date(doc.submittedAt ?? doc.startedAt).toISOString() });
        } else {
          Object.assign(row, { state: 'in_progress', answered: Object.keys(doc.cp?.answers ?? {}).length, events: doc.cp?.eventCounts ?? {}, reconnects: reconnectsOf(doc.cp?.joins), lastSeenAt: new Date(doc.lastSeenAt ?? doc.startedAt).toISOString() });
        }
      }
    }
    return rows;
  }

  /** GET /api/my/exams: the candidate's published exams and where they stand in each. */
  async myExams(candidateId: string): Promise<MyExamRow[]> {
    const exams = await this.deps.exams.publishedFor(candidateId);
    const now = Date.now();
    const rows = await mapLimit(exams, 8, async (exam) => {
      const attemptId = attemptIdFor(exam._id, candidateId);
      const doc = await this.attempts.find(attemptId);
      let status: MyExamRow['status'];
      if (doc?.status === 'submitted') status = 'submitted';
      else if (doc && now < new Date(doc.endsAt).getTime()) status = 'in_progress';
      else if (doc) status = 'closed';
      else if (now < exam.opensAt.getTime()) status = 'upcoming';
      else if (now < exam.closesAt.getTime()) status = 'open';
      else status = 'closed';
      return {
        id: exam._id,
        title: exam.title,
        opensAt: exam.opensAt.toISOString(),
        closesAt: exam.closesAt.toISOString(),
        durationMinutes: exam.durationMinutes,
        status,
        attemptId: doc ? attemptId : null,
        endsAt: doc ? new Date(doc.endsAt).toISOString() : null,
      };
    });
    return rows.sort((a, b) => (a.opensAt < b.opensAt ? -1 : a.opensAt > b.opensAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** Writes what is queued (attempt creations). */
  async drain(): Promise<void> {
    await this.creator.drain();
  }
}
