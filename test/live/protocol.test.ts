import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { logEntryId } from '../../src/attempts/log-model.js';
import { build } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { keysDeep, listen, TestSocket, type Msg } from '../support/live-client.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 3 });
const url = await listen(app);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(token: string, examId = fx.examId) {
  const r = await TestSocket.join(url, token, examId);
  sockets.push(r.socket);
  return r;
}

interface StateMsg extends Msg {
  attemptId: string;
  formCode: string;
  items: { itemId: string; type: string }[];
  answers: Record<string, unknown>;
  flags: string[];
  lastSeq: number;
  endsAt: string;
  serverNow: string;
}

const itemOfType = (state: StateMsg, type: string) => state.items.find((i) => i.type === type)!.itemId;

t.test('a join must come first, within 5 s, with a valid token, for an exam the candidate is on', async (t) => {
  const silent = await TestSocket.open(url);
  sockets.push(silent);
  t.equal((await silent.closed).code, 4401, 'no join within 5 s: 4401');

  const wrongFirst = await TestSocket.open(url);
  sockets.push(wrongFirst);
  wrongFirst.send({ type: 'answer', seq: 1, itemId: 'x', response: 'A' });
  t.match(await wrongFirst.next(), { type: 'error' });
  t.equal((await wrongFirst.closed).code, 4400, 'first frame not a join: 4400');

  const forged = await join('not-a-token');
  t.match(forged.first, { type: 'error', error: { code: 'unauthenticated' } });
  t.equal((await forged.socket.closed).code, 4401, 'bad token: 4401');

  const stranger = await join(fx.managerToken);
  t.match(stranger.first, { type: 'error', error: { code: 'forbidden' } });
  t.equal((await stranger.socket.closed).code, 4403, 'not on the roster: 4403');

  const unknown = await join(fx.tokens[0]!, 'no-such-exam');
  t.match(unknown.first, { type: 'error', error: { code: 'not_found' } });
  t.equal((await unknown.socket.closed).code, 4404, 'unknown exam: 4404');
});

t.test('the protocol, message by message', async (t) => {
  const { socket, first } = await join(fx.tokens[0]!);
  const state = first as StateMsg;
  t.equal(state.type, 'state');
  t.equal(state.attemptId, attemptIdFor(fx.examId, fx.candidateIds[0]!));
  t.equal(state.formCode, '101');
  t.equal(state.items.length, 10, 'one item of each type, in delivery order');
  t.same(state.answers, {});
  t.same(state.flags, []);
  t.equal(state.lastSeq, 0);
  t.ok(Math.abs(Date.parse(state.serverNow) - Date.now()) < 5000, 'serverNow is the server clock');
  const endsAt = Date.parse(state.endsAt);
  t.ok(endsAt > Date.now() + 59 * 60_000 && endsAt <= Date.now() + 60 * 60_000, 'endsAt = start + 60 minutes');

  const single = itemOfType(state, 'single_choice');
  const multi = itemOfType(state, 'multiple_choice');
  const essay = itemOfType(state, 'essay');
  // Candidates answer with the ids their form gave them; the server stores authored ids.
  const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((id) => deliveredId(state, single, id)) as [string, string, string, string];
  const [mA, mC] = ['A', 'C'].map((id) => deliveredId(state, multi, id)) as [string, string];

  socket.send({ type: 'answer', seq: 1, itemId: single, response: B });
  t.same(await socket.next(), { type: 'ack', seq: 1 }, 'answer → ack');
  socket.send({ type: 'flag', seq: 2, itemId: single, flagged: true });
  t.same(await socket.next(), { type: 'ack', seq: 2 }, 'flag → ack');
  socket.send({ type: 'event', seq: 3, kind: 'blur' });
  t.same(await socket.next(), { type: 'ack', seq: 3 }, 'event → ack');
  socket.send({ type: 'ping' });
  t.same(await socket.next(), { type: 'pong' }, 'ping → pong');

  socket.send({ type: 'answer', seq: 1, itemId: single, response: C });
  t.same(await socket.next(), { type: 'ack', seq: 1 }, 'a seq at or below lastSeq is acknowledged again');

  socket.send({ type: 'answer', seq: 4, itemId: 'not-on-the-form', response: 'A' });
  t.match(await socket.next(), { type: 'nack', seq: 4, error: { code: 'unknown_item' } });
  socket.send({ type: 'answer', seq: 5, itemId: single, response: [A] });
  t.match(await socket.next(), { type: 'nack', seq: 5, error: { code: 'validation_failed' } }, 'wrong shape for single_choice');
  socket.send({ type: 'answer', seq: 6, itemId: single, response: 'B' });
  t.match(await socket.next(), { type: 'nack', seq: 6, error: { code: 'validation_failed', message: 'Unknown option id' } }, 'unknown option id (an authored id is not one of the form\'s)');

  // Several frames at once: one group commit, acked in order.
  socket.send({ type: 'answer', seq: 7, itemId: multi, response: [mA] });
  socket.send({ type: 'answer', seq: 8, itemId: multi, response: [mA, mC] });
  socket.send({ type: 'answer', seq: 9, itemId: essay, response: 'Bài làm của em' });
  socket.send({ type: 'flag', seq: 10, itemId: single, flagged: false });
  t.same([await socket.next(), await socket.next(), await socket.next(), await socket.next()], [7, 8, 9, 10].map((seq) => ({ type: 'ack', seq })));

  socket.close();
  await socket.closed;

  const again = await join(fx.tokens[0]!);
  const resumed = again.first as StateMsg;
  t.equal(resumed.type, 'state', 'resume after reconnect');
  t.equal(resumed.attemptId, state.attemptId, 'the same attempt');
  t.same(resumed.answers, { [single]: B, [multi]: [mA, mC], [essay]: 'Bài làm của em' }, 'latest response per item; the resent seq 1 was not applied');
  t.same(resumed.flags, [], 'flag set then cleared');
  t.equal(resumed.lastSeq, 10);
  t.equal(resumed.endsAt, state.endsAt, 'the deadline does not move on resume');

  // The full history is kept, in order.
  const attemptId = state.attemptId;
  const frames = [];
  for (let n = 1; ; n++) {
    const e = await app.models.AttemptLog.findById(logEntryId(attemptId, n)).lean();
    if (!e) break;
    frames.push(...e.frames);
  }
  t.same(
    frames.filter((f) => f.type !== 'join').map((f) => ('seq' in f ? f.seq : null)),
    [1, 2, 3, 7, 8, 9, 10],
    'every stored frame, once, in order (refused ones are not stored)',
  );
  t.match(frames.find((f) => f.type === 'answer' && f.seq === 7), { itemId: multi, response: ['A'] }, 'superseded answers stay in the history, in authored ids');

  const sock = again.socket;
  sock.send({ type: 'answer', seq: 11, itemId: single, response: D });
  t.same(await sock.next(), { type: 'ack', seq: 11 });
  sock.send({ type: 'submit', seq: 12 });
  t.same(await sock.next(), { type: 'ack', seq: 12 });
  const submitted = await sock.next();
  t.match(submitted, { type: 'submitted', attemptId });
  t.same(await sock.next(), { type: 'ended', reason: 'submitted' });
  t.equal((await sock.closed).code, 1000);

  const doc = await app.models.Attempt.findById(attemptId).lean();
  t.match(doc, { status: 'submitted', submitReason: 'candidate', lastSeq: 12, formCode: '101', examId: fx.examId, candidateId: fx.candidateIds[0] });
  t.same(doc!.answers, { [single]: 'D', [multi]: ['A', 'C'], [essay]: 'Bài làm của em' }, 'final answers on the attempt, in authored ids');
  t.equal(new Date(doc!.submittedAt!).toISOString(), submitted.at);
  const job = await app.queues.grading.getJob(attemptId);
  t.same(job?.data, { attemptIds: [attemptId] }, 'a grading job, id = attempt id');

  const late = await join(fx.tokens[0]!);
  t.match(late.first, { type: 'submitted', attemptId });
  t.same(await late.socket.next(), { type: 'ended', reason: 'submitted' }, 'joining a handed-in attempt says so and ends');
});

