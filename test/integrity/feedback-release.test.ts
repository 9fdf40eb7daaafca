// Issue 19, item 2: feedback and hints tell the key ("Right: 2 is the only even
// prime"), so a candidate must never read them before the exam's release rules
// allow: not in the live state or item payloads while sitting, not in the exam
// view, not in the result before the per-item detail is shown, and never when
// the exam says `showFeedback: never`. Staff without the key do not read them
// in the bank either.
import t from 'tap';
import { as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { submitAttempts } from '../support/grading.js';
import { listen, TestSocket } from '../support/live-client.js';

const { app } = await build(t);
const url = await listen(app);

const SECRET = /BÍMẬT/;
const bodies = [
  {
    type: 'single_choice',
    subject: 'math',
    grade: 12,
    language: 'vi',
    stem: 'Số nguyên tố chẵn là',
    options: [
      { id: 'A', text: '2', feedback: 'BÍMẬT-A: chỉ chia hết cho 1 và 2' },
      { id: 'B', text: '4', feedback: 'BÍMẬT-B: 4 = 2 × 2' },
      { id: 'C', text: '6' },
    ],
    correct: ['A'],
    feedback: { general: 'BÍMẬT-chung', correct: 'BÍMẬT-đúng', incorrect: 'BÍMẬT-sai' },
    hints: ['BÍMẬT-gợi ý'],
  },
  { type: 'numeric', subject: 'math', grade: 12, language: 'vi', stem: '2 + 2 = ?', value: 4, feedback: { correct: 'BÍMẬT-số đúng', incorrect: 'BÍMẬT-số sai' } },
];
const fx = await publishedExam(app, { candidates: 2, bodies, prefix: 'fbr' });
const [choiceId, numericId] = fx.itemIds as [string, string];

t.test('attack: nothing of the feedback reaches a sitting candidate', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[1]!, fx.examId);
  t.teardown(() => socket.close());
  t.equal(first.type, 'state');
  t.equal((first.items as unknown[]).length, 2, 'the candidate has the form');
  t.notMatch(JSON.stringify(first), SECRET, 'no feedback, option feedback or hint in the state');
  t.notMatch(JSON.stringify(first), /"feedback"|"hints"/, 'not even the field names');

  const candidate = as(app, fx.tokens[1]!);
  for (const path of [`/api/exams/${fx.examId}`, '/api/exams', `/api/items/${choiceId}`, `/api/exams/${fx.examId}/forms/101`]) {
    const res = await candidate({ method: 'GET', url: path });
    t.notMatch(res.body, SECRET, `${path} (${res.statusCode}) carries no feedback`);
  }
});

t.test('staff who may read but not author an item do not read its feedback in the bank', async (t) => {
  const own = await fx.world.author({ method: 'GET', url: `/api/items/${choiceId}` });
  t.match(own.json(), { keyIncluded: true, feedback: { general: 'BÍMẬT-chung' }, hints: ['BÍMẬT-gợi ý'], options: [{ feedback: /BÍMẬT-A/ }] }, 'the author does');
  const res = await fx.world.manager({ method: 'GET', url: `/api/items/${choiceId}` });
  if (res.statusCode === 200) {
    t.equal(res.json().keyIncluded, false);
    t.notMatch(res.body, SECRET, 'a reader without the key gets no feedback, hints or option feedback');
  } else {
    t.equal(res.statusCode, 404, 'or no item at all');
  }
});

const [early] = await submitAttempts(app, fx.examId, fx.candidateIds.slice(0, 1), (_i, item) => (item.type === 'single_choice' ? 'B' : '4'));
await app.grading.gradeBatch([early!.attemptId]);
const candidate = as(app, fx.tokens[0]!);
const resultUrl = `/api/attempts/${early!.attemptId}/result`;

t.test('attack: a candidate who handed in reads no feedback while the exam is open', async (t) => {
  const res = await candidate({ method: 'GET', url: resultUrl });
  t.equal(res.statusCode, 200);
  t.notOk('perItem' in res.json());
  t.notMatch(res.body, SECRET);
  const staff = await fx.world.manager({ method: 'GET', url: resultUrl });
  t.match(staff.json().perItem, [{ itemId: choiceId, feedback: { general: 'BÍMẬT-chung' } }], 'staff read it at any time');
});

