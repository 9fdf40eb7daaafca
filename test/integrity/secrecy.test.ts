// Exam secrecy: forms, answer keys and printable papers per role, before, while and after the exam is open.
import t, { type Test } from 'tap';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';

const { app } = await build(t);
// Opens in an hour: published, forms frozen, nothing open yet.
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'numeric'], opensInMs: 3600_000, closesInMs: 3 * 3600_000, prefix: 'sx' });
const w = fx.world;
const admin = as(app, (await adminSession(app)).token);
const code = (await app.models.Exam.findById(fx.examId).lean())!.formCodes[0]!;
const urls = {
  form: `/api/exams/${fx.examId}/forms/${code}`,
  paper: `/api/exams/${fx.examId}/forms/${code}?format=html`,
  key: `/api/exams/${fx.examId}/answer-key`,
  keyCsv: `/api/exams/${fx.examId}/answer-key?format=csv`,
};
const callers = [
  { who: 'exam manager of the organisation', call: w.manager, status: 200 },
  { who: 'proctor of the organisation', call: w.proctor, status: 403 },
  { who: 'author of the items', call: w.author, status: 403 },
  { who: 'reviewer of the items', call: w.reviewer, status: 403 },
  { who: 'administrator above the organisation', call: admin, status: 403 },
  { who: 'candidate of the exam', call: w.candidate, status: 403 },
  { who: 'exam manager of another organisation', call: w.otherManager, status: 404 },
];

const reads = () => app.models.Audit.find({ target: `exam:${fx.examId}`, action: { $in: ['exam.form_read', 'exam.key_read'] } }).sort({ at: 1, seq: 1 }).lean();

async function checkRoles(t: Test) {
  for (const { who, call, status } of callers) {
    for (const [what, url] of Object.entries(urls)) {
      const res = await call({ method: 'GET', url });
      t.equal(res.statusCode, status, `${who}: ${what}`);
      if (status !== 200) {
        t.equal(res.json().error.code, status === 403 ? 'forbidden' : 'not_found', `${who}: ${what} error body`);
        t.notMatch(res.body, /987\.654/, 'no key in a refusal');
      }
    }
  }
}

t.test('before opening: exam managers of the organisation only, and every read is audited', async (t) => {
  t.same(await reads(), [], 'nothing read yet');
  await checkRoles(t);
  const records = await reads();
  t.same(records.map((r) => r.action), ['exam.form_read', 'exam.form_read', 'exam.key_read', 'exam.key_read'], 'one record per successful read, none for refused ones');
  t.same(records.map((r) => r.summary?.format), ['json', 'html', 'json', 'csv']);
  t.ok(records.every((r) => r.actorId === w.managerId && r.actorRole === 'exam_manager' && r.actorOrgId === w.orgs.dep && r.requestId && r.ip));
  t.same(records[0]!.summary?.forms, [code]);
  const trail = await w.manager({ method: 'GET', url: `/api/audit?target=exam:${fx.examId}` });
  t.equal(trail.json().records.filter((r: { action: string }) => r.action.endsWith('_read')).length, 4, 'visible in the audit trail');
  t.same(await app.audit.verify(w.orgs.dep), { ok: true, checked: (await app.models.Audit.countDocuments({ chain: w.orgs.dep })) });
});

t.test('after opening and after closing: the same rules, and every read is still recorded with the phase', async (t) => {
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { opensAt: new Date(Date.now() - 60_000) } });
  const before = (await reads()).length;
  await checkRoles(t);
  const open = (await reads()).slice(before);
  t.same(open.map((r) => [r.action, r.summary?.phase]), [['exam.form_read', 'open'], ['exam.form_read', 'open'], ['exam.key_read', 'open'], ['exam.key_read', 'open']]);
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  await checkRoles(t);
  t.same((await reads()).slice(before + 4).map((r) => r.summary?.phase), ['closed', 'closed', 'closed', 'closed']);
});
