import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { deadlineJobId } from '../../src/attempts/finalisation.js';
import { autosubmitProcessor } from '../../workers/autosubmit.js';
import { createWorkerContext } from '../../workers/context.js';
import { build } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';

// The API never hands in by itself here: the deadline job must do it.
const { app, config } = await build(t, { LIVE_AUTOSUBMIT_FALLBACK_MS: '600000' });
// The window closes a few seconds from now, so the deadline (min(start + 60 min, closesAt)) is near.
const fx = await publishedExam(app, { candidates: 3, types: ['single_choice', 'short_text'], closesInMs: 12_000 });
const url = await listen(app);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(i: number) {
  const r = await TestSocket.join(url, fx.tokens[i]!, fx.examId);
  sockets.push(r.socket);
  return r;
}

t.test('at the deadline: nack time_up, then the deadline job hands in — with or without a socket', async (t) => {
  const open = await join(0);
  t.equal(open.first.type, 'state');
  const endsAt = Date.parse(open.first.endsAt as string);
  t.equal(endsAt, fx.closesAt.getTime(), 'the deadline is the closing time when that comes first');
  const single = (open.first.items as { itemId: string; type: string }[]).find((x) => x.type === 'single_choice')!.itemId;
  open.socket.send({ type: 'answer', seq: 1, itemId: single, response: deliveredId(open.first, single, 'B') });
  t.same(await open.socket.next(), { type: 'ack', seq: 1 });

  const gone = await join(1);
  gone.socket.send({ type: 'answer', seq: 1, itemId: single, response: deliveredId(gone.first, single, 'C') });
  gone.socket.send({ type: 'event', seq: 2, kind: 'offline' });
  t.same(await gone.socket.reply(2), { type: 'ack', seq: 2 });
  gone.socket.close();
  await gone.socket.closed;

  // Act just after the deadline (the server's clock is this machine's).
  await sleep(Math.max(0, endsAt - Date.now() + 300));
  open.socket.send({ type: 'answer', seq: 2, itemId: single, response: deliveredId(open.first, single, 'D') });
  t.match(await open.socket.next(), { type: 'nack', seq: 2, error: { code: 'time_up' } }, 'an answer after the deadline');

  // Now a worker process comes up (here: in this process, on the same namespace).
  const ctx = await createWorkerContext(config);
  const worker = new Worker('autosubmit', autosubmitProcessor(ctx.services.attempts), { connection: ctx.workerConnection, prefix: config.QUEUE_PREFIX });
  t.teardown(async () => {
    await worker.close();
    await ctx.close();
  });
  const goneAttempt = attemptIdFor(fx.examId, fx.candidateIds[1]!);
  const goneJob = deadlineJobId(goneAttempt, new Date(endsAt));
  const goneDone = new Promise<unknown>((resolve, reject) => {
    worker.on('completed', (job, result) => job.id === goneJob && resolve(result));
    worker.on('failed', (job, err) => job?.id === goneJob && reject(err));
  });

  const submitted = await open.socket.next((m) => m.type === 'submitted');
  t.equal(submitted.attemptId, attemptIdFor(fx.examId, fx.candidateIds[0]!));
  t.same(await open.socket.next(), { type: 'ended', reason: 'time_up' }, 'the open socket hears of it through Redis');
  t.match(await goneDone, { status: 'submitted' }, 'the attempt with no socket open is handed in too');

  for (const [i, response] of [[0, 'B'], [1, 'C']] as const) {
    const id = attemptIdFor(fx.examId, fx.candidateIds[i]!);
    const doc = await app.models.Attempt.findById(id).lean();
    t.match(doc, { status: 'submitted', submitReason: 'time_up', answers: { [single]: response } }, `candidate ${i}: handed in with the saved answer`);
    t.ok(doc!.submittedAt! >= new Date(endsAt), 'at or after the deadline');
    t.ok(doc!.gradingQueuedAt, 'grading queued');
    t.same((await app.queues.grading.getJob(id))?.data, { attemptIds: [id] });
  }
  const goneDoc = await app.models.Attempt.findById(goneAttempt).lean();
  t.same(goneDoc!.eventCounts, { offline: 1 });

  const late = await join(0);
  t.match(late.first, { type: 'submitted' });
  t.same(await late.socket.next(), { type: 'ended', reason: 'time_up' });

  const never = await join(2);
  t.match(never.first, { type: 'error', error: { code: 'exam_closed' } }, 'no new attempts after closing');
  t.equal((await never.socket.closed).code, 4409);

  // A job that fires again (retry, or a second worker) changes nothing.
  const again = await ctx.services.attempts.autoSubmit(goneAttempt);
  t.equal(again.status, 'already_submitted');
  t.equal((await app.models.Attempt.findById(goneAttempt).lean())!.submittedAt!.getTime(), goneDoc!.submittedAt!.getTime());
});

t.test('a deadline job that fires early (the deadline moved) does nothing', async (t) => {
  const later = await publishedExam(app, { world: fx.world, types: ['true_false'], durationMinutes: 30 });
  const r = await TestSocket.join(url, later.tokens[0]!, later.examId);
  sockets.push(r.socket);
  const id = attemptIdFor(later.examId, later.candidateIds[0]!);
  const result = await app.services.attempts.autoSubmit(id);
  t.match(result, { status: 'not_due' });
  t.equal((result as { endsAt: Date }).endsAt.toISOString(), r.first.endsAt);
  t.equal((await app.models.Attempt.findById(id).lean())!.status, 'in_progress');
  const job = await app.queues.autosubmit.getJob(deadlineJobId(id, new Date(r.first.endsAt as string)));
  t.ok(job && (await job.isDelayed()), 'the deadline job waits in BullMQ');
  r.socket.close();
});
