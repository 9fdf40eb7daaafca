import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { adminSession, as, build, login } from './helper.js';
import { revocationChannel } from '../src/users/revocations.js';

async function setup(t: Test) {
  const { app, name, config } = await build(t);
  const admin = await adminSession(app);
  const user = (await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'gv01', password: 'password-123', displayName: 'GV', roles: [{ role: 'author', orgId: admin.rootId }, { role: 'reviewer', orgId: admin.rootId }] } })).json();
  const other = await build(t, {}, name); // a second API process
  return { app, other: other.app, admin, user, config };
}

t.test('deactivation ends every session at once on every process', async (t) => {
  const { app, other, admin, user, config } = await setup(t);
  const token = await login(app, 'gv01', 'password-123');
  t.equal((await as(other, token)({ method: 'GET', url: '/api/me' })).statusCode, 200);
  const sub = new Redis(config.REDIS_URL);
  t.teardown(() => sub.disconnect());
  await sub.subscribe(revocationChannel(config.REDIS_KEY_PREFIX));
  const announced = new Promise<string>((resolve) => sub.once('message', (_c, m) => resolve(m)));
  const started = Date.now();
  const res = await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: false } });
  t.equal(res.statusCode, 200);
  t.equal(res.json().active, false);
  t.equal((await as(other, token)({ method: 'GET', url: '/api/me' })).statusCode, 401);
  t.ok(Date.now() - started < 1000, 'within one second');
  t.equal(JSON.parse(await announced).userId, user.id, 'open sockets are told through Redis');
  const again = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'gv01', password: 'password-123' } });
  t.equal(again.statusCode, 401);
});

t.test('password change ends old sessions; the new password works', async (t) => {
  const { app, other, user } = await setup(t);
  const token = await login(app, 'gv01', 'password-123');
  const wrong = await as(app, token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { password: 'new-password-1', currentPassword: 'nope-nope' } });
  t.equal(wrong.statusCode, 403);
  const notOwn = await as(app, token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { displayName: 'Boss' } });
  t.equal(notOwn.statusCode, 403, 'users change only their own password');
  const ok = await as(app, token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { password: 'new-password-1', currentPassword: 'password-123' } });
  t.equal(ok.statusCode, 200);
  t.equal((await as(other, token)({ method: 'GET', url: '/api/me' })).statusCode, 401);
  const fresh = await login(app, 'gv01', 'new-password-1');
  t.equal((await as(other, fresh)({ method: 'GET', url: '/api/me' })).statusCode, 200);
});

t.test('removing a role ends sessions; adding one does not', async (t) => {
  const { app, other, admin, user } = await setup(t);
  const token = await login(app, 'gv01', 'password-123');
  const add = await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { roles: [...user.roles, { role: 'proctor', orgId: admin.rootId }] } });
  t.equal(add.statusCode, 200);
  t.equal((await as(other, token)({ method: 'GET', url: '/api/me' })).statusCode, 200);
  const remove = await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { roles: [{ role: 'author', orgId: admin.rootId }] } });
  t.equal(remove.statusCode, 200);
  t.equal((await as(other, token)({ method: 'GET', url: '/api/me' })).statusCode, 401);
  const me = await login(app, 'gv01', 'password-123');
  t.same((await as(app, me)({ method: 'GET', url: '/api/me' })).json().roles.map((r: { role: string }) => r.role), ['author']);
});
