import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { adminSession, as, build, login } from './helper.js';

async function tree(app: FastifyInstance) {
  const { token, rootId } = await adminSession(app);
  const call = as(app, token);
  const mk = async (code: string, kind: string, parentId: string) => {
    const res = await call({ method: 'POST', url: '/api/orgs', payload: { code, name: `Đơn vị ${code}`, kind, parentId } });
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json().id as string;
  };
  const dept = await mk('HN', 'department', rootId);
  const office = await mk('HN-CG', 'office', dept);
  const schoolA = await mk('HN-CG-A', 'school', office);
  const schoolB = await mk('HN-CG-B', 'school', office);
  const dept2 = await mk('HCM', 'department', rootId);
  return { token, rootId, dept, office, schoolA, schoolB, dept2 };
}

async function addUser(app: FastifyInstance, token: string, username: string, role: string, orgId: string) {
  const res = await as(app, token)({ method: 'POST', url: '/api/users', payload: { username, password: 'password-123', displayName: username, roles: [{ role, orgId }] } });
  return res;
}

t.test('the organisation tree has any depth and lists children', async (t) => {
  const { app } = await build(t);
  const o = await tree(app);
  const call = as(app, o.token);
  const school = (await call({ method: 'GET', url: `/api/orgs/${o.schoolA}` })).json();
  t.equal(school.kind, 'school');
  t.equal(school.parentId, o.office);
  t.same(school.path, [o.rootId, o.dept, o.office, o.schoolA]);
  t.equal(school.name, 'Đơn vị HN-CG-A');
  const children = (await call({ method: 'GET', url: `/api/orgs?parentId=${o.office}` })).json().orgs;
  t.same(children.map((c: { code: string }) => c.code), ['HN-CG-A', 'HN-CG-B']);
  const top = (await call({ method: 'GET', url: '/api/orgs' })).json().orgs;
  t.same(top.map((c: { kind: string }) => c.kind), ['ministry']);
  // deeper than four levels
  const grade = await call({ method: 'POST', url: '/api/orgs', payload: { code: 'HN-CG-A-12', name: 'Khối 12', kind: 'school', parentId: o.schoolA } });
  t.equal(grade.statusCode, 201);
  t.equal(grade.json().path.length, 5);
});

