// The deadline of an adaptive attempt is a fixed form's: an answer after it is
// refused, the attempt is handed in at the deadline (reason time_up), and grading
// counts the items answered, not the one left waiting.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { build } from '../helper.js';
import { pick, publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { listen, TestSocket } from '../support/live-client.js';

// No worker here: the session's own fallback hands in shortly after the deadline.
const { app } = await build(t, { LIVE_AUTOSUBMIT_FALLBACK_MS: '500' });
const fx = await publishedAdaptiveExam(app, { candidates: 1, items: 10, maxItems: 6, closesInMs: 10_000, prefix: 'cd' });
const url = await listen(app);

type Item = { itemId: string; options: { id: string; text: string }[] };

t.test('time up in the middle of an adaptive test', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  const endsAt = Date.parse(first.endsAt as string);
  t.equal(endsAt, fx.closesAt.getTime(), 'the deadline is the closing time, as for a fixed form');
  const item1 = (first.items as Item[])[0]!;
  socket.send({ type: 'answer', seq: 1, itemId: item1.itemId, response: pick(item1, true) });
  t.same(await socket.reply(1), { type: 'ack', seq: 1 });
  const item2 = (await socket.next((m) => m.type === 'item')).item as Item;

  await sleep(Math.max(0, endsAt - Date.now() + 200));
  socket.send({ type: 'answer', seq: 2, itemId: item2.itemId, response: pick(item2, true) });
  t.match(await socket.reply(2), { type: 'nack', error: { code: 'time_up' } }, 'an answer after the deadline');
  t.match(await socket.next((m) => m.type === 'ended'), { type: 'ended', reason: 'time_up' }, 'handed in at the deadline');
  const attempt = await app.models.Attempt.findById(attemptIdFor(fx.examId, fx.candidateIds[0]!)).lean();
  t.equal(attempt?.submitReason, 'time_up');
  t.same(Object.keys(attempt?.answers ?? {}), [item1.itemId], 'only the answered item');
});
