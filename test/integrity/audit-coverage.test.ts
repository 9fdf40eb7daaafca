// Reads that can leak an exam and attacks on accounts leave one audit record
// each: forms, keys and papers while the exam is open, bank exports with keys,
// results exports, failed logins (known and unknown usernames) and lockouts.
import t from 'tap';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';

// Three wrong passwords lock an account here.
const { app } = await build(t, { LOGIN_MAX_FAILURES: '3' });
// Opened a minute ago, closes in two hours: the exam is being sat now.
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'numeric'], prefix: 'ac' });
const w = fx.world;
const exam = (await app.models.Exam.findById(fx.examId).lean())!;
const code = exam.formCodes[0]!;
const { rootId } = await adminSession(app);

const recordsOf = (filter: Record<string, unknown>) => app.models.Audit.find(filter).sort({ at: 1, seq: 1 }).lean();

t.test('forms, papers and keys read while the exam is open: one record per read', async (t) => {
  const reads = [
    `/api/exams/${fx.examId}/forms/${code}`,
    `/api/exams/${fx.examId}/forms/${code}?format=html`,
    `/api/exams/${fx.examId}/answer-key`,
    `/api/exams/${fx.examId}/answer-key?format=csv`,
  ];
  for (const url of reads) t.equal((await w.manager({ method: 'GET', url })).statusCode, 200, url);
  const records = await recordsOf({ target: `exam:${fx.examId}`, action: { $in: ['exam.form_read', 'exam.key_read'] } });
  t.same(records.map((r) => [r.action, r.summary?.format, r.summary?.phase]), [
    ['exam.form_read', 'json', 'open'],
    ['exam.form_read', 'html', 'open'],
    ['exam.key_read', 'json', 'open'],
    ['exam.key_read', 'csv', 'open'],
  ]);
  t.ok(records.every((r) => r.chain === exam.ownerOrgId && r.actorId === w.managerId && r.actorRole === 'exam_manager' && r.ip && r.requestId));
});

t.test('results exports, JSON and CSV: one record each', async (t) => {
  t.equal((await w.manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).statusCode, 200);
  t.equal((await w.manager({ method: 'GET', url: `/api/exams/${fx.examId}/results?format=csv` })).statusCode, 200);
  t.equal((await w.otherManager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).statusCode, 404);
  const records = await recordsOf({ target: `exam:${fx.examId}`, action: 'exam.results_read' });
  t.same(records.map((r) => r.summary?.format), ['json', 'csv'], 'refused reads leave nothing');
  t.ok(records.every((r) => r.chain === exam.ownerOrgId && r.actorId === w.managerId && typeof r.summary?.rows === 'number'));
});

t.test('bank exports that carry keys: one record each, naming format and filters', async (t) => {
  const res = await w.author({ method: 'GET', url: '/api/items/export?format=csv&subject=math' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /987\.654/, 'the export carries keys');
  const records = await recordsOf({ action: 'item.export' });
  t.equal(records.length, 1);
  t.match(records[0], { chain: w.orgs.dep, actorRole: 'author', actorOrgId: w.orgs.dep, summary: { format: 'csv', filters: { subject: 'math' } } });
  // A caller without a bank role gets no keys, so nothing to record.
  t.equal((await w.manager({ method: 'GET', url: '/api/items/export?format=gift' })).statusCode, 200);
  t.equal((await recordsOf({ action: 'item.export' })).length, 1);
});

t.test('failed logins and the lockout; an unknown username answers the same and goes to the root chain', async (t) => {
  const login = (username: string, password: string) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  const unknown = await login('ac_nobody', 'guess-1');
  const wrong = await login('ac_author', 'guess-1');
  t.equal(unknown.statusCode, 401);
  t.same(unknown.json(), wrong.json(), 'the answer does not tell whether the account exists');

  const author = (await app.models.User.findOne({ usernameKey: 'ac_author' }).lean())!;
  const nobody = await recordsOf({ action: 'auth.login_failed', target: 'username:ac_nobody' });
  t.equal(nobody.length, 1);
  t.match(nobody[0], { chain: rootId, actorId: null, summary: { username: 'ac_nobody', failures: 1 } });
  t.ok(nobody[0]!.ip);

  t.equal((await login('AC_Author', 'guess-2')).statusCode, 401);
  const third = await login('ac_author', 'guess-3');
  t.equal(third.statusCode, 401, 'the third wrong password is still refused as wrong');
  t.equal((await login('ac_author', 'exam-test-password-1')).statusCode, 429, 'then the account is locked');
  const failed = await recordsOf({ action: 'auth.login_failed', target: `user:${author._id}` });
  t.same(failed.map((r) => r.summary?.failures), [1, 2, 3]);
  t.ok(failed.every((r) => r.chain === w.orgs.dep && r.actorId === null));
  const locks = await recordsOf({ action: 'auth.lockout', target: `user:${author._id}` });
  t.equal(locks.length, 1, 'one lockout record');
  t.match(locks[0], { chain: w.orgs.dep, summary: { failures: 3, lockSeconds: 900 } });
  t.same(await app.audit.verify(w.orgs.dep), { ok: true, checked: await app.models.Audit.countDocuments({ chain: w.orgs.dep }) });
  t.same(await app.audit.verify(rootId), { ok: true, checked: await app.models.Audit.countDocuments({ chain: rootId }) });
});

t.test('the audit trail shows them to the organisation\'s administrators', async (t) => {
  const admin = as(app, (await adminSession(app)).token);
  const page = (await admin({ method: 'GET', url: '/api/audit?limit=500' })).json().records as { action: string }[];
  for (const action of ['exam.form_read', 'exam.key_read', 'exam.results_read', 'item.export', 'auth.login_failed', 'auth.lockout']) {
    t.ok(page.some((r) => r.action === action), action);
  }
});
