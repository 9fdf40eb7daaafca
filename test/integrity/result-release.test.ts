// Issue 16, item 11: with showResults "after_submit", a candidate who has
// handed in must not learn which items were right while others are still
// sitting: the total only until the exam closes, points per item after.
import t from 'tap';
import { as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { rightAnswer, submitAttempts, wrongAnswer } from '../support/grading.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'numeric', 'true_false'], prefix: 'rr' });
// cand0 hands in early (right, wrong, right); cand1 is still sitting.
const [early] = await submitAttempts(app, fx.examId, fx.candidateIds.slice(0, 1), (_i, item) => (item.type === 'numeric' ? wrongAnswer(item) : rightAnswer(item)));
await app.grading.gradeBatch([early!.attemptId]);
const candidate = as(app, fx.tokens[0]!);
const url = `/api/attempts/${early!.attemptId}/result`;

t.test('attack: reading the per-item detail while the exam is open gives the total only', async (t) => {
  const res = await candidate({ method: 'GET', url });
  t.equal(res.statusCode, 200, 'the candidate reads their result');
  const body = res.json();
  t.match(body, { attemptId: early!.attemptId, score: 2, maxScore: 3, status: 'graded' }, 'the total is shown at once');
  t.notOk('perItem' in body, 'no points per item while others may still be sitting');
  t.equal(body.perItemFrom, fx.closesAt.toISOString(), 'and the candidate is told when they come');
  t.notMatch(res.body, /"points"|maxPoints/, 'nothing per item anywhere in the answer');

  const staff = await fx.world.manager({ method: 'GET', url });
  t.equal(staff.json().perItem.length, 3, 'staff see the detail any time');
});

t.test('once the exam has closed, the candidate sees the points per item', async (t) => {
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  const res = await candidate({ method: 'GET', url });
  t.equal(res.statusCode, 200, 'the candidate reads their result');
  const body = res.json();
  t.equal(body.perItemFrom, undefined);
  const [choice, numeric, tf] = fx.itemIds as [string, string, string];
  const points = Object.fromEntries(body.perItem.map((p: { itemId: string; points: number; maxPoints: number }) => [p.itemId, [p.points, p.maxPoints]]));
  t.same(points, { [choice]: [1, 1], [numeric]: [0, 1], [tf]: [1, 1] }, 'the numeric item wrong, the others right');
});
