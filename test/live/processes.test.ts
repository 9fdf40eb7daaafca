// Two API processes behind one address: two apps on the same database and Redis namespace.
import t from 'tap';
import { as, build, uniqueName } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';

const name = uniqueName('live-processes');
const A = (await build(t, {}, name)).app;
const B = (await build(t, {}, name)).app;
const fx = await publishedExam(A, { candidates: 3, types: ['single_choice', 'numeric', 'short_text'] });
const urlA = await listen(A);
const urlB = await listen(B);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(url: string, i: number) {
  const r = await TestSocket.join(url, fx.tokens[i]!, fx.examId);
  sockets.push(r.socket);
  return r;
}
const itemsOf = (m: Msg) => m.items as { itemId: string; type: string }[];
const manager = as(A, fx.managerToken);

t.test('the newest connection wins on every process; reconnecting elsewhere resumes exactly', async (t) => {
  const first = await join(urlA, 0);
  t.equal(first.first.type, 'state');
  const [single, numeric, text] = ['single_choice', 'numeric', 'short_text'].map((type) => itemsOf(first.first).find((x) => x.type === type)!.itemId);
  const B = deliveredId(first.first, single!, 'B');
  first.socket.send({ type: 'answer', seq: 1, itemId: single, response: B });
  t.same(await first.socket.next(), { type: 'ack', seq: 1 });

  const second = await join(urlB, 0);
  t.match(second.first, { type: 'state', lastSeq: 1, answers: { [single!]: B } }, 'the other process resumes with what was stored, in the same delivered ids');
  t.same(await first.socket.next(), { type: 'ended', reason: 'replaced' }, 'the older socket, on the other process, is told');
  t.equal((await first.socket.closed).code, 1000);

  second.socket.send({ type: 'answer', seq: 2, itemId: numeric, response: '-1,5' });
  t.same(await second.socket.next(), { type: 'ack', seq: 2 });

  const third = await join(urlA, 0);
  t.match(third.first, { type: 'state', lastSeq: 2, answers: { [single!]: B, [numeric!]: '-1,5' } }, 'and back again');
  t.same(await second.socket.next(), { type: 'ended', reason: 'replaced' });

  // A frame racing a takeover is either acknowledged and in the new state, or not acknowledged at all.
  third.socket.send({ type: 'answer', seq: 3, itemId: text, response: 'Hà Nội' });
  const racing = await join(urlB, 0);
  const onOld = await third.socket.next((m) => m.type === 'ack' || m.type === 'ended');
  const newState = racing.first;
  if (onOld.type === 'ack') {
    t.equal(newState.lastSeq, 3, 'acked before the takeover: in the new state');
    t.same((newState.answers as Record<string, unknown>)[text!], 'Hà Nội');
    t.same(await third.socket.next(), { type: 'ended', reason: 'replaced' });
  } else {
    t.same(onOld, { type: 'ended', reason: 'replaced' });
    t.equal(newState.lastSeq, 2, 'not acked: not applied');
  }
  racing.socket.close();
});

