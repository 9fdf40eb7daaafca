import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, rightAnswer, settled, submitAttempts } from '../support/grading.js';

t.test('a poison attempt fails its job at once, with its reason visible through the API, and the rest of the batch is graded', async (t) => {
  const { app, config } = await build(t, { JOB_BACKOFF_MS: '50' });
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 3, types: ['single_choice', 'true_false'], prefix: 'pz' });
  const manager = fx.world.manager;
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (_i, item) => rightAnswer(item));
  // The third attempt names a form that is not in the exam's assembly.
  const poison = submitted[2]!.attemptId;
  await app.models.Attempt.updateOne({ _id: poison }, { $set: { formCode: '999' } });
  const { ctx } = await inProcessWorkers(t, config);
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const gradingEvents = await queueEvents(t, config, 'grading');

  await t.test('a whole-exam run', async (t) => {
    const jobId = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } })).json().jobId as string;
    const job = await settled(ctx.queues.bulk, bulkEvents, jobId);
    t.equal(job.attemptsMade, 1, 'not retried');
    const view = (await manager({ method: 'GET', url: `/api/jobs/${jobId}` })).json();
    t.equal(view.state, 'failed');
    t.same(view.progress, { done: 3, total: 3 });
    t.equal(view.failed.length, 1);
    t.match(view.failed[0], { attemptId: poison, reason: /Form 999 of exam .* is not in its current assembly/ });
    t.match(view.result, { total: 3, graded: 2, failed: 1 });
    const results = (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).json().results as { attemptId: string; score: number }[];
    t.same(results.map((r) => r.attemptId).sort(), [submitted[0]!.attemptId, submitted[1]!.attemptId].sort(), 'the good attempts are graded');
  });

  await t.test('a job from the live path (job id = attempt id) over a form pinning a missing revision', async (t) => {
    const other = await publishedExam(app, { world: fx.world, types: ['single_choice'], prefix: 'pz' });
    const exam = (await app.models.Exam.findById(other.examId).lean())!;
    await submitAttempts(app, other.examId, [fx.candidateIds[0]!], (_i, item) => rightAnswer(item));
    await app.models.Form.updateOne({ examId: other.examId, assemblyId: exam.assemblyId, code: '101' }, { $set: { 'items.0.revision': 99 } });
    const attemptId = attemptIdFor(other.examId, fx.candidateIds[0]!);
    await ctx.queues.grading.add('grade', { attemptIds: [attemptId] }, { jobId: attemptId, attempts: 5, backoff: { type: 'exponential', delay: 50 } });
    const job = await settled(ctx.queues.grading, gradingEvents, attemptId);
    t.equal(job.attemptsMade, 1, 'not retried');
    const view = (await manager({ method: 'GET', url: `/api/jobs/${attemptId}` })).json();
    t.match(view, { queue: 'grading', state: 'failed', progress: { done: 1, total: 1 } });
    t.match(view.failed, [{ attemptId, reason: /Pinned revision .*@99 of form 101 is missing/ }]);
    t.equal((await fx.world.otherManager({ method: 'GET', url: `/api/jobs/${attemptId}` })).statusCode, 404, 'found through its attempt\'s exam');
  });
});
