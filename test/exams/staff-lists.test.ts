/**
 * The routes the staff app lists and looks things up with: exams and
 * blueprints of the caller's organisations, approved-item availability per
 * matrix cell as the exam's organisation may use the bank, usernames → ids,
 * and the ids of a bulk roster. Tenant isolation and error bodies included.
 */
import t from 'tap';
import { adminSession, as, build } from '../helper.js';
import { approvedItems, examWorld, WINDOW } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await examWorld(app, 3);
const { manager, otherManager, proctor, candidate, author, reviewer } = world;

await approvedItems(world, [
  ...Array.from({ length: 5 }, () => ({ type: 'single_choice' as const, topic: 'ham-so', cognitiveLevel: 1 as const })),
  ...Array.from({ length: 2 }, () => ({ type: 'true_false' as const, topic: 'ham-so', cognitiveLevel: 2 as const })),
  { type: 'single_choice', topic: 'tich-phan', cognitiveLevel: 3 },
]);
// A private approved item is its author's, never the pool's; a draft is not approved.
const privateItem = await author({ method: 'POST', url: '/api/items', payload: { type: 'true_false', stem: '<p>Riêng</p>', subject: 'math', grade: 12, topic: 'ham-so', cognitiveLevel: 1, value: true, sharing: 'private' } });
await author({ method: 'POST', url: `/api/items/${privateItem.json().id}/status`, payload: { status: 'in_review' } });
await reviewer({ method: 'POST', url: `/api/items/${privateItem.json().id}/status`, payload: { status: 'approved' } });
await author({ method: 'POST', url: '/api/items', payload: { type: 'true_false', stem: '<p>Nháp</p>', subject: 'math', grade: 12, topic: 'ham-so', cognitiveLevel: 1, value: true } });

const blueprintBody = (title: string) => ({ title, subject: 'math', grade: 12, sections: [{ title: 'I', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 2 }] }] });

t.test('availability per cell, as the organisation may use the bank', async (t) => {
  const res = await manager({ method: 'GET', url: '/api/blueprints/availability?subject=math&grade=12&topics=ham-so,tich-phan' });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.match(body, { orgId: world.orgs.dep, subject: 'math', grade: 12 });
  const n = (topic: string, level: number) => body.cells.find((c: { topic: string; cognitiveLevel: number }) => c.topic === topic && c.cognitiveLevel === level).available;
  t.equal(body.cells.length, 8, 'two topics × four levels');
  t.equal(n('ham-so', 1), 5, 'no private, no draft item counted');
  t.equal(n('ham-so', 2), 2);
  t.equal(n('tich-phan', 3), 1);
  t.equal(n('tich-phan', 1), 0);
  const typed = (await manager({ method: 'GET', url: `/api/blueprints/availability?subject=math&grade=12&topics=ham-so&type=true_false&orgId=${world.orgs.dep}` })).json();
  t.same(typed.cells.map((c: { available: number }) => c.available), [0, 2, 0, 0], 'one item type');
  t.equal(typed.type, 'true_false');

  // The other department's bank is its own: org-shared items of SGD-HN are not in its pool.
  const other = (await otherManager({ method: 'GET', url: '/api/blueprints/availability?subject=math&grade=12&topics=ham-so' })).json();
  t.same(other.cells.map((c: { available: number }) => c.available), [0, 0, 0, 0]);
  const foreign = await otherManager({ method: 'GET', url: `/api/blueprints/availability?subject=math&grade=12&topics=ham-so&orgId=${world.orgs.dep}` });
  t.equal(foreign.statusCode, 404, "another department's organisation is not found");
  t.equal(foreign.json().error.code, 'not_found');
  const forCandidate = await candidate({ method: 'GET', url: `/api/blueprints/availability?subject=math&grade=12&topics=ham-so&orgId=${world.orgs.school}` });
  t.equal(forCandidate.statusCode, 403);
  t.equal(forCandidate.json().error.code, 'forbidden');
  t.equal((await proctor({ method: 'GET', url: '/api/blueprints/availability?subject=math&grade=12&topics=ham-so' })).statusCode, 403, 'proctors do not build blueprints');

  const badTopic = await manager({ method: 'GET', url: '/api/blueprints/availability?subject=math&grade=12&topics=Hàm số' });
  t.equal(badTopic.statusCode, 400);
  t.match(badTopic.json(), { error: { code: 'validation_failed', details: [{ instancePath: '/topics' }] } });
  const noGrade = await manager({ method: 'GET', url: '/api/blueprints/availability?subject=math&topics=ham-so' });
  t.equal(noGrade.statusCode, 400);
  t.equal(noGrade.json().error.code, 'validation_failed');
  t.equal((await manager({ method: 'GET', url: '/api/blueprints/availability?subject=math&grade=12&topics=ham-so&type=poem' })).statusCode, 400);
});

