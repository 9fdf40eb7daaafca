/**
 * Grading fixtures: a published exam (through the HTTP API), submitted
 * attempts written straight into the attempts collection as the live path
 * leaves them at hand-in, BullMQ workers running in this process on the
 * test's own namespace, and waits on queue events.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents, type Job, type Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import mongoose from 'mongoose';
import type { ItemRevision } from '../../src/bank/item-types.js';
import type { Config } from '../../src/config.js';
import type { Form } from '../../src/exams/exam-model.js';
import { attemptIdFor, type Attempt } from '../../src/attempts/attempt-model.js';
import { createWorkerContext, type WorkerContext } from '../../workers/context.js';
import { startWorkers, type RunningWorkers } from '../../workers/runner.js';
import { dataDir } from '../../src/infra/paths.js';
import { ensureFerretBinary, freePort, removeFerretData, spawnFerret } from '../../src/infra/services.js';
import { TEST_DATA_DIR, type TestLike } from '../helper.js';
import { submittedAttempt } from './fixtures/stored.js';

export interface SubmittedFixture {
  attemptId: string;
  candidateId: string;
  formCode: string;
  answers: Record<string, unknown>;
}

/** The current forms of an exam and their pinned revisions (key included). */
export async function formsOf(app: FastifyInstance, examId: string): Promise<{ forms: Form[]; revisions: Map<string, ItemRevision> }> {
  const exam = await app.models.Exam.findById(examId).lean();
  if (!exam?.assemblyId) throw new Error('exam not assembled');
  const forms = await app.models.Form.find({ examId, assemblyId: exam.assemblyId }).sort({ code: 1 }).lean<Form[]>();
  const pins = forms.flatMap((f) => f.items.map((i) => ({ itemId: i.itemId, revision: i.revision })));
  const revisions = new Map((await app.bank.pools.revisions(pins)).map((r) => [`${r.itemId}@${r.revision}`, r]));
  return { forms, revisions };
}

/** A fully right response to an item (essays: a short text a person will grade). */
export function rightAnswer(item: ItemRevision): unknown {
  switch (item.type) {
    case 'single_choice':
      return item.correct[0];
    case 'multiple_choice':
      return [...item.correct];
    case 'true_false':
      return item.value;
    case 'true_false_cluster':
      return { ...item.values };
    case 'numeric':
      return String(item.value).replace('.', ',');
    case 'short_text':
      return item.accepted[0];
    case 'matching':
      return { ...item.pairs };
    case 'ordering':
      return [...item.order];
    case 'cloze':
      return Object.fromEntries(item.blanks.map((b) => [b.id, 'accepted' in b ? b.accepted[0] : 'options' in b ? (b.multiple ? b.correct : b.correct[0]) : b.value]));
    case 'essay':
      return 'Bài làm: hàm số đồng biến trên khoảng (0; +∞) vì đạo hàm dương.';
  }
}

/** A wrong (zero-point) response of the right shape. */
export function wrongAnswer(item: ItemRevision): unknown {
  switch (item.type) {
    case 'single_choice':
      return item.options.find((o) => o.id !== item.correct[0])!.id;
    case 'multiple_choice':
      return item.options.filter((o) => !item.correct.includes(o.id)).map((o) => o.id);
    case 'true_false':
      return !item.value;
    case 'true_false_cluster':
      return Object.fromEntries(Object.entries(item.values).map(([k, v]) => [k, !v]));
    case 'numeric':
      return item.value + 1000;
    case 'short_text':
      return 'sai';
    case 'matching':
      return {};
    case 'ordering':
      return [...item.order].reverse();
    case 'cloze':
      return Object.fromEntries(item.blanks.map((b) => [b.id, 'sai']));
    case 'essay':
      return '';
  }
}

/**
 * Writes submitted attempts as the live path leaves them at hand-in: one per
 * candidate, `answers` by item id, on the form the exam assigns.
 */
