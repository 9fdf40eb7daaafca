import t from 'tap';
import { adminSession, as, build } from './helper.js';

t.test('every failure has the API error body', async (t) => {
  const { app } = await build(t, { BODY_LIMIT: '2048' });
  const { token } = await adminSession(app);
  const call = as(app, token);

  const malformed = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username": "admin",' });
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.json().error.code, 'bad_request');
  t.notMatch(malformed.body, /at .*\.(js|ts):\d+/);

  const invalid = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 42 } });
  t.equal(invalid.statusCode, 400);
  const err = invalid.json().error;
  t.equal(err.code, 'validation_failed');
  t.ok(err.details.some((d: { params?: { missingProperty?: string } }) => d.params?.missingProperty === 'password'), 'ajv details name the missing field');
  t.ok(err.details.every((d: { instancePath?: string }) => typeof d.instancePath === 'string'), 'every detail has instancePath');

  const big = await call({ method: 'POST', url: '/api/orgs', payload: { code: 'X', name: 'x'.repeat(5000), kind: 'school', parentId: 'y' } });
  t.equal(big.statusCode, 413);
  t.equal(big.json().error.code, 'payload_too_large');

  const proto = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":"a","password":"b","__proto__":{"admin":true}}' });
  t.equal(proto.statusCode, 400);
  t.equal(proto.json().error.code, 'bad_request');

  const route = await app.inject({ method: 'GET', url: '/api/nothing-here' });
  t.equal(route.statusCode, 404);
  t.equal(route.json().error.code, 'not_found');

  const media = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'text/xml' }, payload: '<x/>' });
  t.equal(media.statusCode, 415);
  t.type(media.json().error.code, 'string');

  const injection = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: { $ne: null }, password: { $gt: '' } } });
  t.equal(injection.statusCode, 400, 'operator objects never reach a query');
});

t.test('an unexpected error answers 500 without internals', async (t) => {
  const { app } = await build(t);
  const { token } = await adminSession(app);
  await app.mongo.close(); // the next database call fails
  const res = await as(app, token)({ method: 'GET', url: '/api/me' });
  t.equal(res.statusCode, 500);
  t.same(Object.keys(res.json().error).sort(), ['code', 'details', 'message']);
  t.equal(res.json().error.message, 'Internal server error');
  t.notMatch(res.body, /mongo|stack|\.ts/i);
});
