/**
 * Redis comes back empty in the middle of an exam: every queued deadline job
 * is gone. The worker process notices (its marker key is missing), re-queues
 * the deadline job of every attempt in progress, and the attempts whose
 * candidates are not connected are still handed in at their deadline, with
 * their answers. Through the real worker entry point (workers/index.ts).
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { DEADLINE_MARKER_KEY } from '../../src/attempts/deadline-recovery.js';
import { deadlineJobId } from '../../src/attempts/finalisation.js';
import { build, dropRedisNamespace } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';
import { startProcess } from '../support/processes.js';

t.setTimeout(180_000);

// The API never hands in by itself here: only a deadline job can.
const { app, config } = await build(t, { LIVE_AUTOSUBMIT_FALLBACK_MS: '600000' });
const fx = await publishedExam(app, { candidates: 3, types: ['single_choice'], closesInMs: 20_000 });
const url = await listen(app);
const name = config.QUEUE_PREFIX;

const requeued = (out: string) => [...out.matchAll(/re-queued (\d+) for the attempts in progress/g)].map((m) => Number(m[1]));

t.test('deadline jobs lost with Redis are queued again, and the attempts are handed in at their deadline', async (t) => {
  // Three candidates answer, then leave: nobody is connected at the deadline.
  let endsAt = 0;
  const chosen = ['A', 'B', 'C'] as const;
  for (const [i, option] of chosen.entries()) {
    const { socket, first } = await TestSocket.join(url, fx.tokens[i]!, fx.examId);
    endsAt = Date.parse(first.endsAt as string);
    const itemId = (first.items as { itemId: string }[])[0]!.itemId;
    socket.send({ type: 'answer', seq: 1, itemId, response: deliveredId(first, itemId, option) });
    t.same(await socket.next(), { type: 'ack', seq: 1 });
    socket.close();
    await socket.closed;
  }
  const ids = fx.candidateIds.map((c) => attemptIdFor(fx.examId, c));
  await app.services.attempts.drain();
  t.ok(await app.queues.autosubmit.getJob(deadlineJobId(ids[0]!, new Date(endsAt))), 'the deadline job is queued');

  const redis = new Redis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX });
  t.teardown(() => redis.disconnect());
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: config.DATA_DIR,
    MONGODB_URI: config.MONGODB_URI!,
    SECTOR_MONGODB_URI: config.SECTOR_MONGODB_URI!,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    DEADLINE_RECOVERY_MS: '300',
  };
  const { child, output } = await startProcess('workers/index.ts', env, /workers ready/);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // The first check finds no marker (this namespace never had one): it sweeps once and sets it.
  while (!(await redis.exists(DEADLINE_MARKER_KEY))) await sleep(50);
  t.same(requeued(output()), [3], 'at start: the three attempts in progress');
  await sleep(1000);
  t.same(requeued(output()), [3], 'with the marker present, later checks sweep nothing');

  // Redis loses everything of this deployment: the queued jobs and the marker.
  await dropRedisNamespace(config.REDIS_URL, name);
  t.equal(await app.queues.autosubmit.getJob(deadlineJobId(ids[0]!, new Date(endsAt))), undefined, 'the deadline jobs are gone');
  while (requeued(output()).length < 2) await sleep(100);
  t.same(requeued(output()), [3, 3], 'the next check re-queues the three deadlines');
  t.ok(await app.queues.autosubmit.getJob(deadlineJobId(ids[0]!, new Date(endsAt))), 'queued again, under the same id');

  // At the deadline the worker hands every attempt in, with its answer.
  const deadline = Date.now() + Math.max(0, endsAt - Date.now()) + 30_000;
  for (const id of ids) {
    while ((await app.models.Attempt.findById(id).lean())?.status !== 'submitted' && Date.now() < deadline) await sleep(200);
  }
  for (const [i, id] of ids.entries()) {
    const doc = await app.models.Attempt.findById(id).lean();
    t.match(doc, { status: 'submitted', submitReason: 'time_up' }, `candidate ${i}: handed in at the deadline`);
    t.ok(doc!.submittedAt! >= new Date(endsAt), 'not before it');
    t.equal(Object.keys(doc!.answers).length, 1, 'with the answer saved before the loss');
    t.ok(doc!.gradingQueuedAt, 'and grading queued');
  }

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0, 'the worker stops cleanly');
});
