// A caller without the role a route needs gets 403 whatever they send: the role
// is checked before the body, query and parameters are validated, so a
// candidate cannot learn a staff route's schema from its 400 answers.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { adminSession, as, build, login } from '../helper.js';

/** Routes without a token at all. */
const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /metrics', 'POST /api/auth/login', 'GET /api/items/import/template.xlsx']);
/** Routes every signed-in user may call (a candidate among them); they validate as usual. A candidate reads the media of their own form (test/media/access.test.ts). */
const ANY_ROLE = new Set(['GET /api/orgs', 'GET /api/orgs/{id}', 'GET /api/me', 'POST /api/auth/logout', 'GET /api/users/{id}', 'PATCH /api/users/{id}', 'GET /api/my/exams', 'GET /api/attempts/{id}/result', 'GET /api/exams/{id}', 'GET /api/media/{hash}']);

async function routes(app: FastifyInstance): Promise<{ method: string; path: string }[]> {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
}

/** Everything wrong at once: an id over every schema's length limit (the router itself refuses ids over 100 characters, for everyone alike), unknown and out-of-range query fields, a body of the wrong shape. */
const badUrl = (path: string) => `${path.replace(/\{[^}]+\}/g, 'x'.repeat(90))}?limit=-1&format=pdf&unknownField=1`;
const BAD_BODIES = [{ unexpected: { $gt: '' }, title: 42 }, [1, 2, 3], 'not json at all'];

const { app } = await build(t);
const admin = await adminSession(app);
const asAdmin = as(app, admin.token);
const user = async (username: string, role: string) => {
  const res = await asAdmin({ method: 'POST', url: '/api/users', payload: { username, password: 'role-password-1', displayName: username, roles: [{ role, orgId: admin.rootId }] } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return as(app, await login(app, username, 'role-password-1'));
};
const candidate = await user('rb_candidate', 'candidate');

t.test('a candidate gets 403 forbidden from every staff route, whatever the request looks like', async (t) => {
  const list = (await routes(app)).filter((r) => r.path.startsWith('/api/') && !PUBLIC.has(`${r.method} ${r.path}`) && !ANY_ROLE.has(`${r.method} ${r.path}`));
  t.ok(list.length > 30, `${list.length} staff routes`);
  for (const r of list) {
    const bodies = r.method === 'GET' ? [undefined] : BAD_BODIES;
    for (const payload of bodies) {
      const res = await candidate({
        method: r.method as 'POST',
        url: badUrl(r.path),
        ...(payload === undefined ? {} : typeof payload === 'string' ? { payload, headers: { 'content-type': 'application/json' } } : { payload }),
      });
      t.equal(res.statusCode, 403, `${r.method} ${r.path} ${JSON.stringify(payload) ?? ''}: ${res.body.slice(0, 120)}`);
      t.equal(res.json().error.code, 'forbidden');
      t.notMatch(res.body, /instancePath|schema|must /, 'nothing about the schema');
    }
  }
});

t.test('staff without the route’s role are refused before validation too', async (t) => {
  const cases = [
    { who: 'author', call: await user('rb_author', 'author'), method: 'POST', url: '/api/exams' },
    { who: 'author', call: await user('rb_author2', 'author'), method: 'POST', url: '/api/blueprints' },
    { who: 'proctor', call: await user('rb_proctor', 'proctor'), method: 'POST', url: '/api/items' },
    { who: 'reviewer', call: await user('rb_reviewer', 'reviewer'), method: 'POST', url: '/api/users/bulk' },
    { who: 'exam manager', call: await user('rb_manager', 'exam_manager'), method: 'POST', url: '/api/orgs' },
  ] as const;
  for (const c of cases) {
    const res = await c.call({ method: c.method, url: c.url, payload: { nonsense: true } });
    t.equal(res.statusCode, 403, `${c.who}: ${c.method} ${c.url}`);
  }
});

t.test('a caller with the role still gets the schema’s 400', async (t) => {
  const res = await asAdmin({ method: 'POST', url: '/api/orgs', payload: { nonsense: true } });
  t.equal(res.statusCode, 400);
  t.equal(res.json().error.code, 'validation_failed');
});
