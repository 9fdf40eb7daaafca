import t from 'tap';
import { build } from './helper.js';

t.test('health, readiness, metrics and docs answer', async (t) => {
  const { app } = await build(t);
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json().checks, { mongodb: true, redis: true, queues: true });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /http_request_duration_seconds/);
  t.match(metrics.body, /queue_depth\{queue="grading"\}/);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  t.ok(docs.json().paths['/api/auth/login'], 'login is documented');
  const page = await app.inject({ method: 'GET', url: '/docs' });
  t.ok([200, 302].includes(page.statusCode));
});
