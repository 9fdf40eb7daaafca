// Hostile bodies on every route and socket frame: JSON nested thousands deep,
// huge strings, prototype keys, wrong content types. Every one gets a 4xx with
// the API's error body (or a nack / error frame), never a 5xx, and the
// process keeps serving.
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';
import { publishedRoutes } from '../support/routes.js';

const BODY_LIMIT = 1024 * 1024;
const { app } = await build(t, { BODY_LIMIT: String(BODY_LIMIT) });
const admin = await adminSession(app);
// Every staff role at the root: hostile bodies reach as far into each handler as they can.
const staffRoles = ['admin', 'author', 'reviewer', 'exam_manager', 'proctor'].map((role) => ({ role, orgId: admin.rootId }));
const created = await as(app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'all.roles', password: 'password-123', displayName: 'Mọi vai trò', roles: staffRoles } });
if (created.statusCode !== 201) throw new Error(created.body);
const staff = as(app, await login(app, 'all.roles', 'password-123'));

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

interface Body {
  label: string;
  contentType: string;
  payload: string;
}

const json = (label: string, payload: string): Body => ({ label, contentType: 'application/json', payload });
const BODIES: Body[] = [
  json('arrays 5,000 deep', arrays(5000)),
  json('arrays 100,000 deep', arrays(100_000)),
  json('objects 5,000 deep', objects(5000)),
  json('objects 100,000 deep', objects(100_000)),
  // Shaped like an item or a stimulus, so that the nesting passes the first checks and reaches the service.
  json('an item whose stem is 5,000 arrays deep', `{"type":"single_choice","stem":${arrays(5000)}}`),
  json('an item whose options are 5,000 objects deep', `{"type":"single_choice","stem":"<p>x</p>","options":${objects(5000)}}`),
  json('a stimulus whose content is 5,000 deep', `{"title":"t","subject":"math","content":${arrays(5000)}}`),
  json('a roster whose rows are 5,000 deep', `{"users":[${objects(5000)}]}`),
  json('a bulk of items 5,000 deep', `{"items":[${arrays(5000)}]}`),
  json('a string just under the body limit', JSON.stringify({ title: 'x'.repeat(BODY_LIMIT - 100), stem: 'y' })),
  json('a body over the limit', JSON.stringify({ title: 'x'.repeat(BODY_LIMIT + 10) })),
  json('__proto__ at the top', '{"__proto__":{"isAdmin":true},"title":"x"}'),
  json('__proto__ inside', '{"type":"single_choice","options":[{"__proto__":{"id":"A"}}]}'),
  json('constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}'),
  json('malformed JSON', '{"title": "x",'),
  json('an empty body', ''),
  { label: 'JSON sent as text/plain', contentType: 'text/plain', payload: '{"title":"x"}' },
  { label: 'a form body', contentType: 'application/x-www-form-urlencoded', payload: 'title=x&__proto__[a]=1' },
  { label: 'a broken multipart body', contentType: 'multipart/form-data; boundary=xyz', payload: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc' },
  { label: 'XML nested 100,000 deep', contentType: 'application/xml', payload: '<a>'.repeat(100_000) + '</a>'.repeat(100_000) },
];

t.test('every route answers every hostile body with a 4xx and the error body', async (t) => {
  const routes = (await publishedRoutes(app)).filter((r) => r.method !== 'GET' && r.path !== '/api/auth/logout');
  t.ok(routes.length >= 20, `${routes.length} routes take a body`);
  const imports = ['gift', 'moodle-xml', 'aiken', 'qti', 'csv', 'xlsx'].map((format) => `/api/items/import?format=${format}`);
  const targets = [...routes.map((r) => ({ method: r.method, url: r.path.replace(/\{[^}]+\}/g, admin.rootId) })), ...imports.map((url) => ({ method: 'POST', url }))];
  const wrong: string[] = [];
  for (const body of BODIES) {
    for (const target of targets) {
      const res = await staff({ method: target.method as 'POST', url: target.url, headers: { 'content-type': body.contentType }, payload: body.payload });
      const error = res.statusCode >= 400 ? (res.json() as { error?: { code?: unknown } }).error : undefined;
      if (res.statusCode >= 500 || (res.statusCode >= 400 && typeof error?.code !== 'string')) wrong.push(`${target.method} ${target.url} with ${body.label}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
  }
  t.same(wrong, [], 'no 5xx, and every refusal carries the error body');
  t.same(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype untouched');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'still serving');
});

t.test('deep nesting is refused as a bad request before any handler runs', async (t) => {
  for (const [label, payload] of [['arrays', arrays(5000)], ['objects', objects(5000)], ['inside an item', `{"type":"single_choice","stem":${arrays(5000)}}`]] as const) {
    const res = await staff({ method: 'POST', url: '/api/items', headers: { 'content-type': 'application/json' }, payload });
    t.equal(res.statusCode, 400, label);
    t.equal(res.json().error.code, 'bad_request', label);
  }
  const ordinary = await staff({ method: 'POST', url: '/api/stimuli', payload: { title: 'Đoạn văn', subject: 'literature', content: '<p>Một đoạn văn.</p>' } });
  t.equal(ordinary.statusCode, 201, 'ordinary bodies still pass');
});

t.test('hostile socket frames get an error or a nack; the socket and its neighbours live on', async (t) => {
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'matching'], prefix: 'mb' });
  const url = await listen(app);
  const sockets: TestSocket[] = [];
  t.teardown(() => sockets.forEach((s) => s.terminate()));
  const joined = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  sockets.push(joined.socket);
  const state = joined.first as { type: string; items: { itemId: string }[] };
  t.equal(state.type, 'state');
  const neighbour = await TestSocket.join(url, fx.tokens[1]!, fx.examId);
  sockets.push(neighbour.socket);
  const socket = joined.socket;
  // Each frame stays under the 64 KiB frame limit, so the nesting is what is judged.
  const deep = arrays(30_000);
  let seq = 0;
  for (const item of state.items) {
    seq += 1;
    socket.send(`{"type":"answer","seq":${seq},"itemId":"${item.itemId}","response":${deep}}`);
    t.match(await socket.next((m) => m.type === 'error' || (m.type === 'nack' && m.seq === seq)), { error: { code: String } }, `an answer nested 30,000 deep for ${item.itemId}`);
    seq += 1;
    socket.send(`{"type":"answer","seq":${seq},"itemId":"${item.itemId}","response":{"__proto__":{"x":1}}}`);
    t.match(await socket.next((m) => m.type === 'error' || (m.type === 'nack' && m.seq === seq)), { error: { code: String } }, 'a __proto__ response');
  }
  socket.send(objects(20_000));
  t.match(await socket.next((m) => m.type === 'error'), { error: { code: String } }, 'a frame of objects 20,000 deep');
  socket.send({ type: 'ping' });
  t.same(await socket.next((m) => m.type === 'pong'), { type: 'pong' }, 'the socket still answers');
  neighbour.socket.send({ type: 'ping' });
  t.same(await neighbour.socket.next((m) => m.type === 'pong'), { type: 'pong' }, 'and so does its neighbour');

  const fresh = await TestSocket.open(url);
  sockets.push(fresh);
  fresh.send(`{"type":"join","token":${arrays(20_000)},"examId":"x"}`);
  t.match(await fresh.next(), { type: 'error', error: { code: String } }, 'a deep first frame is refused');
  t.equal((await fresh.closed).code, 4400);
});
