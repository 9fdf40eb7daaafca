/**
 * The queued side of grading: what the grading, sector and bulk processors
 * do (workers/ only wire these up), how a whole-exam run is started, and how
 * any of these jobs reads back through GET /api/jobs/:jobId.
 *
 * A whole-exam run (`POST /api/exams/:id/grading`, `npm run grade`) is one
 * bulk job that splits the exam's submitted attempts into batches of
 * GRADING_BATCH_SIZE, queues one grading job per batch (so any number of
 * worker processes share the work), and then follows them, publishing
 * `{done, total}` as its progress until every batch has finished. Each batch
 * queues the sector push of what it graded.
 */
import type { JobFailure, JobView } from '../contracts/grading.js';
import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { newId } from '../ids.js';
import type { GradingRunPlan, QueuePayloads, Queues, SectorPushItem } from '../queues/queues.js';
import { pushState, type MarkLevel } from './mark-model.js';
import type { BatchOutcome, GradingFailure, GradingService, ScoreChange } from './grading-service.js';
import { BULK_JOB_OPTIONS, GRADING_JOB_OPTIONS, SECTOR_JOB_OPTIONS } from './job-options.js';

export type GradeExamPayload = Extract<QueuePayloads['bulk'], { kind: 'grade-exam' }>;
export type GradingMode = GradeExamPayload['mode'];
type GradingJob = Job<QueuePayloads['grading']>;
type BulkJob = Job<GradeExamPayload>;

/** A failure as GET /api/jobs/:jobId lists it. */
/** What one grading batch returns (and keeps in its progress when it fails). */
export interface BatchResult {
  attempts: number;
  graded: number;
  unchanged: number;
  pendingManual: number;
  changed: ScoreChange[];
  skipped: GradingFailure[];
  failed: GradingFailure[];
  pushQueued: number;
  timings: BatchOutcome['timings'];
}

/** The progress object of every job these processors run. */
export interface JobProgress {
  done: number;
  total: number;
  failed?: JobFailure[];
  /** A failed batch keeps what it did manage here (failed jobs have no return value). */
  outcome?: BatchResult;
  /** A failed whole-exam run keeps its summary here. */
  summary?: RunSummary;
}

/** How much the changed attempts moved: GET /api/jobs/:jobId `result` of a whole-exam run. */
export interface RunSummary {
  examId: string;
  mode: GradingMode;
  total: number;
  graded: number;
  /** Attempts whose score or per-item result changed (a first grading counts as a change). */
  changed: number;
  /** Of those, graded for the first time. */
  firstGraded: number;
  unchanged: number;
  pendingManual: number;
  skipped: number;
  failed: number;
  /** Of the attempts that had a score before and got a different one. */
  delta: { count: number; min: number; max: number; mean: number; total: number } | null;
  /** Number of attempts per score change, e.g. {"+0.25": 40, "-0.5": 3}. */
  byDelta: Record<string, number>;
  /** The first changes (at most CHANGES_LISTED), for a person to read. */
  changes: (ScoreChange & { delta: number | null })[];
  durationMs: number;
  /** Of durationMs, finding the attempts and queueing the batches. */
  planMs: number;
}

/** Rows of `changes` kept in a run summary. */
export const CHANGES_LISTED = 1000;
/** Entries of `failed` kept on a job. */
const FAILURES_LISTED = 1000;