t.test('blueprints and exams of the caller\'s organisations', async (t) => {
  const bps: string[] = [];
  for (const title of ['Giữa kỳ I', 'Cuối kỳ I', 'Giữa kỳ II']) {
    const res = await manager({ method: 'POST', url: '/api/blueprints', payload: blueprintBody(title) });
    t.equal(res.statusCode, 201, res.body);
    bps.push(res.json().id);
  }
  const theirs = (await otherManager({ method: 'POST', url: '/api/blueprints', payload: blueprintBody('Của Sở khác') })).json().id;

  const page1 = await manager({ method: 'GET', url: '/api/blueprints?limit=2' });
  t.equal(page1.statusCode, 200, page1.body);
  t.same(page1.json().blueprints.map((b: { id: string }) => b.id), bps.slice(0, 2));
  const page2 = (await manager({ method: 'GET', url: `/api/blueprints?limit=2&cursor=${page1.json().nextCursor}` })).json();
  t.same(page2.blueprints.map((b: { id: string }) => b.id), [bps[2]]);
  t.equal(page2.nextCursor, null);
  t.same((await manager({ method: 'GET', url: '/api/blueprints?q=cuối kỳ' })).json().blueprints.map((b: { id: string }) => b.id), [bps[1]]);
  t.same((await otherManager({ method: 'GET', url: '/api/blueprints' })).json().blueprints.map((b: { id: string }) => b.id), [theirs], 'each department lists its own');
  t.equal((await candidate({ method: 'GET', url: '/api/blueprints' })).statusCode, 403);
  t.equal((await manager({ method: 'GET', url: '/api/blueprints?grade=twelve' })).json().error.code, 'validation_failed');
  t.equal((await manager({ method: 'GET', url: `/api/blueprints/${theirs}` })).statusCode, 404, "another department's blueprint is not found");

  const exam = async (title: string, caller = manager, blueprintId = bps[0]) => {
    const res = await caller({ method: 'POST', url: '/api/exams', payload: { title, blueprintId, formCount: 1, ...WINDOW, durationMinutes: 45, candidateIds: world.candidateIds, showResults: 'never' } });
    t.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };
  const e1 = await exam('Kiểm tra 15 phút');
  const e2 = await exam('Thi thử THPT');
  const e3 = await otherManager({ method: 'POST', url: '/api/exams', payload: { title: 'Của Sở khác', blueprintId: theirs, formCount: 1, ...WINDOW, durationMinutes: 45, candidateIds: [], showResults: 'never' } });
  t.equal(e3.statusCode, 201);

  const list = await manager({ method: 'GET', url: '/api/exams' });
  t.equal(list.statusCode, 200, list.body);
  t.same(list.json().exams.map((e: { id: string }) => e.id), [e1, e2]);
  t.match(list.json().exams[0], { title: 'Kiểm tra 15 phút', status: 'draft', candidateCount: 3, seed: String, blueprintId: bps[0] });
  t.notOk('candidateIds' in list.json().exams[0], 'lists carry the count, not the roster');
  const forProctor = (await proctor({ method: 'GET', url: '/api/exams' })).json().exams;
  t.same(forProctor.map((e: { id: string }) => e.id), [e1, e2], 'proctors list the exams they watch');
  t.notOk('seed' in forProctor[0], 'without the seed');
  t.same((await manager({ method: 'GET', url: '/api/exams?q=THỬ' })).json().exams.map((e: { id: string }) => e.id), [e2]);
  t.same((await manager({ method: 'GET', url: '/api/exams?status=published' })).json().exams, []);
  t.same((await manager({ method: 'GET', url: '/api/exams?closesAfter=2031-01-01T00:00:00Z' })).json().exams, []);
  const one = await manager({ method: 'GET', url: '/api/exams?limit=1' });
  t.same(one.json().exams.map((e: { id: string }) => e.id), [e1]);
  t.same((await manager({ method: 'GET', url: `/api/exams?cursor=${one.json().nextCursor}` })).json().exams.map((e: { id: string }) => e.id), [e2]);
  t.same((await otherManager({ method: 'GET', url: '/api/exams' })).json().exams.map((e: { id: string }) => e.id), [e3.json().id]);
  const forCandidate = await candidate({ method: 'GET', url: '/api/exams' });
  t.equal(forCandidate.statusCode, 403, 'candidates list theirs with /api/my/exams');
  t.equal(forCandidate.json().error.code, 'forbidden');
  const bad = await manager({ method: 'GET', url: '/api/exams?status=open&limit=0' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'validation_failed');
  t.ok(bad.json().error.details.length >= 1);
  t.equal((await manager({ method: 'GET', url: '/api/exams?cursor=%20x' })).json().error.code, 'validation_failed');
});

t.test('usernames → ids for the caller\'s organisations; bulk roster answers ids', async (t) => {
  const names = ['w_cand0', 'W_CAND1', 'w_cand2', 'nobody', 'w_other_manager'];
  const res = await manager({ method: 'GET', url: `/api/users?username=${names.join(',')}` });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().users.map((u: { id: string }) => u.id), world.candidateIds, 'case does not matter; unknown names and other departments are absent');
  t.match(res.json().users[0], { username: 'w_cand0', displayName: 'cand0' });
  t.notOk('passwordHash' in res.json().users[0] || 'roles' in res.json().users[0]);
  t.same((await otherManager({ method: 'GET', url: '/api/users?username=w_cand0' })).json().users, [], "another department's candidates are not found");
  t.equal((await candidate({ method: 'GET', url: '/api/users?username=w_cand1' })).statusCode, 403);
  t.equal((await proctor({ method: 'GET', url: '/api/users?username=w_cand1' })).statusCode, 403);
  const none = await manager({ method: 'GET', url: '/api/users' });
  t.equal(none.statusCode, 400);
  t.equal(none.json().error.code, 'validation_failed');
  t.equal((await manager({ method: 'GET', url: `/api/users?username=${Array.from({ length: 1001 }, (_, i) => `u${i}`).join(',')}` })).json().error.code, 'validation_failed');

  const admin = as(app, (await adminSession(app)).token);
  const roster = await admin({
    method: 'POST',
    url: '/api/users/bulk',
    payload: {
      users: [
        { username: 'hs_moi_1', password: 'mat-khau-123', displayName: 'Học sinh mới 1', roles: [{ role: 'candidate', orgId: world.orgs.school }] },
        { username: 'x', password: 'short', displayName: 'Hỏng', roles: [{ role: 'candidate', orgId: world.orgs.school }] },
        { username: 'w_cand0', password: 'mat-khau-123', displayName: 'Trùng', roles: [{ role: 'candidate', orgId: world.orgs.school }] },
        { username: 'hs_moi_2', password: 'mat-khau-123', displayName: 'Học sinh mới 2', roles: [{ role: 'candidate', orgId: world.orgs.school }] },
      ],
    },
  });
  t.equal(roster.statusCode, 200, roster.body);
  const body = roster.json();
  t.equal(body.created, 2);
  t.same(body.failed.map((f: { index: number }) => f.index), [1, 2]);
  t.same(body.users.map((u: { index: number; username: string }) => [u.index, u.username]), [[0, 'hs_moi_1'], [3, 'hs_moi_2']], 'rows keep their index');
  const ids = body.users.map((u: { id: string }) => u.id);
  const looked = (await manager({ method: 'GET', url: '/api/users?username=hs_moi_1,hs_moi_2' })).json().users.map((u: { id: string }) => u.id);
  t.same(looked, ids, 'the ids are the users');
  const bp = (await manager({ method: 'POST', url: '/api/blueprints', payload: blueprintBody('Cho danh sách mới') })).json().id;
  const exam = await manager({ method: 'POST', url: '/api/exams', payload: { title: 'Danh sách mới', blueprintId: bp, formCount: 1, ...WINDOW, durationMinutes: 30, candidateIds: ids, showResults: 'never' } });
  t.equal(exam.statusCode, 201, 'the roster ids go straight into an exam');
  t.same(exam.json().candidateIds, ids);
});

t.test('the new routes are in the OpenAPI document with their parameters', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  const paths = doc.paths as Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>>;
  for (const [path, method] of [
    ['/api/exams', 'get'],
    ['/api/blueprints', 'get'],
    ['/api/blueprints/availability', 'get'],
    ['/api/users', 'get'],
    ['/api/stimuli', 'get'],
    ['/api/stimuli/{id}', 'put'],
  ] as const) {
    t.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  }
  t.same(paths['/api/blueprints/availability']!.get!.parameters!.map((p) => p.name).sort(), ['grade', 'orgId', 'subject', 'topics', 'type']);
  t.ok(paths['/api/items/{id}/status']!.post!.requestBody!.content['application/json']!.schema.properties!.comment, 'the review comment is part of the status body');
});
