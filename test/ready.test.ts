import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { freePort, redisAnswers } from '../src/infra/services.js';
import { build } from './helper.js';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  while (!(await redisAnswers(port))) await new Promise((r) => setTimeout(r, 50));
  return child;
}

async function waitForStatus(app: { inject: (o: { method: 'GET'; url: string }) => Promise<{ statusCode: number }> }, status: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    if (res.statusCode === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('/ready turns 503 naming redis while Redis is down, and 200 when it returns', async (t) => {
  const port = await freePort();
  let redis = await startRedis(port);
  t.teardown(() => {
    redis.kill('SIGKILL');
  });
  const { app } = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` });
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);

  redis.kill('SIGKILL');
  await once(redis, 'exit');
  const down = await waitForStatus(app, 503);
  t.equal(down.statusCode, 503);
  const body = JSON.parse((down as unknown as { body: string }).body);
  t.equal(body.error.code, 'not_ready');
  t.match(body.error.message, /redis/);
  t.ok(body.error.details.some((d: { dependency: string }) => d.dependency === 'redis'));
  t.notOk(body.error.details.some((d: { dependency: string }) => d.dependency === 'mongodb'), 'MongoDB is not blamed');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process still lives');

  redis = await startRedis(port);
  const up = await waitForStatus(app, 200);
  t.equal(up.statusCode, 200);
});