t.test('organisation creation errors', async (t) => {
  const { app } = await build(t);
  const o = await tree(app);
  const call = as(app, o.token);
  const dup = await call({ method: 'POST', url: '/api/orgs', payload: { code: 'HN', name: 'x', kind: 'department', parentId: o.rootId } });
  t.equal(dup.statusCode, 409);
  const badKind = await call({ method: 'POST', url: '/api/orgs', payload: { code: 'Z', name: 'x', kind: 'planet', parentId: o.rootId } });
  t.equal(badKind.statusCode, 400);
  t.equal(badKind.json().error.code, 'validation_failed');
  t.ok(badKind.json().error.details.some((d: { instancePath: string }) => d.instancePath === '/kind'));
  const noParent = await call({ method: 'POST', url: '/api/orgs', payload: { code: 'Z', name: 'x', kind: 'school', parentId: 'nope' } });
  t.equal(noParent.statusCode, 400);
  const missing = await call({ method: 'GET', url: '/api/orgs/000000000000000000000000' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.code, 'not_found');
});

t.test('roles are inherited down the subtree and never up or sideways', async (t) => {
  const { app } = await build(t);
  const o = await tree(app);
  t.equal((await addUser(app, o.token, 'deptadmin', 'admin', o.dept)).statusCode, 201);
  const deptAdmin = await login(app, 'deptadmin', 'password-123');
  // down the subtree: a school two levels below
  t.equal((await addUser(app, deptAdmin, 'teacherA', 'author', o.schoolA)).statusCode, 201);
  const sub = await as(app, deptAdmin)({ method: 'POST', url: '/api/orgs', payload: { code: 'HN-CG-C', name: 'C', kind: 'school', parentId: o.office } });
  t.equal(sub.statusCode, 201);
  // not up, not sideways
  t.equal((await addUser(app, deptAdmin, 'minister', 'admin', o.rootId)).statusCode, 403);
  t.equal((await addUser(app, deptAdmin, 'saigon', 'author', o.dept2)).statusCode, 403);
  const side = await as(app, deptAdmin)({ method: 'POST', url: '/api/orgs', payload: { code: 'HCM-1', name: 'x', kind: 'office', parentId: o.dept2 } });
  t.equal(side.statusCode, 403);
  t.equal(side.json().error.code, 'forbidden');
  // non-admins cannot create users at all
  const teacher = await login(app, 'teacherA', 'password-123');
  t.equal((await addUser(app, teacher, 'xx1', 'author', o.schoolA)).statusCode, 403);
  // the access helper answers the same questions for later modules
  const principal = await app.auth.authenticate(deptAdmin);
  t.ok(await app.access.holds(principal, 'admin', o.schoolB));
  t.notOk(await app.access.holds(principal, 'admin', o.dept2));
  t.notOk(await app.access.holds(principal, 'author', o.schoolB));
});

t.test('users: never a password or hash in answers; visibility of users', async (t) => {
  const { app } = await build(t);
  const o = await tree(app);
  const created = await as(app, o.token)({ method: 'POST', url: '/api/users', payload: { username: 'hs0001', password: 'password-123', displayName: 'Nguyễn Văn An', studentId: '0101000001', roles: [{ role: 'candidate', orgId: o.schoolA }] } });
  t.equal(created.statusCode, 201);
  t.notMatch(created.body, /password|scrypt/);
  t.equal(created.json().studentId, '0101000001');
  const id = created.json().id;
  t.equal((await as(app, o.token)({ method: 'GET', url: `/api/users/${id}` })).statusCode, 200);
  await addUser(app, o.token, 'hcmadmin', 'admin', o.dept2);
  const other = await login(app, 'hcmadmin', 'password-123');
  t.equal((await as(app, other)({ method: 'GET', url: `/api/users/${id}` })).statusCode, 404, 'another branch cannot see the user');
  const self = await login(app, 'hs0001', 'password-123');
  t.equal((await as(app, self)({ method: 'GET', url: `/api/users/${id}` })).statusCode, 200);
  const dup = await as(app, o.token)({ method: 'POST', url: '/api/users', payload: { username: 'HS0001', password: 'password-123', displayName: 'x', roles: [{ role: 'candidate', orgId: o.schoolA }] } });
  t.equal(dup.statusCode, 409);
  const weak = await as(app, o.token)({ method: 'POST', url: '/api/users', payload: { username: 'x2', password: 'short', displayName: 'x', roles: [{ role: 'candidate', orgId: o.schoolA }] } });
  t.equal(weak.statusCode, 400);
  t.ok(weak.json().error.details.some((d: { instancePath: string }) => d.instancePath === '/password'));
});

t.test('bulk roster: 5,000 candidates in one call, with per-row errors', async (t) => {
  const { app } = await build(t);
  const o = await tree(app);
  const users: Record<string, unknown>[] = [];
  for (let i = 0; i < 5000; i++) {
    users.push({ username: `hs${String(i).padStart(5, '0')}`, password: `pw-${i}-secret`, displayName: `Học sinh ${i}`, studentId: `01${String(i).padStart(8, '0')}`, roles: [{ role: 'candidate', orgId: o.schoolA }] });
  }
  users[10] = { ...users[10], password: 'x' }; // too short
  users[20] = { ...users[20], username: 'hs00019' }; // repeats row 19
  users[30] = { ...users[30], roles: [{ role: 'candidate', orgId: o.dept2 }] }; // another branch: the root admin may
  users[40] = { ...users[40], roles: [{ role: 'wizard', orgId: o.schoolA }] };
  const started = Date.now();
  const res = await as(app, o.token)({ method: 'POST', url: '/api/users/bulk', payload: { users } });
  const ms = Date.now() - started;
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.same(body.failed.map((f: { index: number }) => f.index), [10, 20, 40]);
  t.equal(body.failed[0].error.code, 'validation_failed');
  t.equal(body.failed[1].error.code, 'duplicate_username');
  t.equal(body.created, 4997);
  t.equal(await app.models.User.countDocuments({ 'roles.role': 'candidate' }), 4997);
  t.comment(`5,000-row roster took ${ms} ms`);
  // rows that already exist fail alone on a second upload
  const again = await as(app, o.token)({ method: 'POST', url: '/api/users/bulk', payload: { users: [users[0], { ...users[0], username: 'fresh01' }] } });
  t.same(again.json().created, 1);
  t.equal(again.json().failed[0].error.code, 'duplicate_username');
  const candidate = await login(app, 'hs04999', 'pw-4999-secret');
  t.type(candidate, 'string');
  const tooMany = await as(app, o.token)({ method: 'POST', url: '/api/users/bulk', payload: { users: [...users, users[0]] } });
  t.equal(tooMany.statusCode, 400);
});
