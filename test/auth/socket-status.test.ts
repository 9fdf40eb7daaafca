// Socket joins check a token against the user's status through a Redis cache
// that login fills and every change of the status replaces with a tombstone;
// a storm of first joins reads the roster's statuses once.
import t, { type Test } from 'tap';
import { adminSession, as, build, login } from '../helper.js';

async function setup(t: Test) {
  const { app, name, config } = await build(t);
  const admin = await adminSession(app);
  const create = (username: string) =>
    as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username, password: 'password-123', displayName: username, roles: [{ role: 'candidate', orgId: admin.rootId }] } }).then((r) => r.json() as { id: string });
  const other = await build(t, {}, name); // a second API process, same Redis and database
  return { app, other: other.app, admin, create, config };
}

const statusKey = (id: string) => `auth:status:${id}`;

t.test('login fills the cache; joins read no user; a change is seen at once on every process', async (t) => {
  const { app, other, admin, create } = await setup(t);
  const user = await create('ts01');
  const token = await login(app, 'ts01', 'password-123');
  t.match(JSON.parse((await app.redis.get(statusKey(user.id)))!), { active: true }, 'login cached the status');
  const reads = () => (other.auth as unknown as { reader: { stats: { reads: number } } }).reader.stats.reads;
  const before = reads();
  const who = await other.auth.checkSocketToken(token);
  t.equal(who.userId, user.id);
  t.match(who, { jti: String, iatMs: Number });
  t.equal(reads(), before, 'no user read for the join');

  t.equal((await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: false } })).statusCode, 200);
  t.equal(await app.redis.get(statusKey(user.id)), 'changed', 'a tombstone replaced the status');
  await t.rejects(other.auth.checkSocketToken(token), { statusCode: 401, message: 'Account is not active' }, 'the other process refuses the join');
  t.equal(await app.redis.get(statusKey(user.id)), 'changed', 'the database read did not put a status back over the tombstone');

  t.equal((await as(app, admin.token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: true } })).statusCode, 200);
  await t.rejects(other.auth.checkSocketToken(token), { statusCode: 401, message: 'Token revoked' }, 'deactivation revoked the old token for good');
  await new Promise((r) => setTimeout(r, 5));
  const fresh = await login(app, 'ts01', 'password-123');
  t.equal((await other.auth.checkSocketToken(fresh)).userId, user.id, 'reactivated: a new login joins (status read from the database)');
});

t.test('a password change refuses old tokens at the join; new ones join', async (t) => {
  const { app, other, create } = await setup(t);
  const user = await create('ts02');
  const token = await login(app, 'ts02', 'password-123');
  t.equal((await other.auth.checkSocketToken(token)).userId, user.id);
  const changed = await as(app, token)({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { password: 'new-password-1', currentPassword: 'password-123' } });
  t.equal(changed.statusCode, 200);
  await t.rejects(other.auth.checkSocketToken(token), { statusCode: 401, message: 'Token revoked' });
  // Tokens issued in the same millisecond as the change would count as revoked.
  await new Promise((r) => setTimeout(r, 5));
  const fresh = await login(app, 'ts02', 'new-password-1');
  t.equal((await other.auth.checkSocketToken(fresh)).userId, user.id);
});

t.test('a storm of first joins reads the roster once, and only for users the cache lacks', async (t) => {
  const { app, other, create } = await setup(t);
  const users = await Promise.all(Array.from({ length: 12 }, (_, i) => create(`ts1${String(i).padStart(2, '0')}`)));
  const tokens = await Promise.all(users.map((_, i) => login(app, `ts1${String(i).padStart(2, '0')}`, 'password-123')));
  // Forget what the logins cached, as after a Redis restart.
  for (const u of users) await app.redis.del(statusKey(u.id));
  const outsider = await create('ts200');
  const outsiderToken = await login(app, 'ts200', 'password-123');
  await app.redis.del(statusKey(outsider.id));
  let rosterReads = 0;
  const roster = {
    key: 'exam:storm',
    ids: async () => {
      rosterReads++;
      return users.map((u) => u.id);
    },
  };
  const reader = (other.auth as unknown as { reader: { stats: { reads: number } } }).reader;
  const before = reader.stats.reads;
  const got = await Promise.all(tokens.map((tok) => other.auth.checkSocketToken(tok, roster)));
  t.same(got.map((g) => g.userId), users.map((u) => u.id), 'each join gets its own user');
  t.equal(rosterReads, 1, 'one roster read for the storm');
  t.equal(reader.stats.reads, before, 'no single user reads');
  for (const u of users) t.ok(await app.redis.get(statusKey(u.id)), `${u.id} cached`);
  // Not on the roster, and a second roster read so soon is not allowed: read alone.
  t.equal((await other.auth.checkSocketToken(outsiderToken, roster)).userId, outsider.id);
  t.equal(rosterReads, 1, 'no second roster read within a minute');
  t.equal(reader.stats.reads, before + 1, 'the outsider was read on their own');
});

t.test('a roster read that fails leaves each join to read its own user', async (t) => {
  const { app, create } = await setup(t);
  const user = await create('ts300');
  const token = await login(app, 'ts300', 'password-123');
  await app.redis.del(statusKey(user.id));
  const roster = {
    key: 'exam:broken',
    ids: async (): Promise<string[]> => {
      throw new Error('exam cache away');
    },
  };
  t.equal((await app.auth.checkSocketToken(token, roster)).userId, user.id);
  t.ok(await app.redis.get(statusKey(user.id)), 'the single read cached the status');
});
