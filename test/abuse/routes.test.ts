import t from 'tap';
import { createSigner } from 'fast-jwt';
import type { FastifyInstance } from 'fastify';
import { adminSession, as, build, login, TEST_JWT_SECRET } from '../helper.js';
import { publishedRoutes as routes } from '../support/routes.js';

// Walks every route the API publishes (test/support/routes.ts).
// The blank import template holds no data and is downloaded from plain links.
const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /metrics', 'POST /api/auth/login', 'GET /api/items/import/template.xlsx']);
/** Routes a candidate may legitimately call (their own branch of the organisation tree among them). */
const CANDIDATE_OK = new Set(['GET /api/orgs', 'GET /api/orgs/{id}', 'GET /api/me', 'POST /api/auth/logout', 'GET /api/users/{id}', 'PATCH /api/users/{id}', 'GET /api/my/exams', 'GET /api/attempts/{id}/result']);

function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, '000000000000000000000000');
}

async function counts(app: FastifyInstance): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // Typed loosely: the models' document types differ and their union has no callable countDocuments.
  for (const [name, model] of Object.entries(app.models) as [string, { countDocuments(filter: object): Promise<number> }][]) out[name] = await model.countDocuments({});
  return out;
}

t.test('every /api route refuses a missing, forged, expired or alg:none token', async (t) => {
  const { app } = await build(t);
  const { userId } = await adminSession(app);
  const forged = createSigner({ key: 'x'.repeat(40), expiresIn: 60_000 })({ sub: userId, jti: 'f' });
  const expired = createSigner({ key: TEST_JWT_SECRET, expiresIn: 1 })({ sub: userId, jti: 'e', iat: 1 });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: userId, jti: 'n', exp: 4e9 })).toString('base64url')}.`;
  const list = (await routes(app)).filter((r) => !PUBLIC.has(`${r.method} ${r.path}`));
  t.ok(list.length >= 8, `${list.length} protected routes found`);
  const before = await counts(app);
  for (const r of list) {
    for (const [label, header] of [['none', undefined], ['forged', forged], ['expired', expired], ['alg none', none]] as const) {
      const res = await app.inject({
        method: r.method as 'GET',
        url: concrete(r.path),
        headers: header ? { authorization: `Bearer ${header}` } : {},
        ...(r.method === 'GET' ? {} : { payload: {} }),
      });
      t.equal(res.statusCode, 401, `${r.method} ${r.path} with ${label} token`);
      t.equal(res.json().error.code, 'unauthenticated');
    }
  }
  t.same(await counts(app), before, 'no data changed');
});

t.test("a candidate's token on staff routes gets an error and changes nothing", async (t) => {
  const { app } = await build(t);
  const admin = await adminSession(app);
  await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'hs001', password: 'password-123', displayName: 'HS', roles: [{ role: 'candidate', orgId: admin.rootId }] } });
  const candidate = as(app, await login(app, 'hs001', 'password-123'));
  const before = await counts(app);
  const beforeAudit = before.Audit;
  for (const r of await routes(app)) {
    const key = `${r.method} ${r.path}`;
    if (PUBLIC.has(key) || CANDIDATE_OK.has(key)) continue;
    // Real ids where the route takes one, so a missing role (not a missing record) is what refuses it.
    const url = r.path.replace('{id}', admin.rootId).replace(/\{[^}]+\}/g, 'x');
    const res = await candidate({ method: r.method as 'GET', url, ...(r.method === 'GET' ? {} : { payload: {} }) });
    t.ok([400, 403, 404].includes(res.statusCode), `${key} → ${res.statusCode}`);
    t.type(res.json().error?.code, 'string');
  }
  const after = await counts(app);
  t.equal(after.Audit, beforeAudit, 'nothing audited, so nothing changed');
  t.same(after, before);
});

t.test('NoSQL operators and prototype keys in bodies and queries never reach the database', async (t) => {
  const { app } = await build(t);
  const admin = await adminSession(app);
  const call = as(app, admin.token);
  const before = await counts(app);
  const bodies = [
    { username: { $ne: null }, password: { $gt: '' } },
    { code: { $gt: '' }, name: 'x', kind: 'school', parentId: { $ne: null } },
    { username: 'a'.repeat(3), password: 'password-123', displayName: { $where: '1' }, roles: [{ role: 'admin', orgId: { $ne: null } }] },
  ];
  for (const url of ['/api/auth/login', '/api/orgs', '/api/users']) {
    for (const payload of bodies) {
      const res = await call({ method: 'POST', url, payload });
      // Login ignores fields it does not know, so a body meant for another route is just wrong credentials.
      const expected = url === '/api/auth/login' && typeof payload.username === 'string' ? 401 : 400;
      t.equal(res.statusCode, expected, `${url} ${JSON.stringify(payload).slice(0, 40)}`);
    }
  }
  for (const raw of ['{"__proto__":{"x":1},"username":"a","password":"b"}', '{"constructor":{"prototype":{"x":1}},"username":"a","password":"b"}']) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: raw });
    t.equal(res.statusCode, 400);
  }
  const q = await call({ method: 'GET', url: '/api/orgs?parentId[$ne]=x' });
  t.ok([200, 400].includes(q.statusCode));
  const plain = await call({ method: 'GET', url: '/api/orgs' });
  if (q.statusCode === 200) t.same(q.json(), plain.json(), 'the bracket form is an unknown key and ignored, never an operator');
  const audit = await call({ method: 'GET', url: '/api/audit?target[$gt]=' });
  t.ok([200, 400].includes(audit.statusCode));
  t.same(({} as Record<string, unknown>).x, undefined, 'Object.prototype untouched');
  // The one well-formed login (a wrong password for a username nobody has) leaves its failed-login record; nothing else is written.
  t.same(await counts(app), { ...before, Audit: before.Audit + 1 });
});

t.test('deeply nested JSON, huge limits, negative numbers and invalid UTF-8 are refused cleanly', async (t) => {
  const { app } = await build(t);
  const admin = await adminSession(app);
  const call = as(app, admin.token);
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const nested = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: deep });
  t.equal(nested.statusCode, 400);
  const huge = await call({ method: 'GET', url: '/api/audit?limit=100000000' });
  t.equal(huge.statusCode, 400);
  t.equal(huge.json().error.code, 'validation_failed');
  const negative = await call({ method: 'GET', url: '/api/audit?limit=-5' });
  t.equal(negative.statusCode, 400);
  const bad = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","password":"x"}')]);
  const utf = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: bad });
  t.ok([400, 401].includes(utf.statusCode), `invalid UTF-8 → ${utf.statusCode}`);
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'still alive');
});
