import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';

t.test('audited actions append exactly one record each, with the right actor', async (t) => {
  const { app } = await build(t);
  const { token, rootId, userId } = await adminSession(app);
  const call = as(app, token);
  const dept = (await call({ method: 'POST', url: '/api/orgs', payload: { code: 'HN', name: 'Sở Hà Nội', kind: 'department', parentId: rootId } })).json();
  const user = (await call({ method: 'POST', url: '/api/users', payload: { username: 'gv01', password: 'password-123', displayName: 'Giáo viên', roles: [{ role: 'author', orgId: dept.id }] } })).json();
  await call({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { displayName: 'Cô giáo Hoa' } });

  const all = (await call({ method: 'GET', url: '/api/audit' })).json().records;
  t.same(all.map((r: { action: string }) => r.action), ['user.update', 'user.create', 'org.create'], 'newest first, one per action');
  t.ok(all.every((r: { actorId: string }) => r.actorId === userId));
  t.ok(all.every((r: { requestId: string; ip: string }) => r.requestId && r.ip));
  const byTarget = (await call({ method: 'GET', url: `/api/audit?target=user:${user.id}` })).json().records;
  t.equal(byTarget.length, 2);
  t.same(byTarget[0].summary.changed, ['displayName']);

  const verify = (await call({ method: 'GET', url: `/api/audit/verify?chain=${dept.id}` })).json();
  t.same(verify, { ok: true, checked: 3 });
});

t.test('tampering with a stored record is reported at the exact break', async (t) => {
  const { app } = await build(t);
  const { token, rootId } = await adminSession(app);
  const call = as(app, token);
  for (let i = 0; i < 5; i++) {
    await call({ method: 'POST', url: '/api/orgs', payload: { code: `S${i}`, name: `Trường ${i}`, kind: 'school', parentId: rootId } });
  }
  // org.create records go to the new organisation's chain; put five records on one chain instead
  const school = (await call({ method: 'GET', url: `/api/orgs?parentId=${rootId}` })).json().orgs[0];
  for (let i = 0; i < 5; i++) {
    await call({ method: 'POST', url: '/api/users', payload: { username: `u${i}xx`, password: 'password-123', displayName: `U${i}`, roles: [{ role: 'author', orgId: school.id }] } });
  }
  const ok = (await call({ method: 'GET', url: `/api/audit/verify?chain=${school.id}` })).json();
  t.same(ok, { ok: true, checked: 6 });

  // edit one record's summary directly in the database
  await app.models.Audit.collection.updateOne({ _id: `${school.id}:3` as never }, { $set: { 'summary.username': 'someone-else' } });
  const edited = (await call({ method: 'GET', url: `/api/audit/verify?chain=${school.id}` })).json();
  t.equal(edited.ok, false);
  t.equal(edited.firstBrokenAt, `${school.id}:3`);

  // deleting a record shows as a gap at that position
  const { app: app2 } = await build(t);
  const s2 = await adminSession(app2);
  const c2 = as(app2, s2.token);
  for (let i = 0; i < 4; i++) {
    await c2({ method: 'POST', url: '/api/users', payload: { username: `v${i}xx`, password: 'password-123', displayName: `V${i}`, roles: [{ role: 'author', orgId: s2.rootId }] } });
  }
  await app2.models.Audit.collection.deleteOne({ _id: `${s2.rootId}:2` as never });
  const gap = (await c2({ method: 'GET', url: `/api/audit/verify?chain=${s2.rootId}` })).json();
  t.equal(gap.ok, false);
  t.equal(gap.firstBrokenAt, `${s2.rootId}:2`);
});

t.test('concurrent appends keep one unbroken chain', async (t) => {
  const { app } = await build(t);
  const { rootId } = await adminSession(app);
  await Promise.all(Array.from({ length: 30 }, (_, i) => app.audit.record({ actorId: 'x' }, { orgId: rootId, action: 'test.concurrent', target: `t:${i}` })));
  const result = await app.audit.verify(rootId);
  t.same(result, { ok: true, checked: 30 });
});

t.test('only admins and exam managers read the audit trail, and only of their subtree', async (t) => {
  const { app } = await build(t);
  const { token, rootId } = await adminSession(app);
  const call = as(app, token);
  const a = (await call({ method: 'POST', url: '/api/orgs', payload: { code: 'A', name: 'A', kind: 'department', parentId: rootId } })).json();
  const b = (await call({ method: 'POST', url: '/api/orgs', payload: { code: 'B', name: 'B', kind: 'department', parentId: rootId } })).json();
  await call({ method: 'POST', url: '/api/users', payload: { username: 'adminA', password: 'password-123', displayName: 'A', roles: [{ role: 'admin', orgId: a.id }] } });
  await call({ method: 'POST', url: '/api/users', payload: { username: 'authorA', password: 'password-123', displayName: 'A', roles: [{ role: 'author', orgId: a.id }] } });
  const adminA = as(app, await login(app, 'adminA', 'password-123'));
  const seen = (await adminA({ method: 'GET', url: '/api/audit' })).json().records;
  t.ok(seen.length >= 1);
  t.ok(seen.every((r: { chain: string }) => r.chain === a.id), 'nothing of department B');
  t.equal((await adminA({ method: 'GET', url: `/api/audit/verify?chain=${b.id}` })).statusCode, 403);
  const author = as(app, await login(app, 'authorA', 'password-123'));
  t.equal((await author({ method: 'GET', url: '/api/audit' })).statusCode, 403);
  t.equal((await adminA({ method: 'GET', url: '/api/audit?cursor=garbage' })).statusCode, 400);
});

t.test('audit pages with a cursor, without gaps or repeats', async (t) => {
  const { app } = await build(t);
  const { token, rootId } = await adminSession(app);
  for (let i = 0; i < 25; i++) await app.audit.record({ actorId: 'x' }, { orgId: rootId, action: 'test.page', target: `t:${i}` });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await as(app, token)({ method: 'GET', url })).json();
    seen.push(...page.records.map((r: { id: string }) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  t.equal(seen.length, 25);
  t.equal(new Set(seen).size, 25);
});
