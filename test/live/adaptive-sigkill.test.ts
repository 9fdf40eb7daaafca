// A real API process holding an adaptive attempt is killed with SIGKILL mid-test:
// the candidate resumes on another process with the same items given and the same
// next item, whether the kill came after the ack or while an answer was in flight.
import { once } from 'node:events';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { attemptSeed, createCatEngine, replayAnswers } from '../../src/adaptive/index.js';
import type { Form } from '../../src/exams/exam-model.js';
import { build, uniqueName } from '../helper.js';
import { pick, publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { listen, TestSocket } from '../support/live-client.js';
import { startApiProcess } from '../support/processes.js';

const name = uniqueName('live-cat-sigkill');
const { app, config } = await build(t, {}, name);
const fx = await publishedAdaptiveExam(app, { candidates: 1, items: 14, maxItems: 6 });
const survivorUrl = await listen(app);

type Item = { itemId: string; options: { id: string; text: string }[] };

/** The items the engine gives after these answers to the items it gave (true = right). */
async function path(rights: boolean[]): Promise<string[]> {
  const form = (await app.models.Form.findOne({ examId: fx.examId }).lean()) as Form;
  const engine = createCatEngine(form.adaptive!.pool, form.adaptive!.config);
  const seed = attemptSeed(form.adaptive!, attemptIdFor(fx.examId, fx.candidateIds[0]!));
  const answers = new Map<string, boolean>();
  let progress = replayAnswers(engine, seed, answers, () => false);
  for (const right of rights) {
    answers.set(progress.current!.itemId, right);
    progress = replayAnswers(engine, seed, answers, (id) => answers.get(id) === true);
  }
  return progress.presented.map((d) => d.itemId);
}

t.test('SIGKILL after an ack, then SIGKILL with an answer in flight: the same next item on resume', async (t) => {
  const rights = [true, false, true, true];
  // First process: two answers; killed as soon as the second is acknowledged.
  const one = await startApiProcess(t, config);
  const a = await TestSocket.join(`ws://127.0.0.1:${one.port}/ws`, fx.tokens[0]!, fx.examId);
  t.teardown(() => a.socket.terminate());
  let current = (a.first.items as Item[])[0]!;
  a.socket.send({ type: 'answer', seq: 1, itemId: current.itemId, response: pick(current, rights[0]!) });
  await a.socket.reply(1);
  current = (await a.socket.next((m) => m.type === 'item')).item as Item;
  a.socket.ws.on('message', (data) => {
    if ((JSON.parse(data.toString()) as { type: string }).type === 'ack') one.child.kill('SIGKILL');
  });
  a.socket.send({ type: 'answer', seq: 2, itemId: current.itemId, response: pick(current, rights[1]!) });
  await once(one.child, 'exit');
  await a.socket.closed;

  const b = await TestSocket.join(survivorUrl, fx.tokens[0]!, fx.examId);
  t.teardown(() => b.socket.terminate());
  t.equal(b.first.type, 'state');
  t.equal(b.first.lastSeq, 2, 'the acknowledged answer is stored');
  const expected = await path(rights.slice(0, 2));
  t.same((b.first.items as Item[]).map((i) => i.itemId), expected, 'the items given, and the third chosen as it would have been');
  t.equal((b.first.adaptive as { current: string }).current, expected[2]);
  b.socket.close();
  await b.socket.closed;

  // Second process: the third answer is sent and the process dies before it can answer.
  const two = await startApiProcess(t, config);
  const c = await TestSocket.join(`ws://127.0.0.1:${two.port}/ws`, fx.tokens[0]!, fx.examId);
  t.teardown(() => c.socket.terminate());
  t.same((c.first.items as Item[]).map((i) => i.itemId), expected, 'the same state on a fresh process');
  current = (c.first.items as Item[])[2]!;
  c.socket.send({ type: 'answer', seq: 3, itemId: current.itemId, response: pick(current, rights[2]!) });
  two.child.kill('SIGKILL');
  await once(two.child, 'exit');
  await c.socket.closed;

  const d = await TestSocket.join(survivorUrl, fx.tokens[0]!, fx.examId);
  t.teardown(() => d.socket.terminate());
  const stored = (d.first.lastSeq as number) >= 3;
  const now = await path(rights.slice(0, stored ? 3 : 2));
  t.same((d.first.items as Item[]).map((i) => i.itemId), now, `the answer in flight was ${stored ? '' : 'not '}stored; the state follows what was`);
  // The candidate goes on: (re)send the third answer with the same seq, then the fourth.
  d.socket.send({ type: 'answer', seq: 3, itemId: current.itemId, response: pick(current, rights[2]!) });
  t.same(await d.socket.reply(3), { type: 'ack', seq: 3 });
  let fourth: Item;
  if (stored) fourth = (d.first.items as Item[])[3]!;
  else fourth = (await d.socket.next((m) => m.type === 'item')).item as Item;
  t.equal(fourth.itemId, (await path(rights.slice(0, 3)))[3], 'the fourth item is the one the engine chooses');
  d.socket.send({ type: 'answer', seq: 4, itemId: fourth.itemId, response: pick(fourth, rights[3]!) });
  t.same(await d.socket.reply(4), { type: 'ack', seq: 4 });
  const fifth = (await d.socket.next((m) => m.type === 'item')).item as Item;
  t.equal(fifth.itemId, (await path(rights))[4]);
});
