import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { SectorStore } from '../../src/sector/sector-service.js';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, rightAnswer, settled, submitAttempts, until } from '../support/grading.js';

t.test('after a key correction, re-pinning the corrected revision and regrading changes only the affected attempts', async (t) => {
  const { app, config } = await build(t);
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 3, types: ['single_choice'], perSection: 3, prefix: 'rg' });
  const { manager, author, reviewer } = fx.world;
  const fixed = fx.itemIds[0]!;
  // The key of `fixed` says A; the right answer is B. cand0 answered B, cand1 A, cand2 C.
  const onFixed = ['B', 'A', 'C'];
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) => (item.itemId === fixed ? onFixed[i] : rightAnswer(item)));
  const { ctx } = await inProcessWorkers(t, config);
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const sectorEvents = await queueEvents(t, config, 'sector');
  const grade = async (mode: 'all' | 'regrade') => {
    const res = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode } });
    t.equal(res.statusCode, 202);
    await settled(ctx.queues.bulk, bulkEvents, res.json().jobId);
    return (await manager({ method: 'GET', url: `/api/jobs/${res.json().jobId}` })).json();
  };
  const scores = async () =>
    new Map(
      ((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).json().results as { candidateId: string; score: number; version: number }[]).map((r) => [
        r.candidateId,
        { score: r.score, version: r.version },
      ]),
    );
  const syncedAll = () => until(sectorEvents, async () => (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === 3);

  t.equal((await grade('all')).state, 'completed');
  const before = await scores();
  t.same([...fx.candidateIds].map((c) => before.get(c)), [
    { score: 2, version: 1 },
    { score: 3, version: 1 },
    { score: 2, version: 1 },
  ]);
  await syncedAll();

  // The key is corrected: a new revision, reviewed by someone else. The exam has not closed, so a key
  // change needs an exam manager's override (src/exams/key-guard.ts); here the exam manager also writes items.
  const item = (await author({ method: 'GET', url: `/api/items/${fixed}` })).json();
  t.same(item.correct, ['A']);
  const locked = await author({ method: 'PUT', url: `/api/items/${fixed}`, payload: { ...item, correct: ['B'], revision: item.revision } });
  t.equal(locked.json().error?.code, 'exam_key_locked');
  const admin = await adminSession(app);
  const roles = [{ role: 'exam_manager', orgId: fx.world.orgs.dep }, { role: 'author', orgId: fx.world.orgs.dep }];
  t.equal((await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${fx.world.managerId}`, payload: { roles } })).statusCode, 200);
  const edited = await manager({ method: 'PUT', url: `/api/items/${fixed}?override=exam-key-change`, payload: { ...item, correct: ['B'], revision: item.revision } });
  t.equal(edited.statusCode, 200, edited.body);
  t.equal(edited.json().revision, 2);

  // Re-pin rules: only a newer, approved revision of an item on the exam, by its exam manager.
  const repin = (caller: typeof manager, itemId: string, revision: number) => caller({ method: 'POST', url: `/api/exams/${fx.examId}/repin`, payload: { itemId, revision } });
  t.equal((await repin(manager, fixed, 2)).json().error.code, 'invalid_transition', 'a draft revision is not pinned');
  t.equal((await author({ method: 'POST', url: `/api/items/${fixed}/status`, payload: { status: 'in_review' } })).statusCode, 200);
  t.equal((await reviewer({ method: 'POST', url: `/api/items/${fixed}/status`, payload: { status: 'approved' } })).statusCode, 200);
  t.equal((await repin(manager, fixed, 1)).statusCode, 409, 'not the pinned revision again');
  t.equal((await repin(manager, fixed, 3)).statusCode, 404, 'no such revision');
  t.equal((await repin(manager, 'not-on-this-exam', 2)).statusCode, 404);
  t.equal((await repin(fx.world.otherManager, fixed, 2)).statusCode, 404);
  t.equal((await repin(fx.world.candidate, fixed, 2)).statusCode, 403);
  t.equal((await repin(author, fixed, 2)).statusCode, 403);
  t.equal((await manager({ method: 'POST', url: `/api/exams/${fx.examId}/repin`, payload: { itemId: fixed, revision: 0 } })).statusCode, 400);
  const pinned = await repin(manager, fixed, 2);
  t.equal(pinned.statusCode, 200, pinned.body);
  t.match(pinned.json(), { examId: fx.examId, itemId: fixed, from: 1, to: 2, forms: ['101'] });
  const form = (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/forms/101` })).json();
  t.equal(form.items.find((i: { itemId: string }) => i.itemId === fixed).revision, 2, 'the form now pins the corrected revision');
  t.equal((await repin(manager, fixed, 2)).statusCode, 409, 'already pinned');
  const audit = await app.models.Audit.find({ action: 'exam.repin' }).lean();
  t.equal(audit.length, 1);

  const regrade = await grade('regrade');
  t.equal(regrade.state, 'completed');
  const runs = await app.models.Audit.find({ action: 'exam.regrade_results' }).lean();
  t.equal(runs.length, 1, 'the regrade run is one audit record');
  t.match(runs[0], { actorId: fx.world.managerId, target: `exam:${fx.examId}`, summary: { changed: 2, firstGraded: 0 } });
  t.match(regrade.result, { total: 3, graded: 3, changed: 2, unchanged: 1, firstGraded: 0, byDelta: { '+1': 1, '-1': 1 }, delta: { count: 2, min: -1, max: 1, mean: 0, total: 0 } });
  t.same(regrade.result.changes.map((c: { candidateId: string; before: number; after: number; delta: number }) => [c.candidateId, c.before, c.after, c.delta]).sort(), [
    [fx.candidateIds[0], 2, 3, 1],
    [fx.candidateIds[1], 3, 2, -1],
  ].sort());
  const after = await scores();
  t.same([...fx.candidateIds].map((c) => after.get(c)), [
    { score: 3, version: 2 },
    { score: 2, version: 2 },
    { score: 2, version: 1 },
  ], 'only the attempts whose score moved get a new version');
  const result = (await app.models.Result.findById(submitted[0]!.attemptId).lean())!;
  t.equal(result.perItem.find((p) => p.itemId === fixed)!.revision, 2);

  // The sector database follows: newer versions replace older ones, the unaffected record stays.
  await until(sectorEvents, async () => {
    const s = (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json();
    return s.pushed === 3 && s.pending === 0;
  });
  const store = new SectorStore(sectorUri(config));
  t.teardown(() => store.close());
  const records = new Map((await (await store.records()).find({ examId: fx.examId }).lean()).map((r) => [r._id, r]));
  t.same(submitted.map((s) => [records.get(s.attemptId)?.score, records.get(s.attemptId)?.version]), [
    [3, 2],
    [2, 2],
    [2, 1],
  ]);
});
