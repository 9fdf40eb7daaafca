// Rosters stay inside the exam's organisation: a department cannot put another
// department's candidates (or any non-candidate) on its exam, and the refusal
// does not tell "no such user" from "not yours".
import t from 'tap';
import { adminSession, as, build } from '../helper.js';
import { examWorld, ok, WINDOW } from '../support/fixtures/index.js';

const { app } = await build(t);
const w = await examWorld(app, 2, 'rt');
const admin = as(app, (await adminSession(app)).token);
const user = async (username: string, roles: { role: string; orgId: string }[]) =>
  (await ok(await admin({ method: 'POST', url: '/api/users', payload: { username, password: 'roster-password-1', displayName: username, roles } }), 201)).id as string;
// Department B (the world's other department) has a school with a candidate of its own.
const schoolB = (await ok(await admin({ method: 'POST', url: '/api/orgs', payload: { code: 'rt-THPT-B', name: 'THPT B', kind: 'school', parentId: w.orgs.otherDep } }), 201)).id as string;
const foreignCandidate = await user('rt_foreign', [{ role: 'candidate', orgId: schoolB }]);
const foreignAdmin = await user('rt_foreign_admin', [{ role: 'admin', orgId: w.orgs.otherDep }]);
const ministryCandidate = await user('rt_ministry', [{ role: 'candidate', orgId: w.orgs.root }]);
// A teacher of department A's own school: in the organisation, but not a candidate.
const ownProctor = await user('rt_teacher', [{ role: 'proctor', orgId: w.orgs.school }]);
const blueprintId = (await ok(
  await w.manager({ method: 'POST', url: '/api/blueprints', payload: { title: 'Ma trận', subject: 'math', grade: 12, sections: [{ title: 'I', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 1 }] }] } }),
  201,
)).id as string;
const exam = (candidateIds: string[]) =>
  w.manager({ method: 'POST', url: '/api/exams', payload: { title: 'Danh sách thi', blueprintId, formCount: 1, ...WINDOW, durationMinutes: 30, candidateIds, showResults: 'after_submit' } });

t.test("another department's candidate, administrator or a non-candidate is refused, with one message", async (t) => {
  const before = await app.models.Exam.countDocuments({});
  const unknown = '0123456789abcdef01234567';
  const res = await exam([w.candidateIds[0]!, foreignCandidate, foreignAdmin, unknown, ministryCandidate, ownProctor]);
  t.equal(res.statusCode, 400, res.body);
  const { error } = res.json();
  t.equal(error.code, 'validation_failed');
  t.same(error.details.map((d: { instancePath: string }) => d.instancePath), ['/candidateIds/1', '/candidateIds/2', '/candidateIds/3', '/candidateIds/4', '/candidateIds/5']);
  t.equal(new Set(error.details.map((d: { message: string }) => d.message)).size, 1, 'the same words for unknown and foreign ids');
  t.notMatch(res.body, /no such user/i);
  t.equal(await app.models.Exam.countDocuments({}), before, 'no exam stored');

});

t.test('own candidates pass, from any school below the exam’s organisation', async (t) => {
  const res = await exam(w.candidateIds);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json().candidateIds, w.candidateIds);
});

t.test('a large roster is checked in one go', async (t) => {
  const rows = Array.from({ length: 300 }, (_, i) => ({ username: `rt_bulk_${i}`, password: 'roster-password-1', displayName: `HS ${i}`, roles: [{ role: 'candidate', orgId: i % 2 ? w.orgs.school : schoolB }] }));
  const bulk = await ok(await admin({ method: 'POST', url: '/api/users/bulk', payload: { users: rows } }), 200);
  const ids = (bulk.users as { index: number; id: string }[]).sort((a, b) => a.index - b.index).map((u) => u.id);
  const res = await exam(ids);
  t.equal(res.statusCode, 400);
  t.same(
    res.json().error.details.map((d: { instancePath: string }) => d.instancePath),
    ids.flatMap((_, i) => (i % 2 ? [] : [`/candidateIds/${i}`])).slice(0, 50),
    'the offending indexes (the first 50)',
  );
  t.equal((await exam(ids.filter((_, i) => i % 2))).statusCode, 201);
});