/** Grades one batch and queues the sector push of what the sector database does not hold yet. */
export async function processGradingJob(job: GradingJob, deps: { grading: GradingService; queues: Pick<Queues, 'sector'> }): Promise<BatchResult> {
  const ids = job.data.attemptIds;
  const outcome = await deps.grading.gradeBatch(ids, job.data.snapshot);
  // Queued even when some attempts are poison: the good ones in the batch still reach the sector database.
  if (outcome.toPush.length) {
    const exams = outcome.exams.map((e) => ({ _id: e._id, title: e.title, subject: e.subject, grade: e.grade }));
    await queueSectorPush(deps.queues.sector, outcome.toPush, exams);
  }
  const result: BatchResult = {
    attempts: ids.length,
    graded: outcome.graded,
    unchanged: outcome.unchanged,
    pendingManual: outcome.pendingManual,
    changed: outcome.changed,
    skipped: outcome.skipped,
    failed: outcome.failed,
    pushQueued: outcome.toPush.length,
    timings: outcome.timings,
  };
  if (outcome.failed.length) {
    const failed = outcome.failed.slice(0, FAILURES_LISTED).map((f) => ({ attemptId: f.attemptId, reason: f.reason }));
    await job.updateProgress({ done: ids.length, total: ids.length, failed, outcome: result } satisfies JobProgress);
    const more = outcome.failed.length > 1 ? ` (and ${outcome.failed.length - 1} more)` : '';
    throw new UnrecoverableError(`${outcome.failed[0]!.reason}${more}`);
  }
  // The copied attempts served their turn; the job record keeps only the ids.
  if (job.data.snapshot) await job.updateData({ attemptIds: ids, runId: job.data.runId, examId: job.data.examId });
  return result;
}

/**
 * Queues the sector push of freshly graded results: the one place that does
 * (a grading batch, a manual grade). `exams` names the exams of the results
 * when the caller has them at hand; the push reads them otherwise.
 */
export async function queueSectorPush(queue: Queues['sector'], results: SectorPushItem[], exams?: QueuePayloads['sector']['exams']): Promise<void> {
  if (results.length === 0) return;
  await queue.add('push', { attemptIds: results.map((r) => r._id), results, ...(exams ? { exams } : {}) }, { ...SECTOR_JOB_OPTIONS, jobId: pushJobId() });
}

/**
 * Ids of sector jobs: named, so that GET /api/jobs/:jobId never confuses one
 * with a job of another queue (BullMQ numbers unnamed jobs per queue).
 */
export function pushJobId(): string {
  return `push-${newId()}`;
}

/** Queues a whole-exam run; the job id is what POST /api/exams/:id/grading answers. */
export async function startExamGrading(queues: Pick<Queues, 'bulk'>, examId: string, mode: GradingMode, requestedBy: string): Promise<string> {
  const jobId = `grade-${newId()}`;
  await queues.bulk.add('grade-exam', { kind: 'grade-exam', examId, mode, requestedBy }, { ...BULK_JOB_OPTIONS, jobId });
  return jobId;
}

export interface RunDeps {
  grading: GradingService;
  /** The sector marks of an exam's attempts (SectorPushService.levels). */
  push: { levels(examId: string): Promise<ReadonlyMap<string, MarkLevel>> };
  gradingQueue: Queue<QueuePayloads['grading']>;
  /** Attempts per batch job. */
  batchSize: number;
  /** How often the run looks at its batches, in ms. @defaultValue 500 */
  pollMs?: number;
}

/** How the worker running a job may ask for it back (SIGTERM). */
export interface RunControl {
  /** The job's lock token, to hand the job back. */
  token?: string;
  /** Aborted when the worker shuts down: the run hands its job back to the queue instead of waiting on. */
  signal?: AbortSignal;
}

/**
 * The whole-exam run (bulk job). `all` grades every submitted attempt whose
 * result is missing or not yet in the sector database; `regrade` re-scores
 * every submitted attempt with the revisions the forms pin now (after a
 * re-pin) and reports how many changed and by how much.
 *
 * A worker shutting down does not wait for the whole run: the run goes back
 * to the queue (delayed a second) with its plan saved, and whichever worker
 * takes it next follows the same batches.
 */
