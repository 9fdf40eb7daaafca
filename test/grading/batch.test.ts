import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { SectorStore } from '../../src/sector/sector-service.js';
import { SECTOR_SOURCE } from '../../src/sector/sector-model.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, rightAnswer, settled, submitAttempts, until, wrongAnswer } from '../support/grading.js';

t.test('a whole exam is graded in batches, once, and every graded attempt reaches the sector database', async (t) => {
  // Batches of 2: four candidates make two grading jobs.
  const { app, config } = await build(t, { GRADING_BATCH_SIZE: '2' });
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 4, prefix: 'gb' });
  const manager = fx.world.manager;
  // cand0 right everywhere (its essay waits for a person), cand1 wrong everywhere,
  // cand2 right on the automatically scored half, cand3 answered nothing.
  let seen = 0;
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) => {
    if (i === 0) return rightAnswer(item);
    if (i === 1) return wrongAnswer(item);
    if (i === 2) return seen++ % 2 === 0 && item.type !== 'essay' ? rightAnswer(item) : wrongAnswer(item);
    return undefined;
  });
  const { ctx } = await inProcessWorkers(t, config);
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const sectorEvents = await queueEvents(t, config, 'sector');

  const started = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } });
  t.equal(started.statusCode, 202, started.body);
  const { jobId } = started.json();
  const job = await settled(ctx.queues.bulk, bulkEvents, jobId);
  const view = (await manager({ method: 'GET', url: `/api/jobs/${jobId}` })).json();
  t.equal(view.state, 'completed', JSON.stringify(view));
  t.same(view.progress, { done: 4, total: 4 });
  t.same(view.failed, []);
  t.match(view.result, { total: 4, graded: 4, changed: 4, firstGraded: 4, unchanged: 0, pendingManual: 1, failed: 0 });
  t.equal((job.data as { plan?: { children: unknown[] } }).plan?.children.length, 2, 'two batch jobs of two attempts');

  const results = (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).json().results as {
    candidateId: string;
    attemptId: string;
    score: number;
    maxScore: number;
    score10: number;
    status: string;
    version: number;
  }[];
  t.equal(results.length, 4);
  const by = new Map(results.map((r) => [r.candidateId, r]));
  // Ten items of one point each; the essay counts 0 until a person grades it.
  t.match(by.get(fx.candidateIds[0]!), { score: 9, maxScore: 10, score10: 9, status: 'pending_manual', version: 1 });
  t.match(by.get(fx.candidateIds[1]!), { score: 0, maxScore: 10, score10: 0, status: 'graded', version: 1 });
  t.match(by.get(fx.candidateIds[3]!), { score: 0, maxScore: 10, status: 'graded', version: 1 }, 'a blank essay is final at 0');
  const half = by.get(fx.candidateIds[2]!)!;
  t.ok(half.score > 0 && half.score < 9, `partly right: ${half.score}`);

  // Every graded attempt lands in the sector database, with the record SectorResult defines.
  await until(sectorEvents, async () => (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === 4);
  t.same((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json(), { pushed: 4, pending: 0, failed: 0 });
  const store = new SectorStore(sectorUri(config));
  t.teardown(() => store.close());
  const record = await store.find(submitted[0]!.attemptId);
  t.same(Object.keys(record!).sort(), ['_id', 'studentId', 'schoolOrgId', 'orgPath', 'examId', 'examTitle', 'subject', 'grade', 'formCode', 'score', 'maxScore', 'score10', 'status', 'gradedAt', 'version', 'source'].sort());
  t.match(record, {
    _id: submitted[0]!.attemptId,
    studentId: null,
    schoolOrgId: fx.world.orgs.school,
    orgPath: [fx.world.orgs.root, fx.world.orgs.dep, fx.world.orgs.school],
    examId: fx.examId,
    examTitle: 'Bài thi trực tuyến',
    subject: 'math',
    grade: 12,
    formCode: submitted[0]!.formCode,
    score: 9,
    maxScore: 10,
    score10: 9,
    status: 'pending_manual',
    version: 1,
    source: SECTOR_SOURCE,
  });
  t.ok(record!.gradedAt instanceof Date);

  await t.test('grading again changes nothing: same results, same versions, one sector record each', async (t) => {
    const again = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'regrade' } })).json().jobId as string;
    await settled(ctx.queues.bulk, bulkEvents, again);
    const view = (await manager({ method: 'GET', url: `/api/jobs/${again}` })).json();
    t.equal(view.state, 'completed');
    t.match(view.result, { total: 4, graded: 4, changed: 0, unchanged: 4, delta: null });
    const now = (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).json().results as typeof results;
    t.same(now.map((r) => [r.attemptId, r.score, r.version]).sort(), results.map((r) => [r.attemptId, r.score, r.version]).sort());
    // The batch path directly, twice: nothing written, nothing to push.
    const first = await app.grading.gradeBatch(submitted.map((s) => s.attemptId));
    const second = await app.grading.gradeBatch(submitted.map((s) => s.attemptId));
    t.equal(first.changed.length + second.changed.length, 0);
    t.equal(second.toPush.length, 0, 'the sector database already holds every version');
    const records = await (await store.records()).find({ examId: fx.examId }).lean();
    t.equal(records.length, 4);
    t.same(records.map((r) => r.version), [1, 1, 1, 1]);
    // 'all' finds nothing left to do.
    const all = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } })).json().jobId as string;
    await settled(ctx.queues.bulk, bulkEvents, all);
    t.match((await manager({ method: 'GET', url: `/api/jobs/${all}` })).json(), { state: 'completed', progress: { done: 0, total: 0 } });
  });

  await t.test('staff routes refuse candidates and other organisations', async (t) => {
    for (const [method, url, payload] of [
      ['POST', `/api/exams/${fx.examId}/grading`, { mode: 'all' }],
      ['GET', `/api/exams/${fx.examId}/results`, undefined],
      ['GET', `/api/exams/${fx.examId}/sector-sync`, undefined],
      ['GET', `/api/exams/${fx.examId}/manual-queue`, undefined],
      ['GET', `/api/jobs/${jobId}`, undefined],
    ] as const) {
      const asCandidate = await fx.world.candidate({ method, url, ...(payload ? { payload } : {}) });
      t.equal(asCandidate.statusCode, 403, `candidate ${method} ${url}`);
      t.equal(asCandidate.json().error.code, 'forbidden');
      const other = await fx.world.otherManager({ method, url, ...(payload ? { payload } : {}) });
      t.equal(other.statusCode, 404, `other organisation ${method} ${url}`);
    }
    t.equal((await fx.world.proctor({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } })).statusCode, 403);
    t.equal((await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'everything' } })).statusCode, 400);
    t.equal((await manager({ method: 'GET', url: '/api/jobs/no-such-job' })).statusCode, 404);
  });
});
