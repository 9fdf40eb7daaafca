// A manual grade or regrade that changes a released score is kept, and the candidate sees that it changed and when.
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { rightAnswer, submitAttempts, wrongAnswer } from '../support/grading.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'essay'], prefix: 'sc' });
const w = fx.world;
const [choiceId, essayId] = fx.itemIds as [string, string];
// cand0 answers everything right; cand1 gets the choice item wrong.
const [a0, a1] = (await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) => (i === 1 && item.type === 'single_choice' ? wrongAnswer(item) : rightAnswer(item)))).map((s) => s.attemptId) as [string, string];
const candidate = (i: number) => as(app, fx.tokens[i]!);
const grade = (attemptId: string, points: number) => w.reviewer({ method: 'POST', url: `/api/attempts/${attemptId}/items/${essayId}/grade`, payload: { points, comment: 'Đã chấm' } });
const ownResult = async (i: number, attemptId: string) => {
  const res = await candidate(i)({ method: 'GET', url: `/api/attempts/${attemptId}/result` });
  if (res.statusCode !== 200) throw new Error(`result: ${res.statusCode} ${res.body}`);
  return res.json();
};

t.test('completing a pending essay is grading, not a change; changing a released score is kept', async (t) => {
  const first = await grade(a0, 0.75);
  t.match(first.json(), { score: 1.75, status: 'graded' });
  const shown = await ownResult(0, a0);
  t.equal(shown.scoreChanged, false);
  t.same(shown.scoreChanges, []);

  const second = await grade(a0, 0.25);
  t.equal(second.statusCode, 200, second.body);
  t.match(second.json(), { score: 1.25 });
  const changed = await ownResult(0, a0);
  t.equal(changed.score, 1.25);
  t.equal(changed.scoreChanged, true, 'the candidate sees that it changed');
  t.equal(changed.scoreChanges.length, 1);
  t.match(changed.scoreChanges[0], { cause: 'manual_grade', before: { score: 1.75, score10: 8.75 }, after: { score: 1.25, score10: 6.25 } });
  t.ok(Math.abs(Date.parse(changed.scoreChanges[0].at) - Date.now()) < 60_000, 'and when');
  t.equal(changed.scoreChanges[0].by, undefined, 'not who graded');

  const stored = await app.models.ScoreChange.find({ attemptId: a0 }).lean();
  t.equal(stored.length, 1);
  t.match(stored[0], { before: { score: 1.75, version: 2 }, after: { score: 1.25, version: 3 }, cause: 'manual_grade' });
  t.ok(stored[0]!.by, 'the grader is kept');

  t.equal((await grade(a0, 0.25)).json().version, 3, 'the same grade again changes nothing');
  t.equal(await app.models.ScoreChange.countDocuments({ attemptId: a0 }), 1);
  const audits = await app.models.Audit.find({ target: `attempt:${a0}`, action: 'result.grade_item' }).lean();
  t.equal(audits.length, 2, 'one audit record per grade that changed the result');
  t.ok(audits.every((r) => r.actorRole === 'reviewer' && r.actorOrgId === w.orgs.dep));
});

t.test('a regrade after a key correction records old and new score of every attempt it moved', async (t) => {
  t.match((await grade(a1, 1)).json(), { score: 1, status: 'graded' });
  t.equal((await ownResult(1, a1)).scoreChanged, false);

  // The key is corrected (cand1's answer was right after all): a new revision, approved and re-pinned.
  const admin = as(app, (await adminSession(app)).token);
  await admin({ method: 'POST', url: '/api/users', payload: { username: 'sc_lead', password: 'lead-password-1', displayName: 'Tổ trưởng', roles: [{ role: 'author', orgId: w.orgs.dep }, { role: 'exam_manager', orgId: w.orgs.dep }] } });
  const lead = as(app, await login(app, 'sc_lead', 'lead-password-1'));
  const item = (await lead({ method: 'GET', url: `/api/items/${choiceId}` })).json();
  const wrong = (await app.models.Attempt.findById(a1).lean())!.answers![choiceId];
  const fixed = await lead({ method: 'PUT', url: `/api/items/${choiceId}?override=exam-key-change`, payload: { ...item, correct: [wrong] } });
  t.equal(fixed.statusCode, 200, fixed.body);
  t.equal((await lead({ method: 'POST', url: `/api/items/${choiceId}/status`, payload: { status: 'in_review' } })).statusCode, 200);
  t.equal((await w.reviewer({ method: 'POST', url: `/api/items/${choiceId}/status`, payload: { status: 'approved' } })).statusCode, 200);
  const repin = await w.manager({ method: 'POST', url: `/api/exams/${fx.examId}/repin`, payload: { itemId: choiceId, revision: 2 } });
  t.equal(repin.statusCode, 200, repin.body);

  // The grading job's own step (workers call the same service).
  const outcome = await app.grading.gradeBatch([a0, a1]);
  t.equal(outcome.failed.length, 0);
  const moved = await app.models.ScoreChange.find({ cause: 'regrade' }).sort({ attemptId: 1 }).lean();
  t.same(moved.map((m) => [m.attemptId, m.before.score, m.after.score]).sort(), [[a0, 1.25, 0.25], [a1, 1, 2]].sort());

  const r1 = await ownResult(1, a1);
  t.equal(r1.score, 2);
  t.match(r1, { scoreChanged: true, scoreChanges: [{ cause: 'regrade', before: { score: 1 }, after: { score: 2 } }] });
  const r0 = await ownResult(0, a0);
  t.same(r0.scoreChanges.map((c: { cause: string }) => c.cause), ['manual_grade', 'regrade'], 'oldest first');

  await app.grading.gradeBatch([a0, a1]);
  t.equal(await app.models.ScoreChange.countDocuments({ cause: 'regrade' }), 2, 'grading again changes nothing');
  const staff = await w.manager({ method: 'GET', url: `/api/attempts/${a1}/result` });
  t.equal(staff.json().scoreChanged, true, 'staff see it too');
});
