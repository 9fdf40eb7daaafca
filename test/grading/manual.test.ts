import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { SectorStore } from '../../src/sector/sector-service.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, rightAnswer, settled, submitAttempts, until } from '../support/grading.js';

t.test('essays wait in the manual queue; grading one by hand re-totals the attempt and pushes the new version', async (t) => {
  const { app, config } = await build(t);
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'essay'], prefix: 'mg' });
  const { manager, reviewer, author } = fx.world;
  const [essayId, choiceId] = [fx.itemIds[1]!, fx.itemIds[0]!];
  // cand0 writes an essay; cand1 leaves it blank (final at 0, nothing for a person to read).
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) => (item.type === 'essay' && i === 1 ? undefined : rightAnswer(item)));
  const { ctx } = await inProcessWorkers(t, config);
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const sectorEvents = await queueEvents(t, config, 'sector');
  const started = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } })).json().jobId as string;
  await settled(ctx.queues.bulk, bulkEvents, started);
  const attemptId = submitted[0]!.attemptId;

  const queue = await reviewer({ method: 'GET', url: `/api/exams/${fx.examId}/manual-queue` });
  t.equal(queue.statusCode, 200, queue.body);
  t.equal(queue.json().total, 1);
  t.match(queue.json().items[0], {
    attemptId,
    itemId: essayId,
    revision: 1,
    maxPoints: 1,
    points: null,
    response: submitted[0]!.answers[essayId],
    rubric: [{ criterion: 'Lập luận', maxPoints: 3 }, { criterion: 'Trình bày', maxPoints: 1 }],
  });
  t.equal((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/manual-queue` })).statusCode, 200, 'managers may look');
  t.equal((await fx.world.proctor({ method: 'GET', url: `/api/exams/${fx.examId}/manual-queue` })).statusCode, 403);

  const gradeUrl = (item: string, attempt = attemptId) => `/api/attempts/${attempt}/items/${item}/grade`;
  t.equal((await fx.world.candidate({ method: 'POST', url: gradeUrl(essayId), payload: { points: 1, comment: 'x' } })).statusCode, 403, 'a candidate may not grade');
  t.equal((await manager({ method: 'POST', url: gradeUrl(essayId), payload: { points: 1, comment: 'x' } })).statusCode, 403, 'exam managers do not grade essays');
  t.equal((await fx.world.otherManager({ method: 'POST', url: gradeUrl(essayId), payload: { points: 1 } })).statusCode, 403, 'no grading role anywhere: refused before anything is looked up');
  t.equal((await reviewer({ method: 'POST', url: gradeUrl(essayId, 'no-such-attempt'), payload: { points: 1 } })).statusCode, 404);
  t.equal((await reviewer({ method: 'POST', url: gradeUrl('no-such-item'), payload: { points: 1 } })).statusCode, 404);
  const tooMany = await reviewer({ method: 'POST', url: gradeUrl(essayId), payload: { points: 1.5 } });
  t.equal(tooMany.statusCode, 400);
  t.equal(tooMany.json().error.details[0].instancePath, '/points');
  t.equal((await reviewer({ method: 'POST', url: gradeUrl(essayId), payload: { points: -1 } })).statusCode, 400);
  const notEssay = await reviewer({ method: 'POST', url: gradeUrl(choiceId), payload: { points: 1 } });
  t.equal(notEssay.statusCode, 409);
  t.equal(notEssay.json().error.code, 'not_manual');

  const graded = await reviewer({ method: 'POST', url: gradeUrl(essayId), payload: { points: 0.75, comment: 'Lập luận tốt, trình bày chưa gọn.' } });
  t.equal(graded.statusCode, 200, graded.body);
  t.match(graded.json(), { attemptId, score: 1.75, maxScore: 2, score10: 8.75, status: 'graded', version: 2 });
  t.match(graded.json().perItem.find((p: { itemId: string }) => p.itemId === essayId), { points: 0.75, status: 'scored', manual: true, comment: 'Lập luận tốt, trình bày chưa gọn.' });
  t.equal((await reviewer({ method: 'GET', url: `/api/exams/${fx.examId}/manual-queue` })).json().total, 0, 'the queue is empty');

  // The same grade again is no change: no new version.
  const same = await author({ method: 'POST', url: gradeUrl(essayId), payload: { points: 0.75, comment: 'Lập luận tốt, trình bày chưa gọn.' } });
  t.equal(same.json().version, 2);
  // A regrade keeps the person's grade (the essay's revision is still pinned).
  const regrade = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'regrade' } })).json().jobId as string;
  await settled(ctx.queues.bulk, bulkEvents, regrade);
  t.match((await manager({ method: 'GET', url: `/api/jobs/${regrade}` })).json().result, { changed: 0, unchanged: 2 });
  t.match((await manager({ method: 'GET', url: `/api/attempts/${attemptId}/result` })).json(), { score: 1.75, status: 'graded', version: 2 });

  // The new version reaches the sector database.
  const store = new SectorStore(sectorUri(config));
  t.teardown(() => store.close());
  await until(sectorEvents, async () => (await store.find(attemptId).catch(() => null))?.version === 2);
  t.match(await store.find(attemptId), { score: 1.75, score10: 8.75, status: 'graded', version: 2 });
  t.same((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json(), { pushed: 2, pending: 0, failed: 0 });
  t.equal((await app.models.Audit.find({ action: 'result.grade_item' }).lean()).length, 1);
});