t.test('once the exam has closed, the candidate reads the feedback that fits their answers', async (t) => {
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  const res = await candidate({ method: 'GET', url: resultUrl });
  t.equal(res.statusCode, 200);
  const perItem = Object.fromEntries((res.json().perItem as { itemId: string; feedback?: unknown }[]).map((p) => [p.itemId, p.feedback]));
  t.same(perItem[choiceId], {
    general: 'BÍMẬT-chung',
    outcome: 'BÍMẬT-sai',
    options: [{ text: '4', feedback: 'BÍMẬT-B: 4 = 2 × 2' }],
    hints: ['BÍMẬT-gợi ý'],
  }, 'the wrong pick: the general text, the incorrect outcome, the picked option’s feedback and the hints');
  t.same(perItem[numericId], { outcome: 'BÍMẬT-số đúng' }, 'the right answer: the correct outcome');
  t.notMatch(JSON.stringify(perItem), /BÍMẬT-A|BÍMẬT-đúng|BÍMẬT-số sai/, 'never the feedback of what the candidate did not pick or get');
});

t.test('an exam whose showFeedback is never shows none of it, ever', async (t) => {
  const bad = await fx.world.manager({
    method: 'POST',
    url: '/api/exams',
    payload: { title: 'x', blueprintId: fx.blueprintId, formCount: 1, opensAt: fx.opensAt.toISOString(), closesAt: fx.closesAt.toISOString(), durationMinutes: 30, candidateIds: [], showResults: 'after_close', showFeedback: 'sometimes' },
  });
  t.equal(bad.statusCode, 400, 'an unknown release rule is refused');
  const created = await fx.world.manager({
    method: 'POST',
    url: '/api/exams',
    payload: { title: 'y', blueprintId: fx.blueprintId, formCount: 1, opensAt: fx.opensAt.toISOString(), closesAt: fx.closesAt.toISOString(), durationMinutes: 30, candidateIds: [], showResults: 'after_close', showFeedback: 'never' },
  });
  t.equal(created.statusCode, 201, created.body);
  t.equal(created.json().showFeedback, 'never');
  const plain = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}` });
  t.equal(plain.json().showFeedback, 'with_details', 'the default releases feedback with the per-item detail');

  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { showFeedback: 'never' } });
  const res = await candidate({ method: 'GET', url: resultUrl });
  t.equal(res.statusCode, 200);
  t.equal(res.json().perItem.length, 2, 'the points per item are still shown');
  t.notMatch(res.body, SECRET, 'but no feedback');
  const staff = await fx.world.manager({ method: 'GET', url: resultUrl });
  t.match(staff.body, SECRET, 'staff still read it');
});

t.test('feedback is not the key: editing it on an item of a live exam needs no override, editing the key does', async (t) => {
  const live = await publishedExam(app, { candidates: 1, bodies: bodies.slice(0, 1), prefix: 'fbk' });
  const [itemId] = live.itemIds as [string];
  const item = (await live.world.author({ method: 'GET', url: `/api/items/${itemId}` })).json();
  const feedbackEdit = await live.world.author({
    method: 'PUT',
    url: `/api/items/${itemId}`,
    payload: { ...item, feedback: { ...item.feedback, general: 'Sửa phản hồi' }, hints: [...item.hints, 'Gợi ý thêm'], options: item.options.map((o: { id: string }) => (o.id === 'C' ? { ...o, feedback: '6 = 2 × 3' } : o)) },
  });
  t.equal(feedbackEdit.statusCode, 200, feedbackEdit.body);
  t.match(feedbackEdit.json(), { revision: 2, feedback: { general: 'Sửa phản hồi' }, hints: ['BÍMẬT-gợi ý', 'Gợi ý thêm'] });
  const edited = feedbackEdit.json() as Record<string, unknown>;
  const keyEdit = await live.world.author({ method: 'PUT', url: `/api/items/${itemId}`, payload: { ...edited, correct: ['B'] } });
  t.equal(keyEdit.statusCode, 409, 'the key itself stays locked');
  t.equal(keyEdit.json().error.code, 'exam_key_locked');
});
