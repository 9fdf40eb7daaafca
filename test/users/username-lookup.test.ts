// Logins and roster look-ups find users through the username documents
// (reads by _id); every user has one.
import t from 'tap';
import { newId } from '../../src/ids.js';
import { ADMIN, adminSession, as, build, login } from '../helper.js';

t.test('created users get a username document; logins of any case use it', async (t) => {
  const { app } = await build(t);
  const admin = await adminSession(app);
  const res = await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'GV.Lan', password: 'password-123', displayName: 'Cô Lan', roles: [{ role: 'author', orgId: admin.rootId }] } });
  t.equal(res.statusCode, 201);
  const names = app.mongo.db!.collection<{ _id: string; userId: string }>('user_names');
  t.same(await names.findOne({ _id: 'gv.lan' }), { _id: 'gv.lan', userId: res.json().id });
  t.ok(await login(app, 'gv.lan', 'password-123'));
  t.ok(await login(app, 'GV.LAN', 'password-123'));
  const bulk = await as(app, admin.token)({
    method: 'POST',
    url: '/api/users/bulk',
    payload: { users: [0, 1, 2].map((i) => ({ username: `hs.${i}`, password: 'password-123', displayName: `HS ${i}`, roles: [{ role: 'candidate', orgId: admin.rootId }] })) },
  });
  t.equal(bulk.statusCode, 200);
  t.equal(await names.countDocuments({ _id: { $in: ['hs.0', 'hs.1', 'hs.2'] } }), 3, 'bulk-created users too');
  const dup = await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'gv.LAN', password: 'password-123', displayName: 'x', roles: [{ role: 'author', orgId: admin.rootId }] } });
  t.equal(dup.statusCode, 409, 'usernames stay unique whatever the case');
  t.equal((await names.findOne({ _id: 'gv.lan' }))?.userId, res.json().id, 'the refused one did not take the name');
});

t.test('users stored before username documents existed get theirs when a process starts', async (t) => {
  const { app, name } = await build(t);
  const admin = await adminSession(app);
  const created = await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'tmp.user', password: 'password-123', displayName: 'Tạm', roles: [{ role: 'candidate', orgId: admin.rootId }] } });
  const hash = (await app.models.User.findById(created.json().id).lean())!.passwordHash;
  const id = newId();
  await app.models.User.collection.insertOne({ _id: id, username: 'Old.User', usernameKey: 'old.user', passwordHash: hash, displayName: 'Cũ', roles: [{ role: 'candidate', orgId: admin.rootId }], active: true, createdAt: new Date() } as never);
  const names = app.mongo.db!.collection<{ _id: string; userId: string }>('user_names');
  // A database from before username documents: none at all.
  await names.deleteMany({});
  // Logins never look a user up by name (a filter on usernameKey reads every user, and would make an
  // unknown username cost more than a known one): until a process starts, the user is not found.
  const early = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'old.user', password: 'password-123' } });
  t.equal(early.statusCode, 401, 'without its username document the running process does not find the user');
  const next = (await build(t, {}, name)).app;
  t.same(await names.findOne({ _id: 'old.user' }), { _id: 'old.user', userId: id }, 'the starting process gave the old user its document');
  t.ok(await login(next, 'old.user', 'password-123'), 'who logs in');
  t.ok(await login(next, ADMIN.username, ADMIN.password), 'and so does everyone else');
  const found = await as(next, admin.token)({ method: 'GET', url: '/api/users?username=old.user' });
  t.same(found.json().users.map((u: { id: string }) => u.id), [id], 'found by the roster look-up');
  const unknown = await next.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody.here', password: 'password-123' } });
  t.equal(unknown.statusCode, 401);
});

t.test('a name left by a creation that never finished is taken over; one pointing at the wrong user is set right', async (t) => {
  const { app } = await build(t);
  const admin = await adminSession(app);
  const names = app.mongo.db!.collection<{ _id: string; userId: string }>('user_names');
  // The creation took the name, then the process died before the user was stored.
  await names.insertOne({ _id: 'hs.dangdo', userId: newId() });
  const res = await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'HS.DangDo', password: 'password-123', displayName: 'Dang dở', roles: [{ role: 'candidate', orgId: admin.rootId }] } });
  t.equal(res.statusCode, 201, 'the username is free');
  t.same(await names.findOne({ _id: 'hs.dangdo' }), { _id: 'hs.dangdo', userId: res.json().id });
  t.ok(await login(app, 'hs.dangdo', 'password-123'));
  // Two creations raced for one username and the loser's id stayed on the name.
  await names.updateOne({ _id: 'hs.dangdo' }, { $set: { userId: newId() } });
  t.ok(await login(app, 'hs.dangdo', 'password-123'), 'the user still logs in');
  t.same(await names.findOne({ _id: 'hs.dangdo' }), { _id: 'hs.dangdo', userId: res.json().id }, 'and the document points at them again');
});
