// Hardening: one address cannot hold exam sockets without end; /metrics and
// /docs are closed in production but to the operations token; candidates see
// only their own branch of the organisation tree.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { WebSocket } from 'ws';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { examWorld } from '../support/fixtures/index.js';
import { listen, TestSocket } from '../support/live-client.js';

/** Tries an upgrade that should be refused: the HTTP status and body the server answered with. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => undefined);
  });
}

t.test('one address holds at most WS_MAX_PER_ADDRESS exam sockets; more get 429 before the handshake', async (t) => {
  const { app } = await build(t, { WS_MAX_PER_ADDRESS: '3' });
  const fx = await publishedExam(app, { candidates: 4, types: ['single_choice'], prefix: 'wc' });
  const url = await listen(app);
  const serverSide: Socket[] = [];
  app.server.on('upgrade', (_req, socket: Socket) => serverSide.push(socket));
  const sockets: TestSocket[] = [];
  t.teardown(() => sockets.forEach((s) => s.terminate()));
  for (const token of fx.tokens.slice(0, 3)) {
    const joined = await TestSocket.join(url, token, fx.examId);
    sockets.push(joined.socket);
    t.equal(joined.first.type, 'state');
  }
  const refused = await refusedUpgrade(url);
  t.equal(refused.status, 429, 'the fourth from the same address is refused');
  t.equal(JSON.parse(refused.body).error.code, 'rate_limited', 'with the error body');
  t.equal(app.liveSockets.size, 3, 'no socket was opened for it');

  sockets.push(await TestSocket.open(url, { localAddress: '127.0.0.2' }));
  t.pass('another address connects');

  const closed = once(serverSide[0]!, 'close');
  sockets[0]!.close();
  await closed;
  const again = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  sockets.push(again.socket);
  t.equal(again.first.type, 'state', 'a closed socket frees its place');
});

t.test('in production /metrics and /docs answer only to the operations token', async (t) => {
  const token = 'ops-token-0123456789abcdef';
  const production = { NODE_ENV: 'production', AUDIT_KEY: 'audit-key-for-this-test-0123456789abcdef' };
  const { app } = await build(t, { ...production, OPS_TOKEN: token });
  const basic = (password: string) => `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;
  // (The page's own scripts and styles, /docs/static/*, are swagger-ui's public files and stay open.)
  for (const url of ['/metrics', '/docs', '/docs/json', '/docs/yaml']) {
    const anonymous = await app.inject({ method: 'GET', url });
    t.equal(anonymous.statusCode, 401, `${url} without a token`);
    t.equal(anonymous.json().error.code, 'unauthenticated');
    t.match(anonymous.headers['www-authenticate'], /^Basic /, 'a browser is asked for it');
    t.equal((await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401, `${url} with a wrong token`);
    const user = (await adminSession(app)).token;
    t.equal((await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${user}` } })).statusCode, 401, `${url} with a user's token`);
    t.equal((await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })).statusCode, 200, `${url} with the token`);
    t.equal((await app.inject({ method: 'GET', url, headers: { authorization: basic(token) } })).statusCode, 200, `${url} with the token as a Basic password`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health stays open');

  const closed = (await build(t, production)).app;
  t.equal((await closed.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'without OPS_TOKEN they are closed to all');
  const dev = (await build(t, { NODE_ENV: 'development' })).app;
  t.equal((await dev.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'in development they stay open');
  t.equal((await dev.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
});

t.test('candidates see only their own branch of the organisation tree', async (t) => {
  const { app } = await build(t);
  const world = await examWorld(app, 1, 'ot');
  const admin = as(app, (await adminSession(app)).token);
  const sibling = await admin({ method: 'POST', url: '/api/orgs', payload: { code: 'ot-THPT-B', name: 'THPT B', kind: 'school', parentId: world.orgs.dep } });
  t.equal(sibling.statusCode, 201);
  const siblingId = sibling.json().id as string;
  const ids = (res: { json(): { orgs: { id: string }[] } }) => res.json().orgs.map((o) => o.id).sort();
  const candidate = world.candidate;

  for (const id of [world.orgs.root, world.orgs.dep, world.orgs.school]) {
    t.equal((await candidate({ method: 'GET', url: `/api/orgs/${id}` })).statusCode, 200, 'their school and the organisations above it');
  }
  for (const id of [world.orgs.otherDep, siblingId]) {
    const res = await candidate({ method: 'GET', url: `/api/orgs/${id}` });
    t.equal(res.statusCode, 404, 'not another department, nor a sibling school');
    t.equal(res.json().error.code, 'not_found');
  }
  t.same(ids(await candidate({ method: 'GET', url: '/api/orgs' })), [world.orgs.root], 'the root');
  t.same(ids(await candidate({ method: 'GET', url: `/api/orgs?parentId=${world.orgs.root}` })), [world.orgs.dep], 'below the root: only their department');
  t.same(ids(await candidate({ method: 'GET', url: `/api/orgs?parentId=${world.orgs.dep}` })), [world.orgs.school], 'below it: only their school');
  t.equal((await candidate({ method: 'GET', url: `/api/orgs?parentId=${world.orgs.otherDep}` })).statusCode, 404, 'another department cannot be listed');

  t.same(ids(await world.proctor({ method: 'GET', url: `/api/orgs?parentId=${world.orgs.dep}` })), [world.orgs.school, siblingId].sort(), 'staff see the whole tree');
  t.equal((await world.proctor({ method: 'GET', url: `/api/orgs/${world.orgs.otherDep}` })).statusCode, 200);
});
