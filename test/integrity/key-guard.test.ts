// The key of an item on a live exam changes only with an exam manager's audited override.
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'numeric'], prefix: 'kg' });
const w = fx.world;
const [choiceId, numericId] = fx.itemIds as [string, string];
// Someone who both writes items and manages the department's exams.
const admin = as(app, (await adminSession(app)).token);
const created = await admin({
  method: 'POST',
  url: '/api/users',
  payload: { username: 'kg_lead', password: 'lead-password-1', displayName: 'Tổ trưởng', roles: [{ role: 'author', orgId: w.orgs.dep }, { role: 'exam_manager', orgId: w.orgs.dep }] },
});
const leadId = created.json().id as string;
const lead = as(app, await login(app, 'kg_lead', 'lead-password-1'));

async function latest(id: string) {
  return (await w.author({ method: 'GET', url: `/api/items/${id}` })).json();
}

t.test('without the override a key change is 409 exam_key_locked; other edits pass', async (t) => {
  const item = await latest(choiceId);
  const locked = await w.author({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...item, correct: ['B'] } });
  t.equal(locked.statusCode, 409, locked.body);
  t.equal(locked.json().error.code, 'exam_key_locked');
  t.same(locked.json().error.details, [{ override: 'exam-key-change' }], 'an author is not told which exam, nor how many');

  const byManager = await lead({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...item, correct: ['B'] } });
  t.equal(byManager.statusCode, 409);
  t.same(byManager.json().error.details[0].exams, [{ id: fx.examId, title: 'Bài thi trực tuyến' }], 'an exam manager of the exam is');

  const authorOverride = await w.author({ method: 'PUT', url: `/api/items/${choiceId}?override=exam-key-change`, payload: { ...item, correct: ['B'] } });
  t.equal(authorOverride.statusCode, 403, 'only an exam manager of the exam may override');
  t.equal(authorOverride.json().error.code, 'forbidden');
  t.equal((await w.author({ method: 'PUT', url: `/api/items/${choiceId}?override=yes`, payload: { ...item, correct: ['B'] } })).statusCode, 400);
  t.equal((await latest(choiceId)).latestRevision, 1, 'nothing stored');

  const wording = await w.author({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...item, stem: '<p>Câu hỏi đã sửa lời</p>' } });
  t.equal(wording.statusCode, 200, 'a new revision with the same key needs no override');
  t.equal(wording.json().revision, 2);
  const record = (await app.models.Audit.find({ target: `item:${choiceId}`, action: 'item.update' }).lean()).at(-1)!;
  t.equal(record.summary?.override, undefined);
});

t.test('with the override the key changes, and the record names the override and the exam', async (t) => {
  const item = await latest(choiceId);
  const before = await app.models.Audit.countDocuments({ target: `item:${choiceId}` });
  const res = await lead({ method: 'PUT', url: `/api/items/${choiceId}?override=exam-key-change`, payload: { ...item, correct: ['B'] } });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().revision, 3);
  t.same(res.json().correct, ['B']);
  const records = await app.models.Audit.find({ target: `item:${choiceId}` }).sort({ seq: 1 }).lean();
  t.equal(records.length, before + 1, 'exactly one record');
  const r = records.at(-1)!;
  t.match(r, { action: 'item.update', actorId: leadId, actorOrgId: w.orgs.dep, summary: { override: 'exam-key-change', exams: [fx.examId], liveExamKeyChanged: true, before: { revision: 2 }, after: { revision: 3 } } });
  t.ok(['author', 'exam_manager'].includes(r.actorRole!));
  const trail = await w.manager({ method: 'GET', url: `/api/audit?target=item:${choiceId}` });
  t.equal(trail.json().records[0].summary.override, 'exam-key-change', 'the exam manager finds it in the audit trail');
  const pinned = (await app.models.Form.findOne({ examId: fx.examId }).lean())!.items.find((i) => i.itemId === choiceId)!;
  t.equal(pinned.revision, 1, 'the exam keeps its pinned revision until someone re-pins');
});

t.test('once the exam has closed, or for scoring-neutral fields, there is no lock', async (t) => {
  const item = await latest(numericId);
  const tolerance = await w.author({ method: 'PUT', url: `/api/items/${numericId}`, payload: { ...item, tolerance: 0.5 } });
  t.equal(tolerance.statusCode, 409, 'tolerance is scoring');
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  const after = await w.author({ method: 'PUT', url: `/api/items/${numericId}`, payload: { ...item, value: 1 } });
  t.equal(after.statusCode, 200, after.body);
});
