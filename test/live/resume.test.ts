// Resume reads the Redis state cache; a stale, missing or unreadable cache must still give the exact state.
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { applyEntry, infoOf, stateFromCheckpoint } from '../../src/attempts/replay.js';
import { encodeState } from '../../src/attempts/state-cache.js';
import { build } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'numeric', 'true_false'] });
const url = await listen(app);
const attemptId = attemptIdFor(fx.examId, fx.candidateIds[0]!);
const cacheKey = `live:st:${attemptId}`; // app.redis adds the namespace prefix

async function join() {
  const r = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => r.socket.terminate());
  return r;
}

t.test('every way of resuming gives the same, exact state', async (t) => {
  const first = await join();
  const items = first.first.items as { itemId: string; type: string }[];
  const [single, numeric, tf] = ['single_choice', 'numeric', 'true_false'].map((type) => items.find((x) => x.type === type)!.itemId) as [string, string, string];
  const A = deliveredId(first.first, single, 'A');
  first.socket.send({ type: 'answer', seq: 1, itemId: single, response: A });
  await first.socket.reply(1);
  first.socket.send({ type: 'answer', seq: 2, itemId: numeric, response: 3.5 });
  await first.socket.reply(2);
  first.socket.send({ type: 'answer', seq: 3, itemId: tf, response: false });
  first.socket.send({ type: 'flag', seq: 4, itemId: tf, flagged: true });
  await first.socket.reply(4);
  first.socket.close();
  await first.socket.closed;
  const expected = { answers: { [single]: A, [numeric]: 3.5, [tf]: false }, flags: [tf], lastSeq: 4 };

  const fromCache = await join();
  t.match(fromCache.first, { type: 'state', ...expected }, 'from the Redis cache');
  fromCache.socket.close();
  await fromCache.socket.closed;

  // A cache left behind at an older position (a process died before its last flush).
  const doc = (await app.models.Attempt.findById(attemptId).lean())!;
  const entries = await app.live.log.readAfter(attemptId, 0);
  const old = stateFromCheckpoint(null);
  for (const e of entries.slice(0, 2)) applyEntry(old, e);
  await app.redis.set(cacheKey, `${old.n}|${encodeState(infoOf(doc), old, 0)}`);
  const fromStale = await join();
  t.match(fromStale.first, { type: 'state', ...expected }, 'from a stale cache: the join notices and reads the rest of the log');
  fromStale.socket.close();
  await fromStale.socket.closed;

  await app.redis.del(cacheKey);
  const fromDatabase = await join();
  t.match(fromDatabase.first, { type: 'state', ...expected }, 'with no cache: from the attempt and its log');
  fromDatabase.socket.close();
  await fromDatabase.socket.closed;

  await app.redis.set(cacheKey, '7|{not json');
  const fromGarbage = await join();
  t.match(fromGarbage.first, { type: 'state', ...expected }, 'an unreadable cache is ignored');
});

t.test('answers do not rewrite the cache one by one; a cache left behind by a crash still resumes exactly', async (t) => {
  const s = await join();
  const items = s.first.items as { itemId: string; type: string }[];
  const tf = items.find((x) => x.type === 'true_false')!.itemId;
  const seq0 = s.first.lastSeq as number;
  const cachedAt = async () => Number(((await app.redis.get(cacheKey)) ?? '-1|').split('|')[0]);
  await app.services.presence.flush();
  const atJoin = await cachedAt();
  for (let i = 1; i <= 5; i++) {
    s.socket.send({ type: 'answer', seq: seq0 + i, itemId: tf, response: i % 2 === 1 });
    await s.socket.reply(seq0 + i);
  }
  await app.services.presence.flush();
  t.equal(await cachedAt(), atJoin, 'five answers later the cache is still the one written at the join');
  // A crash leaves exactly this behind: drop the socket's close-time write by putting the join's cache back after it.
  const stale = await app.redis.get(cacheKey);
  s.socket.close();
  await s.socket.closed;
  const logN = (await app.live.log.readAfter(attemptId, 0)).length;
  t.equal(await cachedAt(), logN, 'the close writes the state at the last entry');
  await app.redis.set(cacheKey, stale!);
  const again = await join();
  t.match(again.first, { type: 'state', lastSeq: seq0 + 5, answers: { [tf]: true } }, 'the join behind a stale cache reads the rest of the log');
});