t.test('an extension reaches the candidate at once, on whichever process holds the socket', async (t) => {
  const { socket, first } = await join(urlB, 1);
  const before = Date.parse(first.endsAt as string);
  const res = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.candidateIds[1], extraMinutes: 10 } });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { candidateId: fx.candidateIds[1], extraMinutes: 10 });
  t.equal(Date.parse(res.json().endsAt), before + 10 * 60_000);
  const time = await socket.next((m) => m.type === 'time');
  t.equal(time.endsAt, res.json().endsAt, 'time message with the new deadline');
  t.ok(typeof time.serverNow === 'string');

  const twice = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.candidateIds[1], extraMinutes: 5 } });
  t.match(twice.json(), { extraMinutes: 15 }, 'extensions add up');
  t.equal((await socket.next((m) => m.type === 'time')).endsAt, twice.json().endsAt);
  socket.close();
  await socket.closed;
  const again = await join(urlA, 1);
  t.equal(again.first.endsAt, twice.json().endsAt, 'a resume keeps the extended deadline');
  again.socket.close();

  const notStarted = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.candidateIds[2], extraMinutes: 20 } });
  t.match(notStarted.json(), { endsAt: null, extraMinutes: 20 }, 'before the start: kept for later');
  const late = await join(urlB, 2);
  const endsIn = Date.parse(late.first.endsAt as string) - Date.parse(late.first.serverNow as string);
  t.ok(endsIn > 79 * 60_000 && endsIn <= 80 * 60_000, 'applied at the start (60 + 20 minutes)');
  late.socket.close();

  const stranger = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.world.managerId, extraMinutes: 5 } });
  t.equal(stranger.statusCode, 400);
  const asCandidate = await as(A, fx.tokens[0]!)({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.candidateIds[0], extraMinutes: 5 } });
  t.equal(asCandidate.statusCode, 403);
  const bad = await manager({ method: 'POST', url: `/api/exams/${fx.examId}/extensions`, payload: { candidateId: fx.candidateIds[0], extraMinutes: 0 } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'validation_failed');
});

t.test('the monitor shows each candidate live', async (t) => {
  const c0 = await join(urlA, 0);
  c0.socket.send({ type: 'event', seq: 10, kind: 'blur' });
  c0.socket.send({ type: 'event', seq: 11, kind: 'paste' });
  c0.socket.send({ type: 'event', seq: 12, kind: 'blur' });
  await c0.socket.reply(12);
  const c1 = await join(urlB, 1);
  c1.socket.send({ type: 'submit', seq: 1 });
  await c1.socket.next((m) => m.type === 'ended');
  await Promise.all([A.live.presence.flush(), B.live.presence.flush()]);

  const res = await as(B, fx.managerToken)({ method: 'GET', url: `/api/exams/${fx.examId}/monitor` });
  t.equal(res.statusCode, 200, res.body);
  const rows = new Map((res.json().candidates as { candidateId: string; lastSeenAt: string | null }[]).map((r) => [r.candidateId, r]));
  t.match(rows.get(fx.candidateIds[0]!), { state: 'in_progress', connected: true, answered: 3, events: { blur: 2, paste: 1 } });
  t.match(rows.get(fx.candidateIds[1]!), { state: 'submitted', connected: false });
  t.match(rows.get(fx.candidateIds[2]!), { state: 'in_progress', connected: false, answered: 0 });
  t.ok(Date.parse(rows.get(fx.candidateIds[0]!)!.lastSeenAt as string) > Date.now() - 60_000);

  c0.socket.close();
  await c0.socket.closed;
  await Promise.all([A.live.presence.flush(), B.live.presence.flush()]);
  const after = await as(A, fx.managerToken)({ method: 'GET', url: `/api/exams/${fx.examId}/monitor` });
  t.match(after.json().candidates.find((r: { candidateId: string }) => r.candidateId === fx.candidateIds[0]), { state: 'in_progress', connected: false });

  t.equal((await as(A, fx.tokens[0]!)({ method: 'GET', url: `/api/exams/${fx.examId}/monitor` })).statusCode, 403, 'not for candidates');

  const mine = await as(A, fx.tokens[1]!)({ method: 'GET', url: '/api/my/exams' });
  t.equal(mine.statusCode, 200);
  t.match(mine.json(), { exams: [{ id: fx.examId, title: 'Bài thi trực tuyến', durationMinutes: 60, status: 'submitted' }] });
  const other = await as(A, fx.tokens[2]!)({ method: 'GET', url: '/api/my/exams' });
  t.match(other.json().exams[0], { status: 'in_progress' });
  const staff = await as(A, fx.managerToken)({ method: 'GET', url: '/api/my/exams' });
  t.same(staff.json(), { exams: [] }, 'no exams where the caller is not a candidate');
});