export async function runExamGrading(job: BulkJob, deps: RunDeps, control: RunControl = {}): Promise<RunSummary> {
  const started = Date.now();
  const { examId, mode } = job.data;
  let plan = job.data.plan;
  let planMs = 0;
  if (!plan) {
    // One pass over the exam's attempts; each batch is queued as soon as it fills, so grading starts
    // while the rest is read. Batch ids are fresh for each take of the run: a run taken over after a
    // crash before its plan was saved queues its own batches (the old ones may differ), and grading an
    // attempt twice is harmless (idempotent).
    // The marks, read once, say which attempts have a result and which the sector database holds.
    const levels = await deps.push.levels(examId);
    const skip = mode === 'all' ? pushedAttempts(levels) : new Set<string>();
    const take = newId().slice(-8);
    const children: GradingRunPlan['children'] = [];
    let total = 0;
    for await (const snapshot of deps.grading.snapshots(examId, skip, deps.batchSize, levels)) {
      const id = `${job.id}-${take}-${children.length}`;
      const attemptIds = snapshot.attempts.map((a) => a._id);
      await deps.gradingQueue.add('grade', { attemptIds, runId: job.id!, examId, snapshot }, { ...GRADING_JOB_OPTIONS, jobId: id });
      children.push({ id, n: attemptIds.length });
      total += attemptIds.length;
      // While the exam is still being read, the total grows with it.
      await job.updateProgress({ done: 0, total } satisfies JobProgress);
    }
    plan = { total, children } satisfies GradingRunPlan;
    await job.updateData({ ...job.data, plan });
    planMs = Date.now() - started;
  }
  await job.updateProgress({ done: 0, total: plan.total } satisfies JobProgress);
  const batches = await followBatches(job, plan, deps, control);
  const summary = summarise(examId, mode, plan.total, batches, Date.now() - started, planMs);
  const failed = batches.flatMap((b) => b.failures);
  if (failed.length) {
    await job.updateProgress({ done: plan.total, total: plan.total, failed: failed.slice(0, FAILURES_LISTED), summary } satisfies JobProgress);
    throw new UnrecoverableError(`${summary.failed} of ${plan.total} attempts could not be graded; first: ${failed[0]!.reason}`);
  }
  await job.updateProgress({ done: plan.total, total: plan.total, failed: [] } satisfies JobProgress);
  return summary;
}

/** Attempts whose current result the sector database holds already: an `all` run leaves them be. */
function pushedAttempts(levels: ReadonlyMap<string, MarkLevel>): Set<string> {
  return new Set([...levels].filter(([, level]) => pushState(level) === 'pushed').map(([id]) => id));
}

interface FinishedBatch {
  n: number;
  result: BatchResult | null;
  failures: JobFailure[];
}