export async function submitAttempts(
  app: FastifyInstance,
  examId: string,
  candidateIds: readonly string[],
  answer: (index: number, item: ItemRevision) => unknown,
): Promise<SubmittedFixture[]> {
  const exam = await app.models.Exam.findById(examId).lean();
  if (!exam) throw new Error('no exam');
  const { forms, revisions } = await formsOf(app, examId);
  const now = new Date();
  const out: SubmittedFixture[] = [];
  const docs: Attempt[] = candidateIds.map((candidateId, index) => {
    const formCode = app.exams.formCodeFor(exam, candidateId);
    const form = forms.find((f) => f.code === formCode)!;
    const answers: Record<string, unknown> = {};
    for (const pin of form.items) {
      const r = answer(index, revisions.get(`${pin.itemId}@${pin.revision}`)!);
      if (r !== undefined) answers[pin.itemId] = r;
    }
    const attemptId = attemptIdFor(examId, candidateId);
    out.push({ attemptId, candidateId, formCode, answers });
    return submittedAttempt({ exam, candidateId, formCode, answers, startedAt: new Date(now.getTime() - 600_000), submittedAt: now, lastSeq: form.items.length });
  });
  await app.models.Attempt.collection.insertMany(docs as never[]);
  return out;
}

/** BullMQ workers of every queue, in this process, on the test's namespace; closed (and the sector database dropped) at teardown. */
export async function inProcessWorkers(t: TestLike, config: Config): Promise<{ ctx: WorkerContext; running: RunningWorkers }> {
  const ctx = await createWorkerContext(config);
  const running = startWorkers(ctx, () => {});
  await Promise.all(running.workers.map((w) => w.waitUntilReady()));
  t.teardown(async () => {
    await running.close();
    await ctx.close();
  });
  return { ctx, running };
}

/** Drops the test's sector database at teardown. */
export function dropSectorAtEnd(t: TestLike, uri: string): void {
  t.teardown(async () => {
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  });
}

/** QueueEvents of one queue, closed at teardown. */
export async function queueEvents(t: TestLike, config: Config, queue: string): Promise<QueueEvents> {
  const events = new QueueEvents(queue, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
  await events.waitUntilReady();
  t.teardown(() => events.close());
  return events;
}

/** Resolves with the job once it has completed or failed for good. */
export async function settled<T>(queue: Queue<T>, events: QueueEvents, jobId: string, timeoutMs = 120_000): Promise<Job<T>> {
  await (async () => {
    const job = await queue.getJob(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    await job.waitUntilFinished(events, timeoutMs).catch(() => {});
  })();
  return (await queue.getJob(jobId))!;
}

/**
 * Waits until `check` holds, re-checking whenever the queue reports a job
 * completed or failed (or at the latest every `everyMs`, for what no event announces).
 */
export async function until(events: QueueEvents, check: () => Promise<boolean>, timeoutMs = 120_000, everyMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), everyMs);
    await Promise.race([once(events, 'completed', { signal: ac.signal }), once(events, 'failed', { signal: ac.signal })]).catch(() => {});
    clearTimeout(timer);
    ac.abort();
  }
}

/**
 * A FerretDB of this test's own, on a fixed port, that the test starts and
 * stops (a sector database that goes away and comes back). Stopped and its
 * data removed at teardown.
 */
export async function ownFerret(t: TestLike): Promise<{ port: number; uri: (db: string) => string; start(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sector-ferret-'));
  const bin = ensureFerretBinary(dataDir(TEST_DATA_DIR));
  let child: ChildProcess | null = null;
  const stop = async () => {
    if (!child) return;
    const c = child;
    child = null;
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  };
  t.teardown(async () => {
    await stop();
    removeFerretData(dir);
  });
  return {
    port,
    uri: (db) => `mongodb://127.0.0.1:${port}/${db}`,
    async start() {
      child = await spawnFerret(bin, port, dir);
    },
    stop,
  };
}