t.test('after a hand-in, frames get already_submitted', async (t) => {
  const { socket, first } = await join(fx.tokens[1]!);
  const state = first as StateMsg;
  const single = itemOfType(state, 'single_choice');
  socket.send({ type: 'submit', seq: 1 });
  socket.send({ type: 'answer', seq: 2, itemId: single, response: deliveredId(state, single, 'A') });
  const replies = [await socket.next(), await socket.next()];
  t.same(replies.find((m) => m.type === 'nack'), { type: 'nack', seq: 2, error: { code: 'already_submitted', message: 'The attempt has been handed in' } });
  t.ok(replies.some((m) => m.type === 'ack' && m.seq === 1));
  await socket.next((m) => m.type === 'ended');
});

t.test('a candidate never receives a key or scoring data', async (t) => {
  const { socket, first } = await join(fx.tokens[2]!);
  const state = first as StateMsg;
  let seq = 0;
  for (const item of state.items) {
    socket.send({ type: 'flag', seq: ++seq, itemId: item.itemId, flagged: true });
    await socket.reply(seq);
  }
  socket.send({ type: 'submit', seq: ++seq });
  await socket.next((m) => m.type === 'ended');
  const all = sockets.flatMap((s) => s.received);
  const raw = sockets.flatMap((s) => s.raw).join('\n');
  t.ok(all.length > 20, `walked ${all.length} messages`);
  const keys = keysDeep(all);
  for (const forbidden of ['correct', 'value', 'values', 'accepted', 'pairs', 'order', 'tolerance', 'ladder', 'rubric', 'maxPoints', 'points', 'scoring', 'caseSensitive', 'ignoreDiacritics']) {
    t.notOk(keys.has(forbidden), `no "${forbidden}" anywhere`);
  }
  for (const blank of all.flatMap((m) => (m.type === 'state' ? (m as StateMsg).items : [])).flatMap((i) => ((i as { blanks?: object[] }).blanks ?? []))) {
    t.same(Object.keys(blank), ['id'], 'cloze blanks carry their id only');
  }
  t.notMatch(raw, /ĐÁPÁNBÍMẬT|987\.654/, 'no key value anywhere either');
});
