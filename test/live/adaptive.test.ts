// An adaptive exam over the real socket: one item at a time, the next only after the
// answer is stored, the same current item after a reconnect, no going back, the
// stopping rule hands in, and nothing of the pool reaches the candidate.
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { attemptSeed, createCatEngine, replayAnswers } from '../../src/adaptive/index.js';
import type { Form } from '../../src/exams/exam-model.js';
import { build } from '../helper.js';
import { pick, publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';

const { app } = await build(t);
const fx = await publishedAdaptiveExam(app, { candidates: 3, items: 12, maxItems: 4 });
const url = await listen(app);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(token: string) {
  const r = await TestSocket.join(url, token, fx.examId);
  sockets.push(r.socket);
  return r;
}

type Item = { itemId: string; number: number; options: { id: string; text: string }[] };
type Adaptive = { current: string | null; given: number; maxItems: number };

/** What the engine gives after these answers (right = true), computed from the stored pool form. */
async function expectedPath(candidateIndex: number, rights: boolean[]): Promise<string[]> {
  const form = (await app.models.Form.findOne({ examId: fx.examId }).lean()) as Form;
  const engine = createCatEngine(form.adaptive!.pool, form.adaptive!.config);
  const attemptId = attemptIdFor(fx.examId, fx.candidateIds[candidateIndex]!);
  const answers = new Map<string, unknown>();
  let progress = replayAnswers(engine, attemptSeed(form.adaptive!, attemptId), answers, () => false);
  for (const right of rights) {
    answers.set(progress.current!.itemId, right);
    progress = replayAnswers(engine, attemptSeed(form.adaptive!, attemptId), answers, (id) => answers.get(id) === true);
  }
  return progress.presented.map((d) => d.itemId);
}

t.test('the staff API takes and shows the mode; the pool form holds the calibrated items', async (t) => {
  const res = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}` });
  t.equal(res.json().mode, 'adaptive');
  t.match(res.json().adaptive, { stop: { maxItems: 4 } });
  const form = (await app.models.Form.findOne({ examId: fx.examId }).lean()) as Form;
  t.equal(form.code, '101');
  t.same(new Set(form.items.map((i) => i.itemId)), new Set(fx.itemIds), 'every calibrated item of the cell is in the pool');
  t.same(new Set(form.adaptive!.pool.map((i) => i.b)), new Set(fx.b.values()), 'with its Rasch difficulty');
});

t.test('answers → next items, each after the ack; the stopping rule hands in', async (t) => {
  const { socket, first } = await join(fx.tokens[0]!);
  t.equal(first.type, 'state');
  const items = first.items as Item[];
  const adaptive = first.adaptive as Adaptive;
  t.equal(items.length, 1, 'only the first item');
  t.equal(items[0]!.number, 1);
  t.same(adaptive, { current: items[0]!.itemId, given: 1, maxItems: 4 });

  const rights = [true, true, false, true];
  const given: string[] = [items[0]!.itemId];
  let current = items[0]!;
  for (let i = 0; i < rights.length; i++) {
    const seq = i + 1;
    socket.send({ type: 'answer', seq, itemId: current.itemId, response: pick(current, rights[i]!) });
    t.same(await socket.next(), { type: 'ack', seq }, `answer ${seq} → ack first`);
    if (i < rights.length - 1) {
      const next = await socket.next();
      t.equal(next.type, 'item', 'then the next item');
      t.equal(next.position, i + 2);
      current = next.item as Item;
      t.equal(current.number, i + 2, 'numbered by its position in this test');
      t.notOk(given.includes(current.itemId), 'a new item');
      given.push(current.itemId);
    }
  }
  t.same(given, await expectedPath(0, rights), 'the engine’s items for these answers');
  t.match(await socket.next(), { type: 'submitted' }, 'the fourth answer meets maxItems: handed in');
  t.match(await socket.next(), { type: 'ended', reason: 'submitted' });
  const attempt = await app.models.Attempt.findById(attemptIdFor(fx.examId, fx.candidateIds[0]!)).lean();
  t.equal(attempt?.status, 'submitted');
  t.equal(attempt?.submitReason, 'completed');
  t.same(Object.keys(attempt?.answers ?? {}).sort(), [...given].sort());
});

t.test('a reconnect gives the same current item; earlier items are closed; unknown ones stay unknown', async (t) => {
  const a = await join(fx.tokens[1]!);
  const firstItem = (a.first.items as Item[])[0]!;
  a.socket.send({ type: 'answer', seq: 1, itemId: firstItem.itemId, response: pick(firstItem, false) });
  t.same(await a.socket.next(), { type: 'ack', seq: 1 });
  const second = (await a.socket.next((m) => m.type === 'item')).item as Item;
  a.socket.close();
  await a.socket.closed;

  const b = await join(fx.tokens[1]!);
  t.equal(b.first.type, 'state');
  const items = b.first.items as Item[];
  t.same(items.map((i) => i.itemId), [firstItem.itemId, second.itemId], 'the items given so far, current last');
  t.equal((b.first.adaptive as Adaptive).current, second.itemId, 'the same current item');
  t.same(Object.keys(b.first.answers as object), [firstItem.itemId]);

  b.socket.send({ type: 'answer', seq: 2, itemId: firstItem.itemId, response: pick(firstItem, true) });
  t.match(await b.socket.reply(2), { type: 'nack', error: { code: 'item_closed' } }, 'no going back');
  const notGiven = fx.itemIds.find((id) => id !== firstItem.itemId && id !== second.itemId)!;
  b.socket.send({ type: 'answer', seq: 3, itemId: notGiven, response: 'x' });
  t.match(await b.socket.reply(3), { type: 'nack', error: { code: 'unknown_item' } }, 'a pool item not given is unknown, like any other id');
  b.socket.send({ type: 'answer', seq: 4, itemId: 'no-such-item', response: 'x' });
  t.match(await b.socket.reply(4), { type: 'nack', error: { code: 'unknown_item' } });
  b.socket.send({ type: 'answer', seq: 5, itemId: second.itemId, response: null });
  t.match(await b.socket.reply(5), { type: 'nack', error: { code: 'validation_failed' } }, 'an adaptive item needs an answer');

  // Two answers at once to the current item: the first closes it, the second is refused.
  b.socket.send({ type: 'answer', seq: 6, itemId: second.itemId, response: pick(second, true) });
  b.socket.send({ type: 'answer', seq: 7, itemId: second.itemId, response: pick(second, false) });
  t.match(await b.socket.reply(7), { type: 'nack', error: { code: 'item_closed' } });
  t.same(await b.socket.reply(6), { type: 'ack', seq: 6 });
  const third = (await b.socket.next((m) => m.type === 'item')).item as Item;
  t.same([firstItem.itemId, second.itemId, third.itemId], (await expectedPath(1, [false, true])), 'the path follows the stored answers only');

  // Flags and plays (recordings) answer for a pool item not given exactly as for an id that does not exist.
  const stillHidden = fx.itemIds.find((id) => ![firstItem.itemId, second.itemId, third.itemId].includes(id))!;
  b.socket.send({ type: 'flag', seq: 8, itemId: stillHidden, flagged: true });
  t.match(await b.socket.reply(8), { type: 'nack', error: { code: 'unknown_item' } }, 'no flag on an item not given');
  b.socket.send({ type: 'play', seq: 9, itemId: stillHidden });
  t.match(await b.socket.reply(9), { type: 'nack', error: { code: 'unknown_item' } }, 'no play on an item not given: the pool cannot be probed');
  b.socket.send({ type: 'play', seq: 10, itemId: 'no-such-item' });
  t.match(await b.socket.reply(10), { type: 'nack', error: { code: 'unknown_item' } });
});

t.test('attack: nothing of the pool but the items given, and no key or difficulty, reaches the candidate', async (t) => {
  const { socket, first } = await join(fx.tokens[2]!);
  let current = (first.items as Item[])[0]!;
  for (let seq = 1; seq <= 4; seq++) {
    socket.send({ type: 'answer', seq, itemId: current.itemId, response: pick(current, seq % 2 === 0) });
    await socket.reply(seq);
    if (seq < 4) current = (await socket.next((m) => m.type === 'item')).item as Item;
  }
  await socket.next((m: Msg) => m.type === 'ended');
  const given = new Set<string>();
  for (const m of socket.received) {
    if (m.type === 'state') for (const i of m.items as Item[]) given.add(i.itemId);
    if (m.type === 'item') given.add((m.item as Item).itemId);
  }
  t.equal(given.size, 4);
  const text = socket.raw.join('\n');
  for (const id of fx.itemIds) {
    if (given.has(id)) continue;
    t.notOk(text.includes(id), `the id of pool item ${id} never sent`);
    t.notOk(text.includes(fx.stems.get(id)!.slice(3, -4)), 'nor its stem');
  }
  for (const word of ['"correct"', 'raschDifficulty', '"b":', '"pool"', '"config"', '"pretest"', '"seed"', '"points"']) t.notOk(text.includes(word), `no ${word}`);
  t.notOk(/-A"/.test(text.replace(/"text":"Phương án \d+-A"/g, '')), 'the right option is known only by its text, as the candidate reads it');
});
