// Behind a balancer every client arrives from the balancer's address. The
// login lockout and the per-address socket cap must see the real client, from
// X-Forwarded-For, but only when the request came through a proxy named in
// TRUST_PROXY: otherwise anyone could send the header and escape the lockout
// (or lock out a whole school by naming its address).
import t from 'tap';
import { loadConfig, ConfigError } from '../../src/config.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { WORLD_PASSWORD } from '../support/fixtures/index.js';

const BALANCER = '10.20.0.2';
const SCHOOL = '198.51.100.20';
const STRANGER = '203.0.113.7';

t.test('TRUST_PROXY is parsed into what Fastify takes; nonsense is a configuration error', async (t) => {
  const base = { NODE_ENV: 'test', DATA_DIR: '.data/test' };
  t.equal(loadConfig(base).TRUST_PROXY, undefined, 'unset by default');
  t.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).TRUST_PROXY, true);
  t.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).TRUST_PROXY, 2);
  t.same(loadConfig({ ...base, TRUST_PROXY: '10.20.0.2, 10.30.0.0/16' }).TRUST_PROXY, ['10.20.0.2', '10.30.0.0/16']);
  t.throws(() => loadConfig({ ...base, TRUST_PROXY: 'everyone; rm -rf' }), ConfigError);
});

t.test('through a trusted balancer, the lockout follows the forwarded client address', async (t) => {
  const { app } = await build(t, { LOGIN_MAX_FAILURES: '3', TRUST_PROXY: BALANCER });
  const fx = await publishedExam(app, { candidates: 1, types: ['single_choice'], prefix: 'tp' });
  const login = (password: string, client: string) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'tp_cand0', password }, remoteAddress: BALANCER, headers: { 'x-forwarded-for': client } });
  t.ok(fx.candidateIds.length === 1);
  for (let i = 0; i < 3; i++) t.equal((await login(`wrong-${i}`, STRANGER)).statusCode, 401);
  t.equal((await login(WORLD_PASSWORD, STRANGER)).statusCode, 429, 'the stranger behind the balancer is locked out');
  t.equal((await login(WORLD_PASSWORD, SCHOOL)).statusCode, 200, 'the candidate at school, through the same balancer, is not');
});

t.test('a forwarded header from anyone else is ignored: it cannot dodge or aim the lockout', async (t) => {
  const { app } = await build(t, { LOGIN_MAX_FAILURES: '3', TRUST_PROXY: BALANCER });
  await publishedExam(app, { candidates: 1, types: ['single_choice'], prefix: 'tq' });
  const login = (password: string, spoofed: string) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'tq_cand0', password }, remoteAddress: STRANGER, headers: { 'x-forwarded-for': spoofed } });
  // A new made-up address each time would give endless tries if the header were believed.
  for (let i = 0; i < 3; i++) t.equal((await login(`wrong-${i}`, `192.0.2.${i + 1}`)).statusCode, 401);
  t.equal((await login(WORLD_PASSWORD, '192.0.2.99')).statusCode, 429, 'still counted against the real address');
});

t.test('without TRUST_PROXY the header is never believed', async (t) => {
  const { app } = await build(t, { LOGIN_MAX_FAILURES: '3' });
  await publishedExam(app, { candidates: 1, types: ['single_choice'], prefix: 'tr' });
  const login = (password: string, spoofed: string) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'tr_cand0', password }, remoteAddress: STRANGER, headers: { 'x-forwarded-for': spoofed } });
  for (let i = 0; i < 3; i++) t.equal((await login(`wrong-${i}`, `192.0.2.${i + 1}`)).statusCode, 401);
  t.equal((await login(WORLD_PASSWORD, SCHOOL)).statusCode, 429, 'naming the school in the header does not help the stranger');
});
