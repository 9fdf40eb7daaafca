// A rolling restart: SIGTERM to an API process drains it gracefully. `/ready`
// turns 503 first (the balancer stops sending), the process keeps serving its
// candidates for SHUTDOWN_DELAY_MS, then tells each one to reconnect
// elsewhere (a `reconnect` message, then close 1001), flushes what it has
// received, and exits 0. Nothing acknowledged, nor received, is lost, and the
// candidate resumes on another process at the right seq.
import { once } from 'node:events';
import t from 'tap';
import { build, uniqueName } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';
import { startApiProcess } from '../support/processes.js';

const DELAY_MS = 1500;
const name = uniqueName('live-drain');
const { app, config } = await build(t, {}, name);
const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'essay'] });

const { child, output, port } = await startApiProcess(t, config, { SHUTDOWN_DELAY_MS: String(DELAY_MS) });
const drainingHttp = `http://127.0.0.1:${port}`;
const drainingWs = `ws://127.0.0.1:${port}/ws`;
const survivorUrl = await listen(app);

t.test('SIGTERM: ready turns 503, candidates are served through the delay, told to reconnect, and lose nothing', async (t) => {
  t.equal((await fetch(`${drainingHttp}/ready`)).status, 200, 'ready before the signal');
  const { socket, first } = await TestSocket.join(drainingWs, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  t.equal(first.type, 'state', JSON.stringify(first));
  const items = first.items as { itemId: string; type: string }[];
  const choice = items.find((x) => x.type === 'single_choice')!.itemId;
  const essay = items.find((x) => x.type === 'essay')!.itemId;
  const plan = (seq: number) =>
    seq % 2 ? { itemId: choice, response: deliveredId(first, choice, ['A', 'B', 'C', 'D'][seq % 4]!) } : { itemId: essay, response: `Bài làm, lần lưu ${seq}` };

  let seq = 0;
  const answer = async () => {
    seq++;
    socket.send({ type: 'answer', seq, ...plan(seq) });
    return socket.next((m) => (m.type === 'ack' || m.type === 'nack') && m.seq === seq);
  };
  for (let i = 0; i < 5; i++) t.same(await answer(), { type: 'ack', seq }, `answer ${seq} acknowledged before the signal`);

  const signalledAt = Date.now();
  child.kill('SIGTERM');
  // The balancer's view: /ready says 503 (with the API's error body) while candidates are still served.
  let ready: Response | null = null;
  for (let i = 0; i < 50; i++) {
    ready = await fetch(`${drainingHttp}/ready`);
    if (ready.status === 503) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(ready!.status, 503, '/ready answers 503 once draining');
  t.match(await ready!.json(), { error: { code: 'not_ready', message: /shutting down/, details: [{ dependency: 'draining' }] } });
  for (let i = 0; i < 3; i++) t.same(await answer(), { type: 'ack', seq }, `answer ${seq} still acknowledged during the delay`);
  t.ok(Date.now() - signalledAt < DELAY_MS, 'those came within the delay');

  // Answers sent right up to the end: received ones must be flushed, not dropped.
  const reconnect: Msg = await socket.next((m) => m.type === 'reconnect', DELAY_MS + 10_000);
  const toldAfter = Date.now() - signalledAt;
  t.same(reconnect, { type: 'reconnect', reason: 'draining' }, 'the candidate is told to reconnect elsewhere');
  t.ok(toldAfter >= DELAY_MS - 50, `only after the delay (${toldAfter} ms)`);
  const closed = await socket.closed;
  t.equal(closed.code, 1001, 'then the socket closes with 1001 (going away)');
  const acked = socket.received.filter((m) => m.type === 'ack').map((m) => m.seq as number);

  const [code] = await once(child, 'exit');
  t.equal(code, 0, 'the process exits 0 once drained');
  t.match(output(), /drained; exiting/, 'after flushing');

  const resumedAt = Date.now();
  const resumed = await TestSocket.join(survivorUrl, fx.tokens[0]!, fx.examId);
  t.teardown(() => resumed.socket.terminate());
  t.equal(resumed.first.type, 'state');
  t.ok(Date.now() - resumedAt < 5000, `resumed on the other process in ${Date.now() - resumedAt} ms`);
  const lastSeq = resumed.first.lastSeq as number;
  t.equal(lastSeq, seq, `every answer sent before the drain is stored (lastSeq ${lastSeq}, sent ${seq}, acked up to ${Math.max(...acked)})`);
  const expected: Record<string, unknown> = {};
  for (let s = 1; s <= seq; s++) expected[plan(s).itemId] = plan(s).response;
  t.same(resumed.first.answers, expected, 'the state is the latest answer per item');
  resumed.socket.send({ type: 'answer', seq: seq + 1, ...plan(seq + 1) });
  t.same(await resumed.socket.next(), { type: 'ack', seq: seq + 1 }, 'and the exam goes on');
});
