// Redis goes away and comes back empty: answers keep being stored and acknowledged
// (MongoDB is the truth), and nothing saved is lost. Uses its own redis-server so
// other test files keep theirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { freePort } from '../../src/infra/services.js';
import { build } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return child;
}

const port = await freePort();
let redis = await startRedis(port);
// Registered first, so it runs last (after the app has closed).
t.teardown(() => {
  redis.kill('SIGKILL');
});
const { app } = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` });
const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'short_text'] });
const url = await listen(app);

t.test('answers are stored and acknowledged while Redis is down, and survive its restart', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  const items = first.items as { itemId: string; type: string }[];
  const single = items.find((x) => x.type === 'single_choice')!.itemId;
  const text = items.find((x) => x.type === 'short_text')!.itemId;
  const [A, C] = ['A', 'C'].map((id) => deliveredId(first, single, id));
  socket.send({ type: 'answer', seq: 1, itemId: single, response: A });
  t.same(await socket.next(), { type: 'ack', seq: 1 });

  redis.kill('SIGKILL');
  await once(redis, 'exit');
  socket.send({ type: 'answer', seq: 2, itemId: text, response: 'Hải Phòng' });
  t.same(await socket.next(), { type: 'ack', seq: 2 }, 'acknowledged with Redis down');
  socket.send({ type: 'answer', seq: 3, itemId: single, response: C });
  t.same(await socket.next(), { type: 'ack', seq: 3 });

  const during = await TestSocket.join(url, fx.tokens[1]!, fx.examId);
  t.match(during.first, { type: 'error', error: { code: 'unavailable' } }, 'a join cannot check its token now');
  t.equal((await during.socket.closed).code, 1011, 'and is told to retry, not to give up');

  redis = await startRedis(port); // empty: nothing cached survived
  socket.send({ type: 'answer', seq: 4, itemId: text, response: 'Huế' });
  t.same(await socket.next(), { type: 'ack', seq: 4 });
  socket.close();
  await socket.closed;

  // The app's connections come back by themselves.
  let resumed: Awaited<ReturnType<typeof TestSocket.join>> | null = null;
  for (let i = 0; i < 50 && !resumed; i++) {
    const r = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
    if (r.first.type === 'state') resumed = r;
    else await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.ok(resumed, 'joins work again once Redis is back');
  t.teardown(() => resumed?.socket.terminate());
  t.match(resumed!.first, { type: 'state', lastSeq: 4, answers: { [single]: C, [text]: 'Huế' } }, 'every answer is there');
});
