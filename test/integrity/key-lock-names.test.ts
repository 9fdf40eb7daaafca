// 409 exam_key_locked names only the exams the caller may see: an author whose
// national item another department has put on an exam that has not opened
// learns that the key is locked, not which exams use it or how many.
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { approvedItems, examWorld, ok, type Caller } from '../support/fixtures/index.js';

const { app } = await build(t);
const w = await examWorld(app, 1, 'kl');
const admin = as(app, (await adminSession(app)).token);
const topic = 'khoa-dap-an';
const [itemId] = await approvedItems(w, [{ type: 'numeric', topic, cognitiveLevel: 1, sharing: 'national' }]);
// An author of the department who also manages its exams.
await ok(await admin({ method: 'POST', url: '/api/users', payload: { username: 'kl_lead', password: 'lead-password-1', displayName: 'Tổ trưởng', roles: [{ role: 'author', orgId: w.orgs.dep }, { role: 'exam_manager', orgId: w.orgs.dep }] } }), 201);
const lead = as(app, await login(app, 'kl_lead', 'lead-password-1'));

const hour = 3600_000;
async function liveExam(manager: Caller, title: string): Promise<string> {
  const bp = await ok(await manager({ method: 'POST', url: '/api/blueprints', payload: { title, subject: 'math', grade: 12, sections: [{ title: 'I', type: 'numeric', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }] } }), 201);
  const exam = await ok(
    await manager({
      method: 'POST',
      url: '/api/exams',
      payload: { title, blueprintId: bp.id, formCount: 1, opensAt: new Date(Date.now() + hour).toISOString(), closesAt: new Date(Date.now() + 3 * hour).toISOString(), durationMinutes: 30, candidateIds: [], showResults: 'never' },
    }),
    201,
  );
  await ok(await manager({ method: 'POST', url: `/api/exams/${exam.id}/assemble` }), 200);
  await ok(await manager({ method: 'POST', url: `/api/exams/${exam.id}/publish` }), 200);
  return exam.id;
}
// Another department's exam, not open yet, and one of the author's own department.
const theirs = await liveExam(w.otherManager, 'Kỳ thi bí mật của Sở khác');
const ours = await liveExam(w.manager, 'Kỳ thi của Sở');
const edit = async (call: Caller) => {
  const item = (await call({ method: 'GET', url: `/api/items/${itemId}` })).json();
  return call({ method: 'PUT', url: `/api/items/${itemId}`, payload: { ...item, value: 1 } });
};

t.test('an author who may see none of the exams gets a plain message', async (t) => {
  const res = await edit(w.author);
  t.equal(res.statusCode, 409, res.body);
  const { error } = res.json();
  t.equal(error.code, 'exam_key_locked');
  t.notMatch(res.body, new RegExp(`${theirs}|${ours}|bí mật|Kỳ thi của Sở`), 'no exam id or title');
  t.notMatch(error.message, /\d/, 'no count in the message');
  t.same(error.details, [{ override: 'exam-key-change' }], 'no count and no ids in the details');
});

t.test('an exam manager of one of them is told about that one only', async (t) => {
  const res = await edit(lead);
  t.equal(res.statusCode, 409, res.body);
  const { error } = res.json();
  t.notMatch(res.body, new RegExp(`${theirs}|bí mật`), 'nothing about the other department’s exam');
  t.notMatch(error.message, /\b2\b/, 'not how many exams in all');
  t.same(error.details, [{ override: 'exam-key-change', exams: [{ id: ours, title: 'Kỳ thi của Sở' }] }]);
  t.match(error.message, /Kỳ thi của Sở/);
});

t.test('the override still needs an exam manager of every exam, and says no more', async (t) => {
  const item = (await lead({ method: 'GET', url: `/api/items/${itemId}` })).json();
  const res = await lead({ method: 'PUT', url: `/api/items/${itemId}?override=exam-key-change`, payload: { ...item, value: 1 } });
  t.equal(res.statusCode, 403);
  t.notMatch(res.body, new RegExp(`${theirs}|bí mật|\\b2\\b`));
  t.equal((await lead({ method: 'GET', url: `/api/items/${itemId}` })).json().latestRevision, 1, 'nothing stored');
});
