import t from 'tap';
import { createSigner } from 'fast-jwt';
import { ADMIN, as, build, login, TEST_JWT_SECRET } from './helper.js';

t.test('login gives a token that works; /api/me describes the caller', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.type(body.token, 'string');
  t.equal(body.user.username, 'admin');
  t.same(body.user.roles.map((r: { role: string }) => r.role), ['admin']);
  t.notOk('passwordHash' in body.user, 'no hash leaves the server');
  const me = await as(app, body.token)({ method: 'GET', url: '/api/me' });
  t.equal(me.statusCode, 200);
  t.equal(me.json().id, body.user.id);
  t.equal(me.json().displayName, 'Quản trị hệ thống');
});

t.test('usernames are case-insensitive at login', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ADMIN', password: ADMIN.password } });
  t.equal(res.statusCode, 200);
});

t.test('wrong password and unknown user both answer 401 invalid_credentials', async (t) => {
  const { app } = await build(t);
  for (const payload of [{ username: 'admin', password: 'nope-nope' }, { username: 'ghost', password: 'whatever1' }]) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error.code, 'invalid_credentials');
  }
});

t.test('missing, malformed, forged and expired tokens are refused with 401 unauthenticated', async (t) => {
  const { app } = await build(t);
  const good = await login(app, ADMIN.username, ADMIN.password);
  const sub = (await as(app, good)({ method: 'GET', url: '/api/me' })).json().id;
  const forged = createSigner({ key: 'another-secret-of-sufficient-length-000000000', expiresIn: 60_000 })({ sub, jti: 'x' });
  const expired = createSigner({ key: TEST_JWT_SECRET, expiresIn: 1 })({ sub, jti: 'y', iat: Math.floor(Date.now() / 1000) - 3600 });
  const noneAlg = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url') + '.' + Buffer.from(JSON.stringify({ sub, jti: 'z', exp: 9999999999 })).toString('base64url') + '.';
  const cases: [string, Record<string, string>][] = [
    ['missing', {}],
    ['not bearer', { authorization: `Basic ${good}` }],
    ['garbage', { authorization: 'Bearer abc.def.ghi' }],
    ['forged', { authorization: `Bearer ${forged}` }],
    ['expired', { authorization: `Bearer ${expired}` }],
    ['alg none', { authorization: `Bearer ${noneAlg}` }],
  ];
  for (const [name, headers] of cases) {
    const res = await app.inject({ method: 'GET', url: '/api/me', headers });
    t.equal(res.statusCode, 401, name);
    t.equal(res.json().error.code, 'unauthenticated', name);
  }
  const exp = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${expired}` } });
  t.match(exp.json().error.message, /expired/i);
});

t.test('logout revokes that token everywhere at once, not other tokens', async (t) => {
  const { app, config, name } = await build(t);
  const first = await login(app, ADMIN.username, ADMIN.password);
  const second = await login(app, ADMIN.username, ADMIN.password);
  // A second API process on the same databases sees the revocation too.
  const other = await build(t, {}, name);
  t.equal((await as(other.app, first)({ method: 'GET', url: '/api/me' })).statusCode, 200);
  const out = await as(app, first)({ method: 'POST', url: '/api/auth/logout' });
  t.equal(out.statusCode, 204);
  t.equal((await as(app, first)({ method: 'GET', url: '/api/me' })).statusCode, 401);
  t.equal((await as(other.app, first)({ method: 'GET', url: '/api/me' })).statusCode, 401);
  t.equal((await as(app, second)({ method: 'GET', url: '/api/me' })).statusCode, 200);
  t.equal(config.QUEUE_PREFIX, name);
});

t.test('an account is locked with 429 after a handful of wrong passwords; other accounts are not', async (t) => {
  const { app } = await build(t, { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '60' });
  const { token } = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN })).json();
  const rootId = (await as(app, token)({ method: 'GET', url: '/api/me' })).json().roles[0].orgId;
  await as(app, token)({ method: 'POST', url: '/api/users', payload: { username: 'victim', password: 'correct-horse', displayName: 'V', roles: [{ role: 'author', orgId: rootId }] } });
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'victim', password: 'wrong-one' } });
    t.equal(res.statusCode, 401);
  }
  const locked = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'victim', password: 'correct-horse' } });
  t.equal(locked.statusCode, 429, 'even the right password waits out the lock');
  t.equal(locked.json().error.code, 'rate_limited');
  t.ok(Number(locked.headers['retry-after']) > 0);
  const admin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
  t.equal(admin.statusCode, 200, 'another account is unaffected');
});

t.test('per-address login limit answers 429 past its threshold', async (t) => {
  const { app } = await build(t, { LOGIN_MAX_PER_ADDRESS: '4' });
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) {
    codes.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN })).statusCode);
  }
  t.same(codes.slice(0, 4), [200, 200, 200, 200]);
  t.equal(codes[5], 429);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
  t.equal(res.json().error.code, 'rate_limited');
});

t.test('a second process starting on a bootstrapped database does not create another admin', async (t) => {
  const { app, name } = await build(t);
  await build(t, {}, name);
  t.equal(await app.models.User.countDocuments({}), 1);
  t.equal(await app.models.Org.countDocuments({}), 1);
});