/** Waits for every batch, publishing `{done, total}` as they progress. */
async function followBatches(job: BulkJob, plan: GradingRunPlan, deps: RunDeps, control: RunControl): Promise<FinishedBatch[]> {
  const pollMs = deps.pollMs ?? 500;
  const finished = new Map<string, FinishedBatch>();
  let lastDone = -1;
  while (finished.size < plan.children.length) {
    const open = plan.children.filter((c) => !finished.has(c.id));
    // The state alone first (a batch still waiting carries its attempts: no need to fetch them).
    const states = await Promise.all(open.map((c) => deps.gradingQueue.getJobState(c.id)));
    for (const [i, c] of open.entries()) {
      const state = states[i];
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      const child = await deps.gradingQueue.getJob(c.id);
      if (!child || state === 'unknown') {
        // Trimmed from the queue before the run looked (removeOnComplete): it finished; its detail is gone.
        finished.set(c.id, { n: c.n, result: null, failures: [] });
        continue;
      }
      if (state === 'completed') {
        finished.set(c.id, { n: c.n, result: child.returnvalue as BatchResult, failures: [] });
      } else if (state === 'failed') {
        const progress = asProgress(child.progress);
        const failures: JobFailure[] = progress?.failed?.length
          ? progress.failed.map((f) => ({ ...f, jobId: c.id }))
          : [{ jobId: c.id, reason: child.failedReason || 'failed' }];
        finished.set(c.id, { n: c.n, result: progress?.outcome ?? null, failures });
      }
    }
    const done = [...finished.values()].reduce((s, b) => s + b.n, 0);
    const failed = [...finished.values()].flatMap((b) => b.failures).slice(0, FAILURES_LISTED);
    if (done !== lastDone) {
      await job.updateProgress({ done, total: plan.total, failed } satisfies JobProgress);
      lastDone = done;
    }
    if (finished.size === plan.children.length) break;
    if (control.signal?.aborted && control.token) {
      await job.moveToDelayed(Date.now() + 1000, control.token);
      throw new DelayedError('The worker is shutting down; the run continues on the next worker');
    }
    await pause(pollMs, control.signal);
  }
  return plan.children.map((c) => finished.get(c.id)!);
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function signed(x: number): string {
  return x > 0 ? `+${x}` : String(x);
}

function summarise(examId: string, mode: GradingMode, total: number, batches: FinishedBatch[], durationMs: number, planMs: number): RunSummary {
  const s: RunSummary = {
    examId,
    mode,
    total,
    graded: 0,
    changed: 0,
    firstGraded: 0,
    unchanged: 0,
    pendingManual: 0,
    skipped: 0,
    failed: 0,
    delta: null,
    byDelta: {},
    changes: [],
    durationMs,
    planMs,
  };
  const deltas: number[] = [];
  for (const b of batches) {
    const r = b.result;
    if (!r) {
      // A batch whose detail is gone (trimmed) counts as graded unchanged; a failed one without detail as all failed.
      if (b.failures.length === 0) {
        s.graded += b.n;
        s.unchanged += b.n;
      } else s.failed += b.n;
      continue;
    }
    s.failed += r.failed.length;
    s.graded += r.graded;
    s.unchanged += r.unchanged;
    s.pendingManual += r.pendingManual;
    s.skipped += r.skipped.length;
    for (const c of r.changed) {
      s.changed += 1;
      const delta = c.before === null ? null : Math.round((c.after - c.before) * 100) / 100;
      if (c.before === null) s.firstGraded += 1;
      if (delta !== null && delta !== 0) {
        deltas.push(delta);
        const key = signed(delta);
        s.byDelta[key] = (s.byDelta[key] ?? 0) + 1;
      }
      if (s.changes.length < CHANGES_LISTED) s.changes.push({ ...c, delta });
    }
  }
  if (deltas.length) {
    const sum = deltas.reduce((a, b) => a + b, 0);
    s.delta = {
      count: deltas.length,
      min: Math.min(...deltas),
      max: Math.max(...deltas),
      mean: Math.round((sum / deltas.length) * 100) / 100,
      total: Math.round(sum * 100) / 100,
    };
  }
  return s;
}

function asProgress(p: unknown): JobProgress | null {
  return typeof p === 'object' && p !== null && 'total' in p ? (p as JobProgress) : null;
}

export type { JobFailure, JobView } from '../contracts/grading.js';

export interface FoundJob {
  view: JobView;
  /** The exam the job belongs to, when the job says (bulk and batch jobs); else the attempts to look it up by. */
  examId: string | null;
  attemptIds: string[];
  requestedBy: string | null;
}

/** Finds a job in the bulk, grading or sector queue. */
export async function findJob(queues: Pick<Queues, 'bulk'> & Partial<Pick<Queues, 'grading' | 'sector'>>, jobId: string): Promise<FoundJob | null> {
  const bulk = await queues.bulk.getJob(jobId);
  if (bulk) return { view: await viewOf('bulk', bulk, 0), examId: bulk.data.examId, attemptIds: [], requestedBy: bulk.data.requestedBy };
  const grading = await queues.grading?.getJob(jobId);
  if (grading) return { view: await viewOf('grading', grading, grading.data.attemptIds.length), examId: grading.data.examId ?? null, attemptIds: grading.data.attemptIds, requestedBy: null };
  const sector = await queues.sector?.getJob(jobId);
  if (sector) return { view: await viewOf('sector', sector, sector.data.attemptIds.length), examId: null, attemptIds: sector.data.attemptIds, requestedBy: null };
  return null;
}

async function viewOf(queue: JobView['queue'], job: Job, size: number): Promise<JobView> {
  const state = await job.getState();
  const progress = asProgress(job.progress);
  const total = progress?.total ?? size;
  const done = progress?.done ?? (state === 'completed' ? total : 0);
  let failed: JobFailure[] = progress?.failed ?? [];
  if (state === 'failed' && failed.length === 0) failed = [{ reason: job.failedReason || 'failed' }];
  return {
    id: job.id!,
    queue,
    state,
    progress: { done, total },
    failed,
    result: job.returnvalue ?? progress?.summary ?? progress?.outcome ?? null,
    attemptsMade: job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}
